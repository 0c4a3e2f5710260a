"""Prometheus metrics of the coordinator, in a registry of its own (the REST API serves it).

Labels are exchange and connection id (never names or keys: ids are stable and not secret).
Label children are looked up once per connection and cached, since live traffic records here
on every request; requests in flight are read from the coordinator's own count when scraped
rather than counted twice on the request path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BREAKER_VALUES = {"closed": 0, "half_open": 1, "open": 2}


@dataclass(slots=True)
class _ConnectionSeries:
    requests: Counter
    successes: Counter
    latency: Histogram


class CoordinatorMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ("exchange", "connection")
        self.requests = Counter("cts_requests", "Requests sent", labels, registry=self.registry)
        self.successes = Counter("cts_request_successes", "Requests that succeeded", labels, registry=self.registry)
        self.failures = Counter(
            "cts_request_failures", "Requests that failed, by error kind", (*labels, "kind"), registry=self.registry
        )
        self.latency = Histogram(
            "cts_request_latency_seconds", "Request latency", labels, buckets=LATENCY_BUCKETS, registry=self.registry
        )
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
        self._series: dict[str, _ConnectionSeries] = {}

    def series(self, exchange: str, connection_id: str) -> _ConnectionSeries:
        found = self._series.get(connection_id)
        if found is None:
            found = _ConnectionSeries(
                requests=self.requests.labels(exchange, connection_id),
                successes=self.successes.labels(exchange, connection_id),
                latency=self.latency.labels(exchange, connection_id),
            )
            self._series[connection_id] = found
        return found

    def watch_in_flight(self, exchange: str, connection_id: str, read: Callable[[], float]) -> None:
        self.in_flight.labels(exchange, connection_id).set_function(read)

    def record(self, exchange: str, connection_id: str, latency_s: float, failure_kind: str | None) -> None:
        series = self.series(exchange, connection_id)
        series.requests.inc()
        series.latency.observe(latency_s)
        if failure_kind is None:
            series.successes.inc()
        else:
            self.failures.labels(exchange, connection_id, failure_kind).inc()

    def forget(self, exchange: str, connection_id: str) -> None:
        """A deleted connection's series leave the exposition."""
        self._series.pop(connection_id, None)
        for metric in (self.requests, self.successes, self.latency, self.in_flight, self.breaker, self.health):
            try:
                metric.remove(exchange, connection_id)
            except KeyError:
                pass
