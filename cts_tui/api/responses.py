"""The success bodies of the specification-shaped endpoints, as pydantic models.

They document the wire shapes in openapi.json, and the tests validate real answers against them
(``extra="forbid"``), so a drift between ``wire.py`` and the document fails a test. Connection
objects themselves stay open (``dict``): they carry every setting and live figure.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Liveness(_Shape):
    status: Literal["ok"]
    uptime_s: float


class ConnectionCounts(_Shape):
    total: int
    active: int
    byExchange: dict[str, int]  # noqa: N815 - the specification's wire names


class HealthCounts(_Shape):
    healthy: int
    unhealthy: int
    averageUptime: str | None  # noqa: N815


class RequestFigures(_Shape):
    totalRequests: int  # noqa: N815
    successRate: str | None  # noqa: N815
    averageResponseTime: str | None  # noqa: N815


class BatchFigures(_Shape):
    queueLength: int  # noqa: N815
    activeTasks: int  # noqa: N815
    completedTasks: int  # noqa: N815


class Features(_Shape):
    rateLimiting: Literal["enabled", "disabled"]  # noqa: N815
    batchProcessing: Literal["enabled", "disabled"]  # noqa: N815
    healthMonitoring: Literal["enabled", "disabled"]  # noqa: N815


class SystemStatus(_Shape):
    status: Literal["healthy", "degraded", "unhealthy"]
    connections: ConnectionCounts
    health: HealthCounts
    metrics: RequestFigures
    batch: BatchFigures
    features: Features


class ConnectionList(_Shape):
    success: Literal[True]
    count: int
    filters: dict[str, Any]
    connections: list[dict[str, Any]]


class ConnectionAnswer(_Shape):
    success: Literal[True]
    connection: dict[str, Any]
    warnings: list[str] = []
    """Fields of the request the exchange has no use for, ignored."""


class Deleted(_Shape):
    success: Literal[True]
    id: str


class TestAnswer(_Shape):
    __test__ = False  # not a pytest class

    success: bool
    balance: float | None
    log: list[str]
    duration: int
    error: str | None = None
    errorKind: str | None = None  # noqa: N815


class BatchEntry(_Shape):
    success: bool
    balance: float | None = None
    error: str | None = None
    errorKind: str | None = None  # noqa: N815
    capabilities: list[str] | None = None
    """testType capabilities: the methods the connection supports..."""
    permissions: list[str] | None = None
    """...and what its key may do, where the exchange tells (read, trade, withdraw...)."""


class BatchAnswer(_Shape):
    success: bool
    totalConnections: int  # noqa: N815
    successful: int
    failed: int
    duration: int
    results: dict[str, BatchEntry]


class ExchangeBatchAnswer(BatchAnswer):
    exchange: str


class HealthSummary(_Shape):
    totalConnections: int  # noqa: N815
    activeConnections: int  # noqa: N815
    healthyConnections: int  # noqa: N815
    errorConnections: int  # noqa: N815
    averageUptime: str | None  # noqa: N815
    totalRequests: int  # noqa: N815
    successRate: float | None  # noqa: N815


class HealthAnswer(_Shape):
    timestamp: str
    summary: HealthSummary
    connections: list[dict[str, Any]]


class StrategyAnswer(_Shape):
    success: Literal[True]
    strategy: str
    previous: str


class HealthCheckAnswer(_Shape):
    success: Literal[True]
    checked: int
    healthy: int
    results: dict[str, bool]
    duration_ms: int


class SwitchAnswer(_Shape):
    success: Literal[True]
    exchange: str
    enabled: bool
    changed: list[str]
    connections: list[dict[str, Any]]


class StreamJson(_Shape):
    """One exchange's live market stream (``cts_tui.views.streams.StreamView``)."""

    exchange: str
    transport: Literal["ccxt.pro", "native"]
    url: str
    symbols: list[str]
    state: Literal["connecting", "live", "stalled", "reconnecting", "closed"]
    healthy: bool
    since: str
    messages: int
    messages_per_s: float
    last_message_age_s: float | None
    lateness_p50_ms: float | None
    lateness_p99_ms: float | None
    stall_threshold_s: float
    stalls: int
    reconnects: int
    malformed: int
    last_error: str | None


class StreamsAnswer(_Shape):
    timestamp: str
    enabled: bool
    streams: dict[str, StreamJson]


class PoolAnswer(_Shape):
    exchange: str
    pool: dict[str, Any]
    hosts: dict[str, dict[str, Any]]
    shared: dict[str, Any]


class KeyRiskJson(_Shape):
    risk: str
    severity: Literal["info", "low", "medium", "high", "critical"]
    message: str
    fix: str


class KeyAuditEntry(_Shape):
    id: str
    name: str
    exchange: str
    intended_use: Literal["monitor", "trade"]
    worst: Literal["info", "low", "medium", "high", "critical"] | None
    risks: list[KeyRiskJson]
    read_at: str | None
    permissions: list[str] | None
    ip_restricted: bool | None
    ips: list[str]
    expires_at: str | None
    expires_in_s: float | None
    not_reported: list[str]
    unknown: str | None


class KeyAudit(_Shape):
    success: Literal[True]
    connections: list[KeyAuditEntry]
    risks: dict[str, int]
    """Risks found per severity."""
    errors: dict[str, str] = {}
    """Keys a read on demand could not read: id -> why (``POST /api/v1/keys/read`` only)."""


class RateLimiterJson(_Shape):
    """Where the rate-limit budgets are counted now (``views.limits.BackendState``)."""

    backend: Literal["redis", "local", "fallback"]
    """redis: shared with every process on the same Redis; fallback: Redis is unreachable and
    this process counts its fair share alone; local: this process alone, by configuration."""
    since: str
    """When this backend took over (ISO 8601, UTC)."""
    reason: str | None
    """Why the fallback is in force ("redis unreachable (ConnectionError)"); null otherwise."""


class FleetProcessJson(_Shape):
    id: str
    host: str
    pid: int
    kind: str
    """tui, serve, cli or library."""
    version: str
    started_at: str
    """ISO 8601, UTC."""
    seen_at: str
    """Its last heartbeat (ISO 8601, UTC, by Redis's clock)."""
    this_process: bool
    spent: dict[str, int]
    """Requests it sent per exchange in the last minute."""


class FleetExchangeJson(_Shape):
    spent: int
    """Fleet-wide requests in the last minute."""
    shares: dict[str, float]
    """Process id -> its share of them (0..1)."""


class FleetAnswer(_Shape):
    """Every process spending the same shared budgets (``ratelimit/fleet.py``)."""

    backend: Literal["redis", "local", "fallback"]
    headline: str | None
    """"3 processes on 2 hosts share these budgets"; null when budgets are not shared."""
    hosts: int
    processes: list[FleetProcessJson]
    exchanges: dict[str, FleetExchangeJson]


class PerformanceAnswer(_Shape):
    timestamp: str
    totals: dict[str, Any]
    exchanges: dict[str, dict[str, Any]]
    rate_limiter: RateLimiterJson | None


class DashboardAnswer(_Shape):
    timestamp: str
    system: SystemStatus
    totals: dict[str, Any]
    strategy: str
    scheduler: dict[str, Any]
    exchanges: dict[str, dict[str, Any]]
    connections: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    recent_alerts: list[dict[str, Any]]
    rate_limiter: RateLimiterJson | None
