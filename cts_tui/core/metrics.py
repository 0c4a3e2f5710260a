"""Prometheus metrics of the coordinator, in a registry of its own (the REST API serves it).

Labels are exchange and connection id (never names or keys: ids are stable and not secret).
The per-request series (requests, successes, failures by kind, latency) are read at scrape time
from each connection's ``ConnectionStats``, which counts them anyway: live traffic records once
per request, and prometheus_client's own counters and histograms take a lock per update, which
cost several microseconds a request for numbers read every few seconds at most. Requests in
flight are read from the same place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from cts_tui.core.stats import LATENCY_BUCKETS_S, ConnectionStats
from cts_tui.views.fleet import Fleet
from cts_tui.views.limits import BackendName, BackendState

BREAKER_VALUES = {"closed": 0, "half_open": 1, "open": 2}

SeriesSource = Callable[[], Iterable[tuple[str, str, ConnectionStats]]]
"""(exchange, connection id, its statistics) for every connection, read at each scrape."""


class _RequestCollector:
    """Turns the connections' counters into metric families at scrape time."""

    def __init__(self, source: SeriesSource) -> None:
        self._source = source

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
        in_flight = GaugeMetricFamily("cts_requests_in_flight", "Requests in flight", labels=labels)
        bounds = [repr(bound) for bound in LATENCY_BUCKETS_S] + ["+Inf"]
        for exchange, connection_id, stats in sorted(self._source(), key=lambda series: series[1]):
            key = [exchange, connection_id]
            requests.add_metric(key, stats.requests)
            successes.add_metric(key, stats.successes)
            for kind, count in sorted(stats.failures_by_kind.items()):
                failures.add_metric([*key, kind], count)
            cumulative, running = [], 0
            for bound, count in zip(bounds, stats.latency_buckets, strict=True):
                running += count
                cumulative.append((bound, running))
            latency.add_metric(key, cumulative, stats.latency_sum_s)
            in_flight.add_metric(key, stats.in_flight)
        yield from (requests, successes, failures, latency, in_flight)


BACKENDS: tuple[BackendName, ...] = ("redis", "local", "fallback")


class _BackendCollector:
    """Where the rate-limit budgets are counted, read from the limiter at scrape time: a switch
    between Redis and local counting shows at the next scrape, not at the next snapshot."""

    def __init__(self, source: Callable[[], BackendState]) -> None:
        self._source = source

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        state = self._source()
        backend = GaugeMetricFamily(
            "cts_ratelimit_backend",
            "Where rate-limit budgets are counted: 1 for the backend in force (redis: shared; "
            "fallback: redis unreachable, this process counts its share alone; local: never shared)",
            labels=["backend"],
        )
        for name in BACKENDS:
            backend.add_metric([name], 1 if name == state.name else 0)
        since = GaugeMetricFamily(
            "cts_ratelimit_backend_since_seconds", "When the backend in force took over (epoch seconds)"
        )
        since.add_metric([], state.since)
        yield from (backend, since)


class _FleetCollector:
    """The processes sharing the budgets, as this one's last heartbeat heard them: one series
    per process, so a dashboard over every process's scrape shows who spends what."""

    def __init__(self, source: Callable[[], Fleet | None]) -> None:
        self._source = source

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        fleet = self._source()
        if fleet is None:
            return
        labels = ["process", "host", "pid", "kind"]
        processes = GaugeMetricFamily("cts_fleet_processes", "Processes sharing the rate-limit budgets")
        processes.add_metric([], len(fleet.members))
        hosts = GaugeMetricFamily("cts_fleet_hosts", "Hosts those processes run on")
        hosts.add_metric([], fleet.hosts)
        seen = GaugeMetricFamily("cts_fleet_process_seen_seconds",
                                 "A sharing process's last heartbeat (epoch seconds)", labels=labels)
        spent = GaugeMetricFamily("cts_fleet_process_requests",
                                  "Requests a sharing process sent in the last minute", labels=[*labels, "exchange"])
        for member in fleet.members:
            key = [member.id, member.host, str(member.pid), member.kind]
            seen.add_metric(key, member.seen_at)
            for exchange, count in sorted(member.spent.items()):
                spent.add_metric([*key, exchange], count)
        yield from (processes, hosts, seen, spent)


class CoordinatorMetrics:
    def __init__(
        self,
        source: SeriesSource,
        backend: Callable[[], BackendState] | None = None,
        fleet: Callable[[], Fleet | None] | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        labels = ("exchange", "connection")
        self.registry.register(_RequestCollector(source))
        if backend is not None:
            self.registry.register(_BackendCollector(backend))
        if fleet is not None:
            self.registry.register(_FleetCollector(fleet))
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
        self.suspects = Counter(
            "cts_suspect", "Connections taken out of rotation because their requests went unanswered",
            labels, registry=self.registry,
        )
        self.hedges = Counter(
            "cts_hedged_requests",
            "Hedged reads by outcome: won (the hedge answered first), lost (the original did), failed",
            ("exchange", "outcome"), registry=self.registry,
        )

    def forget(self, exchange: str, connection_id: str) -> None:
        """A deleted connection's gauges leave the exposition (its counters left with it)."""
        for metric in (self.breaker, self.health, self.suspects):
            try:
                metric.remove(exchange, connection_id)
            except KeyError:
                pass
