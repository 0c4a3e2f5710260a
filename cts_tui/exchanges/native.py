"""Clients written on aiohttp for the exchanges ccxt does not cover (Pionex, OrangeX).

They share the hub's pool, limiter and clocks with the ccxt clients; every request goes through
``NativeClient._send``, which acquires a permit, reports the answer to the limiter, classifies it,
and samples the exchange's clock from the time the answer carries.
"""

from __future__ import annotations

import asyncio
import functools
import time
from abc import abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import yarl

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.errors import ErrorKind, ExchangeError
from cts_tui.exchanges.base import INTERFACE_METHODS, ExchangeClient
from cts_tui.exchanges.ccxt_client import snake_case
from cts_tui.exchanges.classify import (
    HttpReply,
    body_timeout,
    classify_reply,
    is_timestamp_rejection,
    transport_error,
)
from cts_tui.exchanges.context import HubContext
from cts_tui.exchanges.shapes import SHAPE_ERRORS
from cts_tui.models import Connection
from cts_tui.venues import VENUES


FRESH_SAMPLE_S = 5.0

Signed = tuple[str, str | None, dict[str, str]]
"""A signed request's query, body and headers, made by ``_send`` once its permit is granted."""


_SHAPE_ERRORS = SHAPE_ERRORS


def _shape_checked(method: Callable[..., Awaitable[Any]], exchange_name: str) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def checked(self: NativeClient, *args: Any, **kwargs: Any) -> Any:
        try:
            return await method(self, *args, **kwargs)
        except _SHAPE_ERRORS as exc:
            error = ExchangeError(
                ErrorKind.BAD_RESPONSE,
                f"{exchange_name} answered with data of an unexpected shape ({type(exc).__name__})",
            )
        raise error

    return checked


class NativeClient(ExchangeClient):
    """The transport and the interface plumbing; subclasses add signing and the endpoints."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Answers of a wrong shape (a list where an object was documented, a missing field)
        surface as bad_response, like ccxt-backed clients' do, whatever line of parsing meets
        them."""
        super().__init_subclass__(**kwargs)
        for name in INTERFACE_METHODS:
            if name in cls.__dict__:
                setattr(cls, name, _shape_checked(cls.__dict__[name], cls.__name__.removesuffix("Client").lower()))

    def __init__(self, connection: Connection, ctx: HubContext) -> None:
        super().__init__(connection)
        self._ctx = ctx
        self._base_url = (connection.base_url or VENUES[connection.exchange].native_rest_url).rstrip("/")
        self._clock = ctx.clock(connection.exchange)
        self._exchange = connection.exchange

    @property
    def is_perpetual(self) -> bool:
        return self._connection.api_type is ApiType.PERPETUAL_FUTURES

    async def _send(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        body: str | None = None,
        headers: dict[str, str] | None = None,
        account: str | None = None,
        time_of: Callable[[Any], float | None] | None = None,
        sign: Callable[[], Signed] | None = None,
    ) -> Any:
        """One HTTP request; returns the decoded JSON or raises a classified ExchangeError.
        ``time_of`` reads the server time from the answer (default: ``_server_time``). ``sign``
        makes the query, body and headers of a signed request after the permit is granted, so
        its timestamp is taken after any wait for the budget, never before."""
        async with self._ctx.limiter.acquire(self._exchange.value, f"{method} {path}", account=account) as permit:
            if sign is not None:
                query, body, headers = sign()
            url = yarl.URL(f"{self._base_url}{path}" + (f"?{query}" if query else ""), encoded=True)
            record = self._ctx.record_sent()
            sent = time.time()
            try:
                async with self._ctx.pool.session().request(
                    method,
                    url,
                    data=body.encode() if body is not None else None,
                    headers=headers,
                    timeout=self._ctx.timeouts[self._exchange.value],
                ) as response:
                    try:
                        text = await response.text(errors="replace")
                    except TimeoutError:  # the headers came, the body never ended
                        raise body_timeout(self._exchange, self._ctx.timeout_ms(self._exchange)) from None
                    reply = HttpReply(response.status, response.headers, text, time.time())
            except TimeoutError:
                raise transport_error(self._exchange, ErrorKind.TIMEOUT, self._ctx.timeout_ms(self._exchange)) from None
            except aiohttp.ClientError:
                raise transport_error(self._exchange, ErrorKind.NETWORK) from None
            self._ctx.record_reply(permit, record, reply)
        payload = reply.json()
        server_ms = (time_of or self._server_time)(payload)
        if server_ms is not None:
            self._clock.observe(sent, reply.received_at, server_ms)
        error = classify_reply(self._exchange, reply)
        if error is not None:
            raise error
        return payload

    @abstractmethod
    def _server_time(self, payload: Any) -> float | None:
        """The server's time (epoch ms) that an answer carries, if any."""

    async def _signed(self, send: Callable[[], Awaitable[Any]]) -> Any:
        """A signed request, sent with a synced clock and once more after a timestamp rejection."""
        await self._clock.ensure_synced(self._sync_clock)
        try:
            return await send()
        except ExchangeError as exc:
            if not is_timestamp_rejection(self._exchange, exc):
                raise
        await self._clock.ensure_synced(self._sync_clock, force=True)
        return await send()

    async def _sync_clock(self) -> None:
        await self._fetch_server_time()

    async def fetch_time(self) -> int:
        """Every answer carries the server's time, so a recent answer is as good as a request
        (and saves one against budgets as tight as Pionex's 10 weight per second)."""
        age = self._clock.sample_age_s()
        if age is not None and age < FRESH_SAMPLE_S:
            return self._clock.now_ms()
        return await self._fetch_server_time()

    @abstractmethod
    async def _fetch_server_time(self) -> int:
        """Ask the exchange for its time (the cheapest request that carries it)."""

    async def _shared(self, key: tuple[object, ...], load: Callable[[], Awaitable[Any]]) -> Any:
        """Load once per key for the whole hub; concurrent callers share one load."""
        cached = self._ctx.shared_data.get(key)
        if not isinstance(cached, asyncio.Future):
            cached = self._ctx.shared_data[key] = asyncio.ensure_future(load())
        try:
            return await asyncio.shield(cached)
        except BaseException:
            if self._ctx.shared_data.get(key) is cached and cached.done():
                del self._ctx.shared_data[key]
            raise

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        name = snake_case(method)
        if not self.supports(name):
            raise ExchangeError(ErrorKind.INVALID_REQUEST, f"{self.exchange} does not support {name}")
        return await getattr(self, name)(*args, **kwargs)

    def supports(self, method: str) -> bool:
        return snake_case(method) in INTERFACE_METHODS

    def capabilities(self) -> list[str]:
        return sorted(INTERFACE_METHODS)
