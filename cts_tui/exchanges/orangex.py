"""OrangeX, natively: JSON-RPC 2.0 over ``POST /api/v1/<method>``.

Private methods take a bearer token from ``/public/auth``. The token is asked for with the
``client_signature`` grant (hex HMAC-SHA256 of ``client_id\\ntimestamp\\nnonce\\n``; the secret
never leaves the process) and, when the exchange refuses that grant, with ``client_credentials``.
It is cached per connection, renewed with the refresh token before it expires, and asked for again
once if the exchange rejects it anyway. Every answer carries ``usIn``/``usOut`` (server
microseconds), from which the clock is kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cts_tui.errors import ErrorKind, ExchangeError, register_secret
from cts_tui.exchanges import shapes
from cts_tui.exchanges.native import NativeClient, Signed

ROOT = "/api/v1"
AUTH_FAILURE = "10000"
REFRESH_MARGIN_S = 60.0
MAX_TOKEN_LIFETIME_S = 86_400.0
_ids = itertools.count(1)


@dataclass(slots=True)
class Token:
    access: str
    refresh: str | None
    expires_at: float  # local monotonic seconds
    lifetime_s: float

    def due(self) -> bool:
        """Renew when less than a minute (or half the lifetime, if shorter) is left."""
        margin = min(REFRESH_MARGIN_S, self.lifetime_s / 2)
        return time.monotonic() >= self.expires_at - margin


class OrangeXClient(NativeClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token: Token | None = None
        self._auth_lock = asyncio.Lock()
        self.grant_used: str | None = None
        """The grant that produced the current token."""
        self._permissions: list[str] = []

    @property
    def quote(self) -> str:
        return "USDT"

    @property
    def _kind(self) -> str:
        return "PERPETUAL" if self.is_perpetual else "SPOT"

    def _server_time(self, payload: Any) -> float | None:
        # usIn/usOut would do, but the simulator stamps them with the unskewed host clock while
        # get_time follows its (skewable) server clock: only get_time's answer is sampled.
        return None

    async def _rpc(
        self,
        method: str,
        params: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
        *,
        token: str | None = None,
        time_of: Callable[[Any], float | None] | None = None,
    ) -> Any:
        """``params`` as a function: parameters that carry a signed timestamp, made once the
        request's permit is granted."""
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"bearer {token}"

        def request() -> Signed:
            values = params() if callable(params) else params
            body = json.dumps({"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": values or {}})
            return "", body, headers

        # OrangeX counts a bearer's requests per token and the rest, /public/auth too, per IP.
        account = self._connection.account if token is not None else None
        payload = await self._send("POST", ROOT + method, account=account, time_of=time_of, sign=request)
        if not isinstance(payload, dict) or "result" not in payload:
            raise ExchangeError(ErrorKind.BAD_RESPONSE, f"orangex answer to {method} has no result")
        return payload["result"]

    # --- the token ----------------------------------------------------------------------------

    async def _access_token(self) -> str:
        async with self._auth_lock:
            token = self._token
            if token is None or token.due():
                token = self._token = await self._renew(token)
            return token.access

    async def _renew(self, token: Token | None) -> Token:
        if token is not None and token.refresh is not None and time.monotonic() < token.expires_at:
            try:
                return await self._grant({"grant_type": "refresh_token", "refresh_token": token.refresh}, "refresh_token")
            except ExchangeError as exc:
                if exc.kind is not ErrorKind.AUTH:
                    raise
        return await self._authenticate()

    async def _authenticate(self) -> Token:
        client_id = self._connection.api_key.get_secret_value()
        secret = self._connection.api_secret.get_secret_value()
        await self._clock.ensure_synced(self._sync_clock)

        def signed() -> dict[str, Any]:
            timestamp, nonce = str(self._clock.now_ms()), secrets.token_hex(8)
            signature = hmac.new(
                secret.encode(), f"{client_id}\n{timestamp}\n{nonce}\n".encode(), hashlib.sha256
            ).hexdigest()
            return {"grant_type": "client_signature", "client_id": client_id, "timestamp": timestamp,
                    "nonce": nonce, "signature": signature}

        try:
            return await self._grant(signed, "client_signature")
        except ExchangeError as exc:
            if exc.kind is not ErrorKind.AUTH:
                raise
        return await self._grant(
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
            "client_credentials",
        )

    async def _grant(self, params: dict[str, Any] | Callable[[], dict[str, Any]], grant: str) -> Token:
        result = await self._rpc("/public/auth", params)
        access = result.get("access_token") if isinstance(result, dict) else None
        if not isinstance(access, str) or not access:
            raise ExchangeError(ErrorKind.BAD_RESPONSE, "orangex auth answer has no access_token")
        refresh = result.get("refresh_token")
        register_secret(access)
        if isinstance(refresh, str):
            register_secret(refresh)
        # Bounded: an absurd lifetime (1e308 s) must not keep a token for ever.
        lifetime = min(max(float(result.get("expires_in") or 0), 0.0), MAX_TOKEN_LIFETIME_S) or REFRESH_MARGIN_S
        self.grant_used = grant
        self._permissions = _permissions(str(result.get("scope") or ""))
        return Token(access, refresh if isinstance(refresh, str) else None, time.monotonic() + lifetime, lifetime)

    async def _private(self, method: str, params: dict[str, Any]) -> Any:
        """A private call; a token the exchange no longer accepts is replaced once."""
        try:
            return await self._rpc(method, params, token=await self._access_token())
        except ExchangeError as exc:
            if exc.kind is not ErrorKind.AUTH or exc.code != AUTH_FAILURE:
                raise
        async with self._auth_lock:
            self._token = None
        return await self._rpc(method, params, token=await self._access_token())

    # --- the interface ------------------------------------------------------------------------

    async def load_markets(self) -> dict[str, Any]:
        kind = self._kind

        async def load() -> dict[str, Any]:
            rows = await self._rpc("/public/get_instruments", {"currency": kind})
            if not isinstance(rows, list):
                raise ExchangeError(ErrorKind.BAD_RESPONSE, "orangex instruments are not a list")
            markets = {}
            for row in rows:
                base, quote_ = row.get("base_currency"), row.get("quote_currency")
                symbol = f"{base}/{quote_}:{quote_}" if kind == "PERPETUAL" else f"{base}/{quote_}"
                markets[symbol] = {"id": row.get("instrument_name"), "symbol": symbol, "base": base,
                                   "quote": quote_, "type": "swap" if kind == "PERPETUAL" else "spot",
                                   "active": row.get("is_active", True)}
            return markets

        return await self._shared(("orangex", kind, self._base_url), load)

    async def _fetch_server_time(self) -> int:
        result = await self._rpc("/public/get_time", time_of=_result_time)
        return shapes.server_time("orangex", result)

    async def fetch_ticker(self, symbol: str) -> dict[str, Any]:
        base_quote = symbol.split(":")[0].replace("/", "-")
        row = await self._rpc("/public/ticker", {"instrument_name": f"{base_quote}-{self._kind}"})
        if not isinstance(row, dict):
            raise ExchangeError(ErrorKind.BAD_RESPONSE, "orangex ticker is not an object")
        return shapes.ticker("orangex", {"last": row.get("last_price"), "bid": row.get("best_bid_price"),
                                         "ask": row.get("best_ask_price"), "timestamp": row.get("timestamp")}, symbol)

    async def fetch_balance(self) -> dict[str, float]:
        result = await self._private("/private/get_assets_info", {"asset_type": [self._kind]})
        section = result.get(self._kind) if isinstance(result, dict) else None
        if not isinstance(section, dict):
            raise ExchangeError(ErrorKind.BAD_RESPONSE, "orangex assets answer lacks the account")
        if self._kind == "PERPETUAL":
            total = section.get("total_margin_balance") or section.get("wallet_balance") or 0.0
            return shapes.balances("orangex", {section.get("currency", "USDT"): total})
        totals: dict[str, Any] = {}
        for row in section.get("details") or []:
            coin = row.get("coin_type") if isinstance(row, dict) else None
            if not isinstance(coin, str):
                raise shapes.bad_shape("orangex", "a balance of an unexpected shape")
            totals[coin] = row.get("total") or 0.0
        return shapes.balances("orangex", totals)

    async def fetch_permissions(self) -> list[str]:
        """OrangeX states a token's scope ("account:read_write trade:read wallet:read") at auth."""
        await self._access_token()
        return list(self._permissions)


def _result_time(payload: Any) -> float | None:
    result = payload.get("result") if isinstance(payload, dict) else None
    return float(result) if isinstance(result, (int, float)) else None


def _permissions(scope: str) -> list[str]:
    areas = dict(part.split(":", 1) for part in scope.split() if ":" in part)
    flags = {
        "read": bool(areas),
        "trade": areas.get("trade") == "read_write",
        "withdraw": areas.get("wallet") == "read_write",
    }
    return [name for name, allowed in flags.items() if allowed]

