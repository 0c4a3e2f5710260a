"""Folding connection views into exchange views and totals (pure functions of the views)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from cts_tui.core.snapshots import ConnectionView, ExchangeView, Totals
from cts_tui.core.stats import ConnectionStats, LatencyStats, success_pct
from cts_tui.models import ConnectionState, ExchangeId


def usage_pct(usage: Any) -> float:
    """The fullest window of the limiter's ``ExchangeUsage`` in percent (0 without a limiter)."""
    return 0.0 if usage is None else round(100.0 * usage.fraction, 1)


def is_banned(usage: Any) -> bool:
    return usage is not None and usage.banned_until is not None and usage.banned_until > time.time()


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def totals(views: Iterable[ConnectionView], requests_per_s: float) -> Totals:
    views = list(views)
    requests = sum(v.requests for v in views)
    failures = sum(v.failures for v in views)
    return Totals(
        connections=len(views),
        active=sum(1 for v in views if v.state is ConnectionState.ACTIVE),
        healthy=sum(1 for v in views if v.healthy),
        errors=sum(1 for v in views if v.state is ConnectionState.ERROR),
        success_rate=round(100.0 * (requests - failures) / requests, 2) if requests else None,
        requests=requests,
        requests_per_s=round(requests_per_s, 1),
        average_uptime_pct=_mean(v.uptime_pct for v in views),
        average_latency_ms=_mean(v.latency_ms for v in views),
    )


def exchange_view(
    exchange: ExchangeId,
    views: Iterable[ConnectionView],
    stats: Iterable[ConnectionStats],
    latency: LatencyStats,
    usage: Any,
    pool: Mapping[str, Any],
) -> ExchangeView:
    """``stats``: the statistics of the exchange's connections, whose sums are the exchange's;
    ``latency``: the exchange's own samples (a sum of percentiles would mean nothing)."""
    views = list(views)
    requests = successes = ok = failed = 0
    per_second = 0.0
    failures_by_kind: Counter[str] = Counter()
    for one in stats:
        requests += one.requests
        successes += one.successes
        failures_by_kind.update(one.failures_by_kind)
        good, bad = one.recent.totals()
        ok, failed = ok + good, failed + bad
        per_second += one.recent.per_second()
    return ExchangeView(
        exchange=exchange,
        connections=len(views),
        active=sum(1 for v in views if v.state is ConnectionState.ACTIVE),
        healthy=sum(1 for v in views if v.healthy),
        usage=usage,
        rate_limit_usage_pct=usage_pct(usage),
        requests=requests,
        successes=successes,
        failures_by_kind=dict(failures_by_kind),
        success_rate=success_pct(ok, failed),
        recent_requests=ok + failed,
        requests_per_s=round(per_second, 1),
        p50_ms=latency.percentile(50),
        p95_ms=latency.percentile(95),
        breakers_open=sum(1 for v in views if v.breaker != "closed"),
        banned=is_banned(usage),
        pool=pool,
    )
