"""Latency statistics, rolling windows and the health score formula."""

from __future__ import annotations

from cts_tui.core.health import health_score
from cts_tui.core.stats import ConnectionStats, LatencyStats, RollingCounts
from cts_tui.errors import ErrorKind


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_latency_percentiles_and_ewma():
    stats = LatencyStats()
    for ms in range(1, 101):
        stats.record(float(ms))
    assert stats.percentile(50) == 50
    assert stats.percentile(95) == 95
    assert stats.percentile(99) == 99
    assert 80 < stats.ewma_ms < 100  # recent samples dominate
    assert stats.history(3) == (98.0, 99.0, 100.0)


def test_rolling_counts_forget_what_left_the_window():
    clock = FakeClock()
    counts = RollingCounts(60, 60, clock)
    counts.record(False)
    clock.now = 30
    counts.record(True)
    assert counts.totals() == (1, 1)
    assert counts.rate_pct() == 50
    clock.now = 75
    assert counts.totals() == (1, 0)
    clock.now = 200
    assert counts.rate_pct() is None


def test_rate_limit_answers_are_not_downtime():
    stats = ConnectionStats(3600)
    stats.record_success(0.010)
    stats.record_failure(ErrorKind.RATE_LIMITED, "slow down")
    assert stats.consecutive_errors == 0 and stats.consecutive_successes == 1
    assert stats.uptime.rate_pct() == 100
    assert stats.failures_by_kind == {"rate_limited": 1}
    stats.record_failure(ErrorKind.NETWORK, "refused")
    assert stats.consecutive_errors == 1 and stats.consecutive_successes == 0
    assert stats.uptime.rate_pct() == 50


def test_health_score_formula():
    perfect = dict(uptime_pct=100, latency_ms=0, usage_pct=0, consecutive_errors=0, threshold=3, breaker_closed=True)
    assert health_score(**perfect) == 100
    assert health_score(**{**perfect, "breaker_closed": False}) == 0
    assert health_score(**{**perfect, "in_error": True}) == 0
    assert health_score(**{**perfect, "latency_ms": 1000}) == 87.5  # 60 + 12.5 + 15
    assert health_score(**{**perfect, "usage_pct": 100}) == 85
    assert health_score(**{**perfect, "consecutive_errors": 1}) == round(100 * 2 / 3, 1)
    assert health_score(**{**perfect, "uptime_pct": 50}) == 70
