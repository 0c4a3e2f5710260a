"""The words every venue is described in: exchange ids (with the other names they go by), API
types and passphrase policies.

Beneath everything else in the package, so that the venue modules, the models and the config can
all use them without importing one another.
"""

from __future__ import annotations

from enum import StrEnum


class ExchangeId(StrEnum):
    """One member per venue module in ``cts_tui/venues`` (a test keeps the two equal)."""

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
