"""Immutable views of the coordinator's state: what the TUI and the REST API read.

They never reach into the coordinator's internals; they get a ``Snapshot`` (pushed as a
``SnapshotReady`` event, or ``coordinator.snapshot()``) and render it. Frozen dataclasses, so a
view handed to another task can never change under it. ``to_jsonable`` turns any of them into
JSON-ready data for the REST API (datetimes as ISO 8601, enums as their values).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from cts_tui.core.key_policy import KeyAssessment
from cts_tui.errors import ErrorKind
from cts_tui.models import ApiType, ConnectionState, ExchangeId, TestResult
from cts_tui.views.fleet import Fleet
from cts_tui.views.limits import BackendState

if TYPE_CHECKING:
    from cts_tui.views.streams import StreamView

BreakerStateName = Literal["closed", "open", "half_open"]


@dataclass(frozen=True, slots=True)
class TestSummary:
    """The last test of a connection, short enough for a table cell and a REST field."""

    __test__ = False  # not a pytest class

    at: datetime
    success: bool
    balance: float | None
    duration_ms: int
    error_kind: ErrorKind | None
    error: str | None

    @classmethod
    def of(cls, result: TestResult) -> TestSummary:
        return cls(
            at=result.tested_at,
            success=result.success,
            balance=result.balance,
            duration_ms=result.duration_ms,
            error_kind=result.error_kind,
            error=result.error,
        )


@dataclass(frozen=True, slots=True)
class ConnectionView:
    """One connection as the user sees it: identity, lifecycle state and health figures.

    ``healthy`` means: active, breaker closed, and the last check (if any) succeeded. The
    ``health_score`` formula is documented in ``cts_tui.core.health.health_score``.
    """

    id: str
    name: str
    exchange: ExchangeId
    api_type: ApiType
    is_testnet: bool
    enabled: bool
    state: ConnectionState
    healthy: bool
    health_score: float
    latency_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    success_rate: float | None
    uptime_pct: float | None
    requests: int
    failures: int
    consecutive_errors: int
    consecutive_successes: int
    breaker: BreakerStateName
    breaker_until: datetime | None
    last_check: datetime | None
    last_error: str | None
    last_test: TestSummary | None
    balance: float | None
    rate_limit_usage_pct: float
    in_flight: int
    latency_history: tuple[float, ...]
    weight: int
    tags: tuple[str, ...]
    api_key_masked: str
    origin: str = "store"
    """"env": a connection from the config or the environment, in memory only and read-only."""
    breaker_reason: str | None = None
    """Why the breaker is open: "not answering" (suspicion) or the failures' error kind."""
    suspect: bool = False
    """Out of rotation because its requests went unanswered (until the probe brings it back)."""
    suspects: int = 0
    hedges_sent: int = 0
    """Reads of this connection also sent elsewhere because they were slow..."""
    hedges_won: int = 0
    """...and how many of those the other connection answered first."""
    key: KeyAssessment | None = None
    """The key's facts as last read and the policy's risks (``core/key_policy.py``)."""


@dataclass(frozen=True, slots=True)
class ExchangeView:
    """All connections of one exchange together, with the rate limiter's view of its budget.

    ``usage`` is the limiter's ``ExchangeUsage`` (None when no limiter runs); ``pool`` is the
    hub's HTTP pool figures over the hosts this exchange's connections talk to
    (``core/pool_view.py``): requests, new_connections, reused_connections, reuse_pct, and
    hosts ("host:port" -> the same three counts).
    """

    exchange: ExchangeId
    connections: int
    active: int
    healthy: int
    usage: Any
    rate_limit_usage_pct: float
    requests: int
    successes: int
    failures_by_kind: Mapping[str, int]
    success_rate: float | None
    """Over the last minute (live requests and checks), None before any."""
    recent_requests: int
    requests_per_s: float
    p50_ms: float | None
    p95_ms: float | None
    breakers_open: int
    banned: bool
    pool: Mapping[str, Any]
    stream: StreamView | None = None
    """The exchange's live market stream (None when streams are off or it has none)."""


@dataclass(frozen=True, slots=True)
class Totals:
    connections: int
    active: int
    healthy: int
    errors: int
    success_rate: float | None
    requests: int
    requests_per_s: float
    average_uptime_pct: float | None
    average_latency_ms: float | None


@dataclass(frozen=True, slots=True)
class Alert:
    """One change of an alert: it fired, or it resolved. ``subject`` names the exchange or
    connection it is about (e.g. "binance" or "binance/3f2a9c...")."""

    at: datetime
    rule: str
    subject: str
    state: Literal["firing", "resolved"]
    message: str


@dataclass(frozen=True, slots=True)
class BatchStats:
    """The batch processor's queue figures (the specification's ``batch`` block)."""

    queued: int
    running: int
    completed: int
    failed: int
    cancelled: int


BatchTaskStatus = Literal["queued", "running", "done"]


@dataclass(frozen=True, slots=True)
class BatchTaskView:
    """One task of a batch, as a live view lists it: a batch that sits at 67% must say what the
    rest wait for (a batch slot, the exchange's own slots, its rate-limit budget)."""

    connection_id: str
    exchange: ExchangeId
    status: BatchTaskStatus
    reason: str
    """What it waits for or does, in words that complete its status: "10 of 10 batch slots
    busy", "binance's 2 concurrent slots busy" (queued); "waiting 12 s for bingx's rate-limit
    budget", "sending" (running); the error, or "" when it passed (done)."""
    elapsed_s: float
    """Queued: since it was queued; running: since it started; done: how long it ran."""
    waiting: bool = False
    """Running, but held in the limiter's queue for a permit right now (not the exchange's
    slowness: the request has not gone out)."""
    result: TestResult | None = None


@dataclass(frozen=True, slots=True)
class SchedulerView:
    """Which process on this store runs the scheduled checks (one at a time, by lease)."""

    here: bool
    holder: str | None
    """"tui pid 4242 on host-a"; None while nobody holds the lease (or it is not taken here)."""

    def describe(self) -> str:
        if self.here:
            return "this process"
        return self.holder or "nobody"


@dataclass(frozen=True, slots=True)
class Snapshot:
    at: datetime
    connections: tuple[ConnectionView, ...]
    exchanges: Mapping[ExchangeId, ExchangeView]
    totals: Totals
    alerts: tuple[Alert, ...]
    """Alerts firing now (the history is ``coordinator.alerts.log()``)."""
    strategy: str
    batch: BatchStats
    streams: tuple[StreamView, ...] = ()
    """The live market streams (``cts_tui.streams``), one per exchange; empty when off."""
    scheduler: SchedulerView = SchedulerView(here=False, holder=None)
    budgets: BackendState | None = None
    """Where the rate-limit budgets are counted now and since when (None: no limiter)."""
    fleet: Fleet | None = None
    """The processes sharing the budgets through Redis (None: counted in this process alone)."""

    def connection(self, connection_id: str) -> ConnectionView | None:
        return next((c for c in self.connections if c.id == connection_id), None)

    def stream(self, exchange: ExchangeId | str) -> StreamView | None:
        name = ExchangeId(exchange).value
        return next((s for s in self.streams if s.exchange == name), None)


def to_jsonable(value: Any) -> Any:
    """JSON-ready data from a view (or anything nested in one)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value
