"""The JSON shapes the REST API answers with, built from the coordinator's snapshot views.

The connection-settings and system endpoints use the specification's camelCase shapes
(``totalConnections``, ``averageUptime`` as a two-decimal string, ...); the ``/api/v1/exchanges``
endpoints, which the specification names without giving shapes, use snake_case like its Python
API. Nothing here sees a secret: the views carry the masked key only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from statistics import fmean
from typing import Any

from cts_tui.core.fleet_view import exchange_shares
from cts_tui.core.snapshots import ConnectionView, ExchangeView, Snapshot, to_jsonable
from cts_tui.errors import scrub
from cts_tui.models import BatchResult, Connection, ConnectionState, TestResult
from cts_tui.views.streams import StreamView


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _fixed2(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


# --- connections --------------------------------------------------------------------------------


def connection_json(view: ConnectionView, record: Connection) -> dict[str, Any]:
    """A connection's settings (masked) and live figures, one object; ``is_active`` as the
    specification's clients read it."""
    data: dict[str, Any] = record.public_dict()
    live = to_jsonable(view)
    data.update(live)
    data["api_key"] = view.api_key_masked
    data["is_active"] = view.state is ConnectionState.ACTIVE
    return data


def connection_brief(view: ConnectionView) -> dict[str, Any]:
    """A row of a list: identity, state and the figures a dashboard shows."""
    return {
        "id": view.id,
        "name": view.name,
        "exchange": view.exchange.value,
        "api_type": view.api_type.value,
        "state": view.state.value,
        "healthy": view.healthy,
        "health_score": _round(view.health_score, 1),
        "latency_ms": _round(view.latency_ms, 1),
        "breaker": view.breaker,
        "rate_limit_usage_pct": _round(view.rate_limit_usage_pct, 1),
    }


def connection_health(view: ConnectionView) -> dict[str, Any]:
    """One entry of ``GET /api/settings/connections/health`` (the metrics the spec tracks)."""
    return {
        "id": view.id,
        "name": view.name,
        "exchange": view.exchange.value,
        "apiType": view.api_type.value,
        "state": view.state.value,
        "healthy": view.healthy,
        "healthScore": _round(view.health_score, 1),
        "lastCheck": view.last_check.isoformat() if view.last_check else None,
        "responseTime": _round(view.latency_ms),
        "p50": _round(view.p50_ms),
        "p95": _round(view.p95_ms),
        "p99": _round(view.p99_ms),
        "errorCount": view.consecutive_errors,
        "successCount": view.consecutive_successes,
        "uptime": _fixed2(view.uptime_pct),
        "successRate": _round(view.success_rate),
        "requests": view.requests,
        "failures": view.failures,
        "rateLimitUsage": _round(view.rate_limit_usage_pct),
        "breaker": view.breaker,
        "breakerUntil": view.breaker_until.isoformat() if view.breaker_until else None,
        "breakerReason": view.breaker_reason,
        "suspect": view.suspect,
        "suspectCount": view.suspects,
        "hedgesSent": view.hedges_sent,
        "hedgesWon": view.hedges_won,
        "lastError": view.last_error,
    }


def health_summary(views: Iterable[ConnectionView]) -> dict[str, Any]:
    """The specification's ``summary`` block, over the connections a filter selected."""
    views = list(views)
    requests = sum(v.requests for v in views)
    failures = sum(v.failures for v in views)
    uptimes = [v.uptime_pct for v in views if v.uptime_pct is not None]
    return {
        "totalConnections": len(views),
        "activeConnections": sum(v.state is ConnectionState.ACTIVE for v in views),
        "healthyConnections": sum(v.healthy for v in views),
        "errorConnections": sum(v.state is ConnectionState.ERROR for v in views),
        "averageUptime": _fixed2(fmean(uptimes)) if uptimes else None,
        "totalRequests": requests,
        "successRate": _round((requests - failures) / requests * 100) if requests else None,
    }


# --- tests --------------------------------------------------------------------------------------


def test_json(result: TestResult) -> dict[str, Any]:
    """The specification's single-test answer, plus why it failed when it did."""
    data: dict[str, Any] = {
        "success": result.success,
        "balance": result.balance,
        "log": [scrub(line) for line in result.log],
        "duration": result.duration_ms,
    }
    if not result.success:
        data["error"] = scrub(result.error or "")
        data["errorKind"] = result.error_kind.value if result.error_kind else None
    return data


def batch_json(result: BatchResult, kind: str = "test") -> dict[str, Any]:
    """The specification's batch shape; a ``capabilities`` batch adds what each key can do."""
    data = result.wire()
    for connection_id, brief in data["results"].items():
        if brief.get("error"):
            brief["error"] = scrub(brief["error"])
        if kind == "capabilities" and brief["success"]:
            tested = result.results[connection_id]
            brief.update(capabilities=tested.capabilities, permissions=tested.permissions)
    return data


# --- exchanges ----------------------------------------------------------------------------------


def exchange_status(view: ExchangeView, connections: list[ConnectionView]) -> dict[str, Any]:
    """One exchange: how many connections work, how fast, how close to its limits."""
    enabled = [c for c in connections if c.enabled]
    healthy = sum(c.healthy for c in enabled)
    if not connections:
        status = "no_connections"
    elif not enabled:
        status = "disabled"
    elif view.banned:
        status = "banned"
    elif healthy == 0:
        status = "down"
    elif healthy < len(enabled) or view.breakers_open:
        status = "degraded"
    else:
        status = "healthy"
    return {
        "exchange": view.exchange.value,
        "status": status,
        "connections": view.connections,
        "active": view.active,
        "healthy": view.healthy,
        "health_score": _round(fmean(c.health_score for c in connections), 1) if connections else None,
        "requests": view.requests,
        "successes": view.successes,
        "failures": sum(view.failures_by_kind.values()),
        "success_rate": _round(view.successes / view.requests * 100) if view.requests else None,
        "requests_per_s": _round(view.requests_per_s),
        "p50_ms": _round(view.p50_ms),
        "p95_ms": _round(view.p95_ms),
        "breakers_open": view.breakers_open,
        "banned": view.banned,
        "rate_limit_usage_pct": _round(view.rate_limit_usage_pct),
    }


def exchanges_status(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    by_exchange: dict[str, list[ConnectionView]] = {}
    for conn in snapshot.connections:
        by_exchange.setdefault(conn.exchange.value, []).append(conn)
    return {
        view.exchange.value: exchange_status(view, by_exchange.get(view.exchange.value, []))
        for view in snapshot.exchanges.values()
    }


def exchange_performance(view: ExchangeView) -> dict[str, Any]:
    return {
        "requests": view.requests,
        "successes": view.successes,
        "failures_by_kind": dict(view.failures_by_kind),
        "success_rate": _round(view.successes / view.requests * 100) if view.requests else None,
        "requests_per_s": _round(view.requests_per_s),
        "p50_ms": _round(view.p50_ms),
        "p95_ms": _round(view.p95_ms),
        "rate_limit_usage_pct": _round(view.rate_limit_usage_pct),
        "rate_limit": to_jsonable(view.usage),
    }


def stream_json(view: StreamView) -> dict[str, Any]:
    return {
        "exchange": view.exchange,
        "transport": view.transport,
        "url": view.url,
        "symbols": list(view.symbols),
        "state": view.state.value,
        "healthy": view.healthy,
        "since": datetime.fromtimestamp(view.since, UTC).isoformat(),
        "messages": view.messages,
        "messages_per_s": _round(view.messages_per_s),
        "last_message_age_s": _round(view.last_message_age_s, 3),
        "lateness_p50_ms": _round(view.lateness_p50_ms),
        "lateness_p99_ms": _round(view.lateness_p99_ms),
        "stall_threshold_s": _round(view.stall_threshold_s, 3),
        "stalls": view.stalls,
        "reconnects": view.reconnects,
        "malformed": view.malformed,
        "last_error": view.last_error,
    }


def rate_limiter_json(snapshot: Snapshot) -> dict[str, Any] | None:
    """The ``RateLimiterJson`` shape: the backend in force, since when and why."""
    state = snapshot.budgets
    if state is None:
        return None
    return {
        "backend": state.name,
        "since": datetime.fromtimestamp(state.since, UTC).isoformat(),
        "reason": state.reason,
    }


def fleet_json(snapshot: Snapshot) -> dict[str, Any]:
    """The ``FleetAnswer`` shape: the processes the last heartbeat heard, and their shares."""
    fleet, state = snapshot.fleet, snapshot.budgets
    backend = state.name if state is not None else "local"
    if fleet is None:
        return {"backend": backend, "headline": None, "hosts": 0, "processes": [], "exchanges": {}}

    def iso(epoch: float) -> str:
        return datetime.fromtimestamp(epoch, UTC).isoformat()

    return {
        "backend": backend,
        "headline": fleet.headline(),
        "hosts": fleet.hosts,
        "processes": [{"id": m.id, "host": m.host, "pid": m.pid, "kind": m.kind, "version": m.version,
                       "started_at": iso(m.started_at), "seen_at": iso(m.seen_at),
                       "this_process": m.id == fleet.me, "spent": m.spent} for m in fleet.members],
        "exchanges": {name: {"spent": view.spent,
                             "shares": {s.member.id: round(s.share, 4) for s in view.shares}}
                      for name, view in exchange_shares(fleet).items()},
    }


def totals_json(snapshot: Snapshot) -> dict[str, Any]:
    return {k: _round(v) if isinstance(v, float) else v for k, v in to_jsonable(snapshot.totals).items()}


def overall_status(snapshot: Snapshot) -> str:
    """healthy: every enabled connection works; unhealthy: none does; degraded in between."""
    enabled = [c for c in snapshot.connections if c.enabled]
    healthy = sum(c.healthy for c in enabled)
    if enabled and healthy == 0:
        return "unhealthy"
    if healthy < len(enabled) or snapshot.alerts:
        return "degraded"
    return "healthy"


def system_status(snapshot: Snapshot, *, rate_limiting: bool) -> dict[str, Any]:
    """The specification's ``GET /api/system/status`` shape."""
    totals = snapshot.totals
    by_exchange: dict[str, int] = {}
    for conn in snapshot.connections:
        by_exchange[conn.exchange.value] = by_exchange.get(conn.exchange.value, 0) + 1
    return {
        "status": overall_status(snapshot),
        "connections": {"total": totals.connections, "active": totals.active, "byExchange": by_exchange},
        "health": {
            "healthy": totals.healthy,
            "unhealthy": totals.connections - totals.healthy,
            "averageUptime": _fixed2(totals.average_uptime_pct),
        },
        "metrics": {
            "totalRequests": totals.requests,
            "successRate": _fixed2(totals.success_rate),
            "averageResponseTime": _fixed2(totals.average_latency_ms),
        },
        "batch": {
            "queueLength": snapshot.batch.queued,
            "activeTasks": snapshot.batch.running,
            "completedTasks": snapshot.batch.completed,
        },
        "features": {
            "rateLimiting": "enabled" if rate_limiting else "disabled",
            "batchProcessing": "enabled",
            "healthMonitoring": "enabled",
        },
    }
