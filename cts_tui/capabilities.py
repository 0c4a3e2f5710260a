"""The capability matrix: which API types, passphrases and testnets each exchange really offers.

Kept in one place with no imports beyond the enums, because the model validation, the clients,
the simulator's demo wiring and the TUI's forms all have to agree on it.
"""

from __future__ import annotations

from enum import StrEnum


class ExchangeId(StrEnum):
    BINANCE = "binance"
    BYBIT = "bybit"
    OKX = "okx"
    BINGX = "bingx"
    PIONEX = "pionex"
    ORANGEX = "orangex"
    HTX = "htx"
    COINBASE = "coinbase"
    KRAKEN = "kraken"

    @classmethod
    def _missing_(cls, value: object) -> ExchangeId | None:
        """Other names an exchange goes by (``huobi``), and any spelling's case: wherever an
        exchange is named (config, CLI, REST), ``ExchangeId(name)`` and pydantic accept them."""
        if not isinstance(value, str):
            return None
        name = value.strip().lower()
        return EXCHANGE_ALIASES.get(name) or next((member for member in cls if member.value == name), None)


EXCHANGE_ALIASES: dict[str, ExchangeId] = {"huobi": ExchangeId.HTX}
"""Former names still in use (the specification calls HTX by its former name, Huobi)."""


def exchange_names() -> list[str]:
    """Every name an exchange is accepted by: ours, then the aliases (for CLI choices)."""
    return [*(member.value for member in ExchangeId), *EXCHANGE_ALIASES]


class ApiType(StrEnum):
    SPOT = "spot"
    PERPETUAL_FUTURES = "perpetual_futures"
    FUTURES = "futures"
    MARGIN = "margin"
    UNIFIED = "unified"


class PassphrasePolicy(StrEnum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"


DERIVATIVE_API_TYPES = frozenset({ApiType.PERPETUAL_FUTURES, ApiType.FUTURES, ApiType.UNIFIED})

SUPPORTED_API_TYPES: dict[ExchangeId, tuple[ApiType, ...]] = {
    ExchangeId.BYBIT: (ApiType.UNIFIED, ApiType.PERPETUAL_FUTURES, ApiType.SPOT, ApiType.MARGIN),
    ExchangeId.BINANCE: (ApiType.SPOT, ApiType.PERPETUAL_FUTURES, ApiType.FUTURES, ApiType.MARGIN),
    ExchangeId.OKX: (ApiType.SPOT, ApiType.PERPETUAL_FUTURES, ApiType.FUTURES, ApiType.MARGIN),
    ExchangeId.BINGX: (ApiType.SPOT, ApiType.PERPETUAL_FUTURES),
    ExchangeId.PIONEX: (ApiType.SPOT, ApiType.PERPETUAL_FUTURES),
    ExchangeId.ORANGEX: (ApiType.SPOT, ApiType.PERPETUAL_FUTURES),
    # HTX: spot, cross/isolated margin and USDT-margined swaps (linear-swap-api).
    ExchangeId.HTX: (ApiType.SPOT, ApiType.MARGIN, ApiType.PERPETUAL_FUTURES),
    # Coinbase Advanced Trade: spot only for retail API keys.
    ExchangeId.COINBASE: (ApiType.SPOT,),
    # Kraken spot REST: spot and margin on one account (futures is a separate API).
    ExchangeId.KRAKEN: (ApiType.SPOT, ApiType.MARGIN),
}

PASSPHRASE: dict[ExchangeId, PassphrasePolicy] = {
    ExchangeId.OKX: PassphrasePolicy.REQUIRED,
    # Coinbase Exchange-style keys carry a passphrase; Advanced Trade keys do not.
    ExchangeId.COINBASE: PassphrasePolicy.OPTIONAL,
}

# Exchanges with a real test environment. OKX's is demo trading on the live host.
HAS_TESTNET = frozenset({ExchangeId.BINANCE, ExchangeId.BYBIT, ExchangeId.OKX, ExchangeId.BINGX})

# Exchanges with a ccxt implementation; the others have native clients.
CCXT_EXCHANGES = frozenset(
    {
        ExchangeId.BINANCE,
        ExchangeId.BYBIT,
        ExchangeId.OKX,
        ExchangeId.BINGX,
        ExchangeId.HTX,
        ExchangeId.COINBASE,
        ExchangeId.KRAKEN,
    }
)


def passphrase_policy(exchange: ExchangeId) -> PassphrasePolicy:
    return PASSPHRASE.get(exchange, PassphrasePolicy.NONE)


def supports(exchange: ExchangeId, api_type: ApiType) -> bool:
    return api_type in SUPPORTED_API_TYPES[exchange]


def describe_support(exchange: ExchangeId) -> str:
    return ", ".join(t.value for t in SUPPORTED_API_TYPES[exchange])
