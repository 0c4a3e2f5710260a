"""The one client interface every exchange speaks, and the connection test built on it.

A client belongs to one connection. The test is written once, here, from the interface's steps
(markets, server time, balance, permissions), so that every exchange reports the same way: a
timestamped line per step, the failing step named, and the error classified.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from cts_tui.errors import ErrorKind, ExchangeError, scrub
from cts_tui.exchanges.shapes import SHAPE_ERRORS, bad_shape, server_time
from cts_tui.key_facts import KeyFacts
from cts_tui.models import Connection, TestResult

# Methods that need no credentials: everything else is signed and waits for a synced clock.
PUBLIC_METHODS = frozenset(
    {
        "load_markets", "fetch_markets", "fetch_time", "fetch_status", "fetch_ticker",
        "fetch_tickers", "fetch_order_book", "fetch_trades", "fetch_ohlcv", "fetch_currencies",
        "fetch_bids_asks", "fetch_last_prices", "fetch_funding_rate", "fetch_mark_price",
    }
)

# The interface's own methods: every client, native or not, supports these through ``call``.
INTERFACE_METHODS = frozenset(
    {"load_markets", "fetch_time", "fetch_ticker", "fetch_balance", "fetch_permissions", "fetch_key_facts"}
)


class TestLog:
    """Timestamped lines a user reads to see what a test did (wall-clock, millisecond)."""

    __test__ = False

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, text: str) -> None:
        stamp = datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3]
        self.lines.append(f"[{stamp}] {scrub(text)}")


class ExchangeClient(ABC):
    """One connection's client. Every failure is an ``ExchangeError`` with its kind."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    @property
    def connection(self) -> Connection:
        return self._connection

    @property
    def exchange(self) -> str:
        return self._connection.exchange.value

    @property
    @abstractmethod
    def quote(self) -> str:
        """The account's quote asset; the test reports USDT when held, else this one."""

    @abstractmethod
    async def load_markets(self) -> dict[str, Any]: ...

    @abstractmethod
    async def fetch_time(self) -> int:
        """The exchange's time in epoch milliseconds."""

    @abstractmethod
    async def fetch_ticker(self, symbol: str) -> dict[str, Any]:
        """symbol, last, bid, ask, timestamp."""

    @abstractmethod
    async def fetch_balance(self) -> dict[str, float]:
        """Asset -> total, for the account of the connection's API type (non-zero only)."""

    @abstractmethod
    async def fetch_permissions(self) -> list[str]:
        """What the key may do ("read", "trade", "withdraw", ...); empty when not reported."""

    async def fetch_key_facts(self) -> KeyFacts:
        """Permissions, IP restriction and expiry as the exchange reports them. Where a client
        knows only the permissions (or nothing), the rest is "not reported"."""
        permissions = await self.fetch_permissions()
        return KeyFacts(permissions=permissions or None)

    @abstractmethod
    def call(self, method: str, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        """Run a ccxt unified method by name (what ``ExchangeManager.execute_request`` uses);
        every failure, an unsupported method included, is raised when it is awaited."""

    @abstractmethod
    def supports(self, method: str) -> bool: ...

    @abstractmethod
    def capabilities(self) -> list[str]:
        """The unified methods this connection can run, for the test result and the screens."""

    def detach(self) -> None:
        """Let go of everything this client holds, synchronously (the hub's HTTP session is
        shared and closed by the hub)."""

    async def close(self) -> None:
        self.detach()

    async def test_connection(self) -> TestResult:
        """Markets, server time, balance and permissions, each step logged; never raises for an
        exchange failure (the result carries it)."""
        conn = self._connection
        log = TestLog()
        started = time.perf_counter()
        where = "testnet" if conn.is_testnet else "live"
        log.add(f"Testing {conn.name}: {conn.exchange.value} {conn.api_type.value} ({where})")
        step = "markets"
        result: dict[str, Any] = {}
        try:
            markets = await self.load_markets()
            if not isinstance(markets, dict) or not markets:
                raise bad_shape(self.exchange, "no markets")
            log.add(f"Markets loaded: {len(markets)}")
            step = "server time"
            server_ms = server_time(self.exchange, await self.fetch_time())
            skew = server_ms - int(time.time() * 1000)
            log.add(f"Server time {_iso(server_ms)} (local clock off by {skew:+d} ms)")
            step = "balance"
            balances = await self.fetch_balance()
            quote = next((q for q in ("USDT", self.quote) if q in balances), self.quote)
            result.update(balances=balances, balance=balances.get(quote, 0.0), quote=quote)
            log.add(f"Balance: {result['balance']:.8g} {quote} ({len(balances)} assets held)")
            step = "permissions"
            key = await self._key_for_test(log)
            result.update(permissions=(key.permissions or []) if key else [], key=key)
        except (ExchangeError, *SHAPE_ERRORS) as failure:
            exc = failure if isinstance(failure, ExchangeError) else bad_shape(
                self.exchange, f"data of an unexpected shape ({type(failure).__name__})"
            )
            duration = _elapsed_ms(started)
            log.add(f"Failed at {step}: {exc} [{exc.kind.value}]")
            return TestResult(
                connection_id=conn.id,
                success=False,
                quote=self.quote,
                capabilities=self.capabilities(),
                log=log.lines,
                duration_ms=duration,
                error_kind=exc.kind,
                error=str(exc),
            )
        duration = _elapsed_ms(started)
        log.add(f"Passed in {duration} ms")
        return TestResult(
            connection_id=conn.id,
            success=True,
            capabilities=self.capabilities(),
            log=log.lines,
            duration_ms=duration,
            **result,
        )

    async def _key_for_test(self, log: TestLog) -> KeyFacts | None:
        """The key's facts are informative: an exchange that cannot report them (or a testnet
        that lacks the endpoint) does not fail a test whose balance call already proved the key."""
        try:
            key = await self.fetch_key_facts()
        except ExchangeError as exc:
            if exc.kind in (ErrorKind.AUTH, ErrorKind.BANNED, ErrorKind.RATE_LIMITED):
                raise
            log.add(f"Permissions not available: {exc}")
            return None
        permissions = ", ".join(key.permissions) if key.permissions else "not reported by the exchange"
        log.add(f"Permissions: {permissions}")
        log.add(f"Key: {key.describe()}")
        return key


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds")
