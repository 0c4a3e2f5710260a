"""The currencies an exchange lists, with the deposit/withdrawal networks of each.

Every exchange serves the same facts (a code, a display name, decimals, the chains it moves on
with their fees and minimums) in its own shape: ccxt's default ``load_markets`` reads them before
the markets. The list is derived from the exchange's markets, so a currency exists exactly when
something trades in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cts_tui.sim.markets import MarketSpec

FIAT = frozenset({"USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF"})


@dataclass(frozen=True, slots=True)
class Chain:
    network: str  # the exchange-neutral network id ("ETH", "TRX", "BSC", ...)
    name: str  # its display name
    withdraw_fee: float
    withdraw_min: float
    confirmations: int


@dataclass(frozen=True, slots=True)
class Asset:
    code: str
    name: str
    decimals: int
    chains: tuple[Chain, ...]

    @property
    def fiat(self) -> bool:
        return self.code in FIAT


# Native chains of the well-known currencies; any other crypto currency is an ERC-20 token.
_ERC20 = Chain("ETH", "Ethereum (ERC20)", 2.0, 5.0, 64)
_NATIVE: dict[str, tuple[str, tuple[Chain, ...]]] = {
    "BTC": ("Bitcoin", (Chain("BTC", "Bitcoin", 0.0002, 0.001, 1),
                        Chain("BSC", "BNB Smart Chain (BEP20)", 0.0000047, 0.0000098, 15))),
    "ETH": ("Ethereum", (Chain("ETH", "Ethereum (ERC20)", 0.0008, 0.0016, 64),
                         Chain("ARBITRUM", "Arbitrum One", 0.0001, 0.0002, 120))),
    "USDT": ("TetherUS", (Chain("ETH", "Ethereum (ERC20)", 3.0, 6.0, 64), Chain("TRX", "Tron (TRC20)", 1.0, 10.0, 20),
                          Chain("BSC", "BNB Smart Chain (BEP20)", 0.0, 10.0, 15))),
    "USDC": ("USD Coin", (Chain("ETH", "Ethereum (ERC20)", 3.0, 6.0, 64), Chain("SOL", "Solana", 1.0, 10.0, 1))),
    "SOL": ("Solana", (Chain("SOL", "Solana", 0.001, 0.01, 1),)),
    "XRP": ("Ripple", (Chain("XRP", "Ripple", 0.2, 25.0, 1),)),
    "BNB": ("BNB", (Chain("BSC", "BNB Smart Chain (BEP20)", 0.0005, 0.01, 15),)),
    "DOGE": ("Dogecoin", (Chain("DOGE", "Dogecoin", 4.0, 25.0, 50),)),
    "ADA": ("Cardano", (Chain("ADA", "Cardano", 0.8, 10.0, 30),)),
    "TRX": ("TRON", (Chain("TRX", "Tron (TRC20)", 1.0, 10.0, 20),)),
    "LTC": ("Litecoin", (Chain("LTC", "Litecoin", 0.001, 0.002, 4),)),
    "DOT": ("Polkadot", (Chain("DOT", "Polkadot", 0.08, 1.5, 1),)),
    "AVAX": ("Avalanche", (Chain("AVAXC", "AVAX C-Chain", 0.008, 0.1, 12),)),
    "XLM": ("Stellar Lumens", (Chain("XLM", "Stellar Lumens", 0.01, 10.0, 1),)),
}


def assets_for(markets: Iterable[MarketSpec]) -> list[Asset]:
    """Every currency the markets trade or settle in, quotes and majors first, each once."""
    codes: dict[str, None] = {}
    listed = list(markets)
    for market in listed:
        codes[market.quote] = None
    for market in listed:
        codes[market.base] = None
    return [asset(code) for code in codes]


def asset(code: str) -> Asset:
    if code in FIAT:
        return Asset(code, code, 2, ())
    name, chains = _NATIVE.get(code, (code, (_ERC20,)))
    return Asset(code, name, 8, chains)
