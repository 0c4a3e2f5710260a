"""The capability matrix: which API types, passphrases and testnets each exchange really offers.

Read from the venue modules (``cts_tui/venues``) into the tables the model validation, the
clients, the simulator's demo wiring and the TUI's forms share, so that they all agree.
"""

from __future__ import annotations

from cts_tui.venues import VENUES
from cts_tui.venues.kinds import EXCHANGE_ALIASES, ApiType, ExchangeId, PassphrasePolicy

__all__ = [
    "CCXT_EXCHANGES", "DERIVATIVE_API_TYPES", "EXCHANGE_ALIASES", "HAS_TESTNET", "PASSPHRASE",
    "SUPPORTED_API_TYPES", "ApiType", "ExchangeId", "PassphrasePolicy", "describe_support",
    "exchange_names", "passphrase_policy", "supports",
]


def exchange_names() -> list[str]:
    """Every name an exchange is accepted by: ours, then the aliases (for CLI choices)."""
    return [*(member.value for member in ExchangeId), *EXCHANGE_ALIASES]


DERIVATIVE_API_TYPES = frozenset({ApiType.PERPETUAL_FUTURES, ApiType.FUTURES, ApiType.UNIFIED})

SUPPORTED_API_TYPES: dict[ExchangeId, tuple[ApiType, ...]] = {v.id: v.api_types for v in VENUES.values()}

PASSPHRASE: dict[ExchangeId, PassphrasePolicy] = {
    v.id: v.passphrase for v in VENUES.values() if v.passphrase is not PassphrasePolicy.NONE
}

HAS_TESTNET = frozenset(v.id for v in VENUES.values() if v.testnet)
"""Exchanges with a real test environment."""

CCXT_EXCHANGES = frozenset(v.id for v in VENUES.values() if v.ccxt)
"""Exchanges with a ccxt implementation; the others have native clients."""


def passphrase_policy(exchange: ExchangeId) -> PassphrasePolicy:
    return PASSPHRASE.get(exchange, PassphrasePolicy.NONE)


def supports(exchange: ExchangeId, api_type: ApiType) -> bool:
    return api_type in SUPPORTED_API_TYPES[exchange]


def describe_support(exchange: ExchangeId) -> str:
    return ", ".join(t.value for t in SUPPORTED_API_TYPES[exchange])
