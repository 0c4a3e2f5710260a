"""Prometheus metrics of the coordinator, in a registry of its own (the REST API serves it).

Labels are exchange and connection id (never names or keys: ids are stable and not secret).
The per-request series (requests, successes, failures by kind, latency) are plain counters of
our own, turned into metric families only when scraped: live traffic records here on every
request, and prometheus_client's own counters and histograms take a lock per update, which cost
several microseconds a request for numbers read every few seconds at most. Requests in flight
are read from the coordinator's own count when scraped rather than counted twice.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BREAKER_VALUES = {"closed": 0, "half_open": 1, "open": 2}


@dataclass(slots=True)
class _ConnectionSeries:
    exchange: str
    requests: int = 0
    successes: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    buckets: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    """Observations per bucket (not cumulative); the last one is above every bound."""
    latency_sum: float = 0.0


class _RequestCollector:
    """Turns the coordinator's plain counters into metric families at scrape time."""

    def __init__(self, series: dict[str, _ConnectionSeries]) -> None:
        self._series = series

    def describe(self) -> list[Metric]:
        return []  # families are made per scrape; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        labels = ["exchange", "connection"]
        requests = CounterMetricFamily("cts_requests", "Requests sent", labels=labels)
        successes = CounterMetricFamily("cts_request_successes", "Requests that succeeded", labels=labels)
        failures = CounterMetricFamily(
            "cts_request_failures", "Requests that failed, by error kind", labels=[*labels, "kind"]
        )
        latency = HistogramMetricFamily("cts_request_latency_seconds", "Request latency", labels=labels)
        bounds = [repr(bound) for bound in LATENCY_BUCKETS] + ["+Inf"]
        for connection_id, series in sorted(self._series.items()):
            key = [series.exchange, connection_id]
            requests.add_metric(key, series.requests)
            successes.add_metric(key, series.successes)
            for kind, count in sorted(series.failures.items()):
                failures.add_metric([*key, kind], count)
            cumulative, running = [], 0
            for bound, count in zip(bounds, series.buckets, strict=True):
                running += count
                cumulative.append((bound, running))
            latency.add_metric(key, cumulative, series.latency_sum)
        yield from (requests, successes, failures, latency)


class CoordinatorMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ("exchange", "connection")
        self._series: dict[str, _ConnectionSeries] = {}
        self.registry.register(_RequestCollector(self._series))  # type: ignore[arg-type]
        self.in_flight = Gauge("cts_requests_in_flight", "Requests in flight", labels, registry=self.registry)
        self.breaker = Gauge(
            "cts_breaker_state", "Circuit breaker: 0 closed, 1 half-open, 2 open", labels, registry=self.registry
        )
        self.health = Gauge("cts_health_score", "Health score 0-100", labels, registry=self.registry)
        self.rate_limit_usage = Gauge(
            "cts_rate_limit_usage_ratio", "Share of the exchange's rate-limit budget in use", ("exchange",),
            registry=self.registry,
        )
        self.connections = Gauge(
            "cts_connections", "Connections by exchange and state", ("exchange", "state"), registry=self.registry
        )

    def watch_in_flight(self, exchange: str, connection_id: str, read: Callable[[], float]) -> None:
        self.in_flight.labels(exchange, connection_id).set_function(read)

    def record(self, exchange: str, connection_id: str, latency_s: float, failure_kind: str | None) -> None:
        series = self._series.get(connection_id)
        if series is None:
            series = self._series[connection_id] = _ConnectionSeries(exchange)
        series.requests += 1
        series.buckets[bisect_left(LATENCY_BUCKETS, latency_s)] += 1
        series.latency_sum += latency_s
        if failure_kind is None:
            series.successes += 1
        else:
            series.failures[failure_kind] += 1

    def forget(self, exchange: str, connection_id: str) -> None:
        """A deleted connection's series leave the exposition."""
        self._series.pop(connection_id, None)
        for metric in (self.in_flight, self.breaker, self.health):
            try:
                metric.remove(exchange, connection_id)
            except KeyError:
                pass
