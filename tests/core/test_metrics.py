"""The per-request metrics, as Prometheus reads them: cumulative buckets, failures by kind,
series that leave with their connection."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from cts_tui.core.metrics import CoordinatorMetrics
from cts_tui.core.stats import ConnectionStats
from cts_tui.errors import ErrorKind


def _samples(metrics: CoordinatorMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_requests_latency_and_failures_are_exposed_as_prometheus_counts() -> None:
    stats = ConnectionStats(3600)
    metrics = CoordinatorMetrics(lambda: [("binance", "c1", stats)])
    for latency in (0.004, 0.005, 0.2, 30.0):
        stats.record_success(latency)
    stats.record_failure(ErrorKind.TIMEOUT, "no answer", 0.01)
    stats.in_flight = 2
    samples = _samples(metrics)
    labels = (("connection", "c1"), ("exchange", "binance"))
    assert samples[("cts_requests_total", labels)] == 5
    assert samples[("cts_request_successes_total", labels)] == 4
    assert samples[("cts_request_failures_total", (*labels[:1], ("exchange", "binance"), ("kind", "timeout")))] == 1
    bucket = lambda le: samples[("cts_request_latency_seconds_bucket", (*labels, ("le", le)))]  # noqa: E731
    assert (bucket("0.005"), bucket("0.01"), bucket("0.25"), bucket("10.0"), bucket("+Inf")) == (2, 3, 4, 4, 5)
    assert samples[("cts_request_latency_seconds_count", labels)] == 5
    assert abs(samples[("cts_request_latency_seconds_sum", labels)] - 30.219) < 1e-9
    assert samples[("cts_requests_in_flight", labels)] == 2


def test_a_forgotten_connection_leaves_the_exposition() -> None:
    series = {"gone": ("okx", "gone", ConnectionStats(3600))}
    metrics = CoordinatorMetrics(lambda: series.values())
    series["gone"][2].record_success(0.1)
    metrics.health.labels("okx", "gone").set(90)
    assert [key for key in _samples(metrics) if ("connection", "gone") in key[1]]
    del series["gone"]
    metrics.forget("okx", "gone")
    assert not [key for key in _samples(metrics) if ("connection", "gone") in key[1]]
