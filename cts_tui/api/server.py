"""Running the application on a socket, and stopping it gracefully.

``stop()`` closes the listening socket first, then waits up to ``drain_s`` for requests already
in flight to finish before closing their connections: what SIGTERM does under ``serve``.

Hostile clients cost little: a connection that has not sent a complete request (nothing at all,
headers cut short) or sits idle after its answer is closed after ``read_timeout_s``, and so is a
request whose body does not arrive within it (``endpoints._parse_body``). Open connections are
capped below the file-descriptor limit: at the cap a new connection first evicts the oldest idle
one, and is refused with a bare 503 only when every open connection is busy with a request;
refusals are logged at most once per ``REFUSAL_LOG_EVERY_S``, never a line per connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import resource
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

log = logging.getLogger("cts_tui.api")
READ_TIMEOUT = web.AppKey("cts_read_timeout_s", float)

READ_TIMEOUT_S = 10.0
"""Longest wait for a request's headers (from connect or the previous answer) or its body."""
MAX_CONNECTIONS = 1000
FD_RESERVE = 128
"""File descriptors kept free of API connections: the store, the exchanges' pool, logs, and the
connections the kernel hands over in one accept burst before the cap sees them."""
ACCEPT_BACKLOG = 64
REFUSAL_LOG_EVERY_S = 10.0
_REFUSAL = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"


def connection_cap(limit: int | None = None) -> int:
    """MAX_CONNECTIONS, or fewer where the process may open fewer file descriptors."""
    if limit is None:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        limit = soft if soft != resource.RLIM_INFINITY else 1 << 20
    return max(8, min(MAX_CONNECTIONS, limit // 2, limit - FD_RESERVE))


class _Refused(asyncio.Protocol):
    """A connection over the cap: a bare 503 and closed, nothing read."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(_REFUSAL)  # type: ignore[attr-defined]
        transport.close()


class _Gate:
    """The protocol factory in front of aiohttp's: counts open connections against the cap."""

    def __init__(self, server: web.Server, cap: int) -> None:
        self._server = server
        self.cap = cap
        self.refused = 0
        self.evicted = 0
        self._unlogged = 0
        self._logged_at = float("-inf")

    def __call__(self) -> asyncio.BaseProtocol:
        connections = self._server.connections
        if len(connections) >= self.cap and not self._evict_idle(connections):
            self.refused += 1
            self._note_refusal(len(connections))
            return _Refused()
        return self._server()

    def _evict_idle(self, connections: list[Any]) -> bool:
        """Close the oldest connection waiting for a request (none in progress)."""
        for handler in connections:
            waiter = getattr(handler, "_waiter", None)
            if getattr(handler, "_request_in_progress", True) or waiter is None or waiter.done():
                continue
            handler.force_close()
            self.evicted += 1
            return True
        return False

    def _note_refusal(self, open_now: int) -> None:
        self._unlogged += 1
        now = time.monotonic()
        if now - self._logged_at >= REFUSAL_LOG_EVERY_S:
            log.warning(
                "API connections at the cap (%d open, cap %d, all busy): refused %d new connection(s)",
                open_now, self.cap, self._unlogged,
            )
            self._logged_at, self._unlogged = now, 0


class _OncePer(logging.Filter):
    """Lets a kind of message through at most once per ``every_s``: what a hostile client can
    make a server say once per connection (asyncio's accept errors when descriptors run out,
    aiohttp's traceback for every malformed request) must not flood the log."""

    def __init__(self, every_s: float, kind: Callable[[logging.LogRecord], str | None]) -> None:
        super().__init__()
        self._every_s = every_s
        self._kind = kind
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        kind = self._kind(record)
        if kind is None:
            return True
        now = time.monotonic()
        if now - self._last.get(kind, float("-inf")) < self._every_s:
            return False
        self._last[kind] = now
        return True


def _accept_errors(record: logging.LogRecord) -> str | None:
    return "accept" if "out of system resource" in str(record.msg) else None


def _malformed_requests(record: logging.LogRecord) -> str | None:
    """aiohttp answers a request it cannot parse with 400 and logs the parser's traceback at
    ERROR: one warning line instead, and only now and then."""
    error = record.exc_info[1] if record.exc_info else None
    if not isinstance(error, HttpProcessingError):
        return None
    record.levelno, record.levelname = logging.WARNING, "WARNING"
    record.msg, record.args = "malformed HTTP request answered 400 (%s); more are not logged for a while", (
        " ".join(str(error.message).split())[:120],
    )
    record.exc_info = record.exc_text = None
    return "malformed"


_ASYNCIO_FILTER = _OncePer(REFUSAL_LOG_EVERY_S, _accept_errors)
_AIOHTTP_FILTER = _OncePer(REFUSAL_LOG_EVERY_S, _malformed_requests)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ApiServer:
    def __init__(
        self,
        app: web.Application,
        host: str = "127.0.0.1",
        port: int = 8000,
        drain_s: float = 10.0,
        *,
        read_timeout_s: float = READ_TIMEOUT_S,
        max_connections: int | None = None,
    ) -> None:
        # keepalive_timeout: aiohttp closes a connection still waiting for a complete request
        # this long after it opened or after its last answer (headers cut short included);
        # lingering_time: how long the unread rest of a refused body is drained before closing.
        self._runner = web.AppRunner(
            app, shutdown_timeout=drain_s, keepalive_timeout=read_timeout_s, lingering_time=read_timeout_s
        )
        app[READ_TIMEOUT] = read_timeout_s
        self._host = host
        self._port = port
        self._max_connections = max_connections
        self._listener: asyncio.base_events.Server | None = None
        self.gate: _Gate | None = None

    async def start(self) -> None:
        await self._runner.setup()
        try:
            assert self._runner.server is not None
            self.gate = _Gate(self._runner.server, self._max_connections or connection_cap())
            logging.getLogger("asyncio").addFilter(_ASYNCIO_FILTER)
            logging.getLogger("aiohttp.server").addFilter(_AIOHTTP_FILTER)
            self._listener = await asyncio.get_running_loop().create_server(
                self.gate, self._host, self._port, backlog=ACCEPT_BACKLOG, reuse_address=True
            )
        except BaseException:
            await self._runner.cleanup()
            raise

    @property
    def url(self) -> str:
        """The base URL actually bound (port 0 resolved)."""
        assert self._listener is not None
        host, port = self._listener.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()  # no new connections; those open drain below
            self._listener = None
        await self._runner.cleanup()

    async def __aenter__(self) -> ApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
