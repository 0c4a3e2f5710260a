"""The HTTP pool's utilisation and reuse in /metrics, read from the hub at scrape time.

The specification's monitoring list has "connection pool utilization" and its figures a
"connection reuse" rate: both are the hub's own counts (``ExchangeHub.pool_stats``), which it
keeps anyway, so a scrape costs one read and the request path nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric


class PoolCollector:
    def __init__(self, pool_stats: Callable[[], Mapping[str, Any]]) -> None:
        self._pool_stats = pool_stats

    def describe(self) -> list[Metric]:
        return []  # made per scrape

    def collect(self) -> Iterator[Metric]:
        stats = self._pool_stats()
        connections = GaugeMetricFamily(
            "cts_http_pool_connections", "Open HTTP connections to the exchanges, by use", labels=["use"]
        )
        connections.add_metric(["in_use"], stats["in_use"])
        connections.add_metric(["idle"], stats["idle"])
        utilisation = GaugeMetricFamily(
            "cts_http_pool_utilization_ratio", "Share of the open HTTP connections serving a request now (0-1)"
        )
        utilisation.add_metric([], stats["in_use"] / stats["open"] if stats["open"] else 0.0)
        reuse = GaugeMetricFamily("cts_http_pool_reuse_ratio", "Requests that rode an open connection (0-1)")
        reuse.add_metric([], stats["reuse_pct"] / 100)
        requests = CounterMetricFamily(
            "cts_http_pool_requests", "Requests through the pool, by host and connection", labels=["host", "connection"]
        )
        for host, counts in sorted(stats.get("per_host", {}).items()):
            requests.add_metric([host, "new"], counts["new_connections"])
            requests.add_metric([host, "reused"], counts["reused_connections"])
        yield from (connections, utilisation, reuse, requests)
