"""Pionex, natively: market data of both kinds under /api/v1 (perpetual symbols end ``_PERP``),
the perpetual futures account under /uapi/v1, as Pionex's OpenAPI documents them.

Signing per Pionex's documentation: a ``timestamp`` query parameter (ms); the signed text is the
method, the path, "?" and the query pairs sorted by key (values as sent, not re-encoded), then the
body when there is one; ``PIONEX-SIGNATURE`` is its hex HMAC-SHA256 under the secret, sent with
``PIONEX-KEY``. Every answer carries the server's ``timestamp``, which keeps the clock synced
without a time endpoint.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import quote

from cts_tui.errors import ErrorKind, ExchangeError
from cts_tui.exchanges import shapes
from cts_tui.exchanges.native import NativeClient, Signed


def _query(pairs: dict[str, str]) -> tuple[str, str]:
    """(text to sign, query string to send): both sorted by key; only the sent one is encoded."""
    ordered = sorted(pairs.items())
    signed = "&".join(f"{k}={v}" for k, v in ordered)
    sent = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in ordered)
    return signed, sent


class PionexClient(NativeClient):
    @property
    def quote(self) -> str:
        return "USDT"

    @property
    def _account_root(self) -> str:
        return "/uapi/v1" if self.is_perpetual else "/api/v1"

    def _server_time(self, payload: Any) -> float | None:
        value = payload.get("timestamp") if isinstance(payload, dict) else None
        return float(value) if isinstance(value, (int, float)) else None

    async def _get_signed(self, path: str, params: dict[str, str] | None = None) -> Any:
        key = self._connection.api_key.get_secret_value()
        secret = self._connection.api_secret.get_secret_value().encode()

        def sign() -> Signed:
            pairs = dict(params or {}, timestamp=str(self._clock.now_ms()))
            signed, sent = _query(pairs)
            signature = hmac.new(secret, f"GET{path}?{signed}".encode(), hashlib.sha256).hexdigest()
            return sent, None, {"PIONEX-KEY": key, "PIONEX-SIGNATURE": signature}

        async def send() -> Any:
            return await self._send("GET", path, sign=sign, account=self._connection.account)

        return await self._signed(send)

    @staticmethod
    def _data(payload: Any, field: str) -> list[dict[str, Any]]:
        rows = payload.get("data", {}).get(field) if isinstance(payload, dict) else None
        if not isinstance(rows, list):
            raise ExchangeError(ErrorKind.BAD_RESPONSE, f"pionex answer lacks data.{field}")
        return rows

    async def load_markets(self) -> dict[str, Any]:
        kind = "PERP" if self.is_perpetual else "SPOT"

        async def load() -> dict[str, Any]:
            payload = await self._send("GET", "/api/v1/common/symbols", query=f"type={kind}")
            markets = {}
            for row in self._data(payload, "symbols"):
                base, quote_ = row.get("baseCurrency"), row.get("quoteCurrency")
                symbol = f"{base}/{quote_}:{quote_}" if kind == "PERP" else f"{base}/{quote_}"
                markets[symbol] = {"id": row.get("symbol"), "symbol": symbol, "base": base, "quote": quote_,
                                   "type": "swap" if kind == "PERP" else "spot", "active": row.get("enable", True)}
            return markets

        return await self._shared(("pionex", kind, self._base_url), load)

    def _market_id(self, symbol: str) -> str:
        base_quote = symbol.split(":")[0]
        suffix = "_PERP" if self.is_perpetual else ""
        return base_quote.replace("/", "_") + suffix

    async def _fetch_server_time(self) -> int:
        # No time endpoint: the cheapest public answer (one ticker, weight 1) carries the time.
        payload = await self._send("GET", "/api/v1/market/tickers", query=f"symbol={self._market_id('BTC/USDT')}")
        server_ms = self._server_time(payload)
        if server_ms is None:
            raise ExchangeError(ErrorKind.BAD_RESPONSE, "pionex answer carries no timestamp")
        return shapes.server_time("pionex", server_ms)

    async def fetch_ticker(self, symbol: str) -> dict[str, Any]:
        payload = await self._send("GET", "/api/v1/market/tickers",
                                   query=f"symbol={quote(self._market_id(symbol), safe='')}")
        rows = self._data(payload, "tickers")
        if not rows:
            raise ExchangeError(ErrorKind.INVALID_REQUEST, f"pionex has no market {symbol}")
        row = rows[0]
        return shapes.ticker("pionex", {"last": row.get("close"), "timestamp": row.get("time")}, symbol)

    async def fetch_balance(self) -> dict[str, float]:
        payload = await self._get_signed(f"{self._account_root}/account/balances")
        totals: dict[str, float] = {}
        for row in self._data(payload, "balances"):
            if not isinstance(row, dict) or not isinstance(row.get("coin"), str):
                raise shapes.bad_shape("pionex", "a balance of an unexpected shape")
            coin = row["coin"]
            free = shapes.number("pionex", f"{coin} balance", row.get("free")) or 0.0
            frozen = shapes.number("pionex", f"{coin} balance", row.get("frozen")) or 0.0
            totals[coin] = free + frozen
        return shapes.balances("pionex", totals)

    async def fetch_permissions(self) -> list[str]:
        return []  # Pionex has no endpoint that describes a key

