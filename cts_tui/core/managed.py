"""One connection as the coordinator holds it: the stored model plus what was measured."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cts_tui.config import Config, Health
from cts_tui.core.breaker import BreakerState, CircuitBreaker
from cts_tui.core.health import health_score
from cts_tui.core.key_policy import KeyAssessment
from cts_tui.core.snapshots import ConnectionView, TestSummary
from cts_tui.core.stats import Clock, ConnectionStats, LatencyStats
from cts_tui.core.suspicion import NOT_ANSWERING, Call, WatchState
from cts_tui.errors import mask
from cts_tui.models import Connection, ConnectionState, ExchangeId, TestResult

if TYPE_CHECKING:
    from cts_tui.ratelimit.plan import Plan


class ManagedConnection:
    """``on_change`` is called whenever something that decides where requests may go changes:
    the stored connection (its state, its settings) or the breaker's state."""

    def __init__(
        self,
        connection: Connection,
        config: Config,
        clock: Clock = time.monotonic,
        *,
        exchange_latency: LatencyStats | None = None,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._clock = clock
        self._on_change = on_change
        self._connection = connection
        self.id: str = connection.id
        self.exchange: ExchangeId = connection.exchange
        """Plain attributes (not read through the model) because every request reads them."""
        self.stats = ConnectionStats(config.health.uptime_window_s, clock, exchange_latency)
        self.breaker = CircuitBreaker(config.health, clock, on_change)
        self.exchange_weight = config.limits(connection.exchange).weight
        self.routing = config.routing.for_exchange(connection.exchange)
        self.budget_aware = self.routing.budget_aware
        self.last_test: TestSummary | None = None
        self.balance: float | None = None
        self.lock = asyncio.Lock()
        """Serialises tests and state transitions of this connection."""
        self.probe: asyncio.Task[None] | None = None
        self.calls: dict[asyncio.Task[Any], Call] = {}
        """Reads in flight through ``execute_request``: the caller's task -> its call. The
        watchdog (``core/suspicion.py``) reads it every tick; a request does two dict writes."""
        self.plans: dict[str, Plan] = {}
        """What a method's request on this connection is charged to (learned on its first call):
        budget-aware routing asks the limiter whether it could be sent now."""
        self.watch = WatchState()
        self.breaker_reason: str | None = None
        """Why the breaker is open ("not answering", or the last failure's kind)."""

    @property
    def connection(self) -> Connection:
        return self._connection

    @connection.setter
    def connection(self, connection: Connection) -> None:
        """The stored connection after a change (its state, an edit): whoever routes requests
        is told."""
        self._connection = connection
        self.id, self.exchange = connection.id, connection.exchange
        self._on_change()

    def reset_breaker(self, settings: Health) -> None:
        self.breaker = CircuitBreaker(settings, self._clock, self._on_change)
        self._on_change()

    def reconfigure(self, config: Config) -> None:
        self.plans.clear()  # the limiter made new plans
        self.breaker.settings = config.health
        self.stats.uptime.resize(config.health.uptime_window_s)
        self.exchange_weight = config.limits(self.connection.exchange).weight
        self.routing = config.routing.for_exchange(self.connection.exchange)
        self.budget_aware = self.routing.budget_aware

    # --- what the balancer reads (balancer.Candidate) ---------------------------------------

    @property
    def effective_weight(self) -> float:
        """The connection's weight scaled by its exchange's weight (both 100 by default)."""
        return self.connection.weight * self.exchange_weight / 100

    @property
    def latency_ms(self) -> float | None:
        return self.stats.latency.ewma_ms

    @property
    def in_flight(self) -> int:
        return self.stats.in_flight

    @property
    def requests(self) -> int:
        return self.stats.requests

    # --- state -------------------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self.connection.state

    def takes_traffic(self) -> bool:
        return self.connection.state is ConnectionState.ACTIVE and self.breaker.allows_traffic

    def healthy(self, threshold: int) -> bool:
        return self.takes_traffic() and self.stats.consecutive_errors < threshold

    def record_test(self, result: TestResult) -> None:
        self.last_test = TestSummary.of(result)
        if result.success and result.balance is not None:
            self.balance = result.balance

    def view(
        self, config: Config, usage_pct: float, stream_factor: float = 1.0, key: KeyAssessment | None = None
    ) -> ConnectionView:
        conn, stats, latency = self.connection, self.stats, self.stats.latency
        threshold = config.health.breaker_threshold
        until = None
        if self.breaker.state is BreakerState.OPEN:
            until = datetime.now(UTC) + timedelta(seconds=self.breaker.remaining_s())
        return ConnectionView(
            id=conn.id,
            name=conn.name,
            exchange=conn.exchange,
            api_type=conn.api_type,
            is_testnet=conn.is_testnet,
            enabled=conn.enabled,
            state=conn.state,
            healthy=self.healthy(threshold),
            health_score=health_score(
                uptime_pct=stats.uptime.rate_pct(),
                latency_ms=latency.ewma_ms,
                usage_pct=usage_pct,
                consecutive_errors=stats.consecutive_errors,
                threshold=threshold,
                breaker_closed=self.breaker.state is BreakerState.CLOSED,
                in_error=conn.state is ConnectionState.ERROR,
                stream=stream_factor,
            ),
            latency_ms=latency.ewma_ms,
            p50_ms=latency.percentile(50),
            p95_ms=latency.percentile(95),
            p99_ms=latency.percentile(99),
            success_rate=stats.recent.rate_pct(),
            uptime_pct=stats.uptime.rate_pct(),
            requests=stats.requests,
            failures=stats.failures,
            consecutive_errors=stats.consecutive_errors,
            consecutive_successes=stats.consecutive_successes,
            breaker=self.breaker.state.value,
            breaker_until=until,
            last_check=stats.last_check,
            last_error=stats.last_error,
            last_test=self.last_test,
            balance=self.balance,
            rate_limit_usage_pct=usage_pct,
            in_flight=stats.in_flight,
            latency_history=latency.history(),
            weight=conn.weight,
            tags=tuple(conn.tags),
            api_key_masked=mask(conn.api_key.get_secret_value()),
            origin=conn.origin,
            breaker_reason=self.breaker_reason if self.breaker.state is not BreakerState.CLOSED else None,
            suspect=self.suspect,
            suspects=self.watch.suspects,
            hedges_sent=self.watch.hedges_sent,
            hedges_won=self.watch.hedges_won,
            key=key,
        )

    @property
    def suspect(self) -> bool:
        return self.breaker.state is not BreakerState.CLOSED and self.breaker_reason == NOT_ANSWERING
