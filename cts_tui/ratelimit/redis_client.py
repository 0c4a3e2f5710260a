"""The Redis client the shared limiter talks to: one server, a Sentinel-watched master, or a
cluster, chosen by ``rate_limiting.redis_url``'s scheme or the node lists beside it.

Every client fails fast (no retries, a 50 ms socket timeout): the shared backend's breaker, not
the client, decides what a failure means, and a request must never wait on a dead Redis longer
than the fallback takes to decide it locally.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass
from typing import Any, Literal, Union
from urllib.parse import unquote, urlsplit

from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from cts_tui.config import RateLimiting
from cts_tui.errors import ConfigError

AnyRedis = Union[Redis, RedisCluster]
_GOODBYE_FAILED = (RedisError, OSError, asyncio.TimeoutError)
TopologyKind = Literal["single", "sentinel", "cluster"]

_URL_HELP = ("rate_limiting.redis_url: not a Redis URL (redis://[:password@]host:port/db, "
             "redis+sentinel://host:port,host:port/service or redis+cluster://host:port,host:port)")


@dataclass(frozen=True, slots=True)
class Topology:
    """Where the shared budgets live; never holds more of the URL than it needs (no echo of a
    password in any message)."""

    kind: TopologyKind
    nodes: tuple[tuple[str, int], ...]
    """Sentinels for ``sentinel``, startup nodes for ``cluster``, empty for ``single``."""
    service: str = ""
    url: str = ""
    """``single`` only: the redis:// URL as given."""
    password: str | None = None


def _node(text: str, setting: str) -> tuple[str, int]:
    host, _, port = text.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{setting}: {text!r} is not host:port")
    return host, int(port)


def _url_nodes(url: str) -> tuple[tuple[tuple[str, int], ...], str, str | None]:
    """``scheme://[:password@]h:p,h:p[/path]`` -> nodes, path, password (urlsplit refuses a
    netloc with several ports, so the list is split by hand)."""
    rest = url.split("://", 1)[1]
    netloc, _, path = rest.partition("/")
    password = None
    if "@" in netloc:
        credentials, netloc = netloc.rsplit("@", 1)
        password = unquote(credentials.partition(":")[2]) or None
    if not netloc:
        raise ConfigError(_URL_HELP)
    return tuple(_node(n, "rate_limiting.redis_url") for n in netloc.split(",")), path.strip("/"), password


def topology(settings: RateLimiting) -> Topology:
    url = settings.redis_url
    scheme = urlsplit(url).scheme if "://" in url else ""
    if settings.redis_sentinels and settings.redis_cluster_nodes:
        raise ConfigError("rate_limiting: redis_sentinels and redis_cluster_nodes exclude each other")
    if settings.redis_sentinels or scheme == "redis+sentinel":
        if settings.redis_sentinels:
            nodes = tuple(_node(n, "rate_limiting.redis_sentinels") for n in settings.redis_sentinels)
            service, password = settings.redis_service, None
        else:
            nodes, service, password = _url_nodes(url)
            service = service or settings.redis_service
        if not service:
            raise ConfigError("rate_limiting.redis_service: Sentinel needs the master's service name")
        return Topology("sentinel", nodes, service=service, password=password)
    if settings.redis_cluster_nodes or scheme == "redis+cluster":
        if settings.redis_cluster_nodes:
            nodes = tuple(_node(n, "rate_limiting.redis_cluster_nodes") for n in settings.redis_cluster_nodes)
            password = None
        else:
            nodes, _path, password = _url_nodes(url)
        return Topology("cluster", nodes, password=password)
    if scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(_URL_HELP)
    return Topology("single", (), url=url)


def _no_handshake() -> dict[str, Any]:
    """A new connection sends nothing before our first command: no CLIENT SETINFO, no HELLO
    (RESP2, which every server speaks) and no CLIENT MAINT_NOTIFICATIONS, which redis-py 8 sends
    by default. Each was a round trip of its own whenever a burst of checks opened a connection
    (0.1 per request in ``benchmarks/fleet_budgets.py``), and connecting to a frozen server costs
    one timeout, not a half-open connection left behind."""
    parameters = inspect.signature(AbstractConnection.__init__).parameters
    quiet: dict[str, Any] = {"driver_info": None} if "driver_info" in parameters else {
        "lib_name": None, "lib_version": None}
    if "protocol" in parameters:
        quiet["protocol"] = 2
    if "maint_notifications_config" in parameters:
        from redis.maint_notifications import MaintNotificationsConfig

        quiet["maint_notifications_config"] = MaintNotificationsConfig(enabled=False)
    return quiet


def _fail_fast(timeout_s: float) -> dict[str, Any]:
    return {
        "socket_timeout": timeout_s,
        "socket_connect_timeout": timeout_s,
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": 0,
        **_no_handshake(),
    }


class RedisConnection:
    """A client and whatever it needs besides (Sentinel's own connections), closed together."""

    def __init__(self, spot: Topology, timeout_s: float) -> None:
        self.topology = spot
        self._sentinel: Sentinel | None = None
        self.client: AnyRedis
        if spot.kind == "single":
            try:
                self.client = Redis.from_url(spot.url, retry_on_error=[], **_fail_fast(timeout_s))
            except ValueError:  # the URL may hold a password: never echo it
                raise ConfigError(_URL_HELP) from None
        elif spot.kind == "sentinel":
            self._sentinel = Sentinel(list(spot.nodes), sentinel_kwargs=_fail_fast(timeout_s),
                                      password=spot.password, **_fail_fast(timeout_s))
            self.client = self._sentinel.master_for(spot.service, retry_on_error=[])
        else:
            self.client = RedisCluster(
                startup_nodes=[ClusterNode(host, port) for host, port in spot.nodes],
                password=spot.password, retry_on_error=[], **_fail_fast(timeout_s),
            )

    async def drop_connections(self) -> None:
        """Pooled connections opened before a failure are dead even once Redis is back (and a
        promoted replica is somewhere else): the next command opens a new one, Sentinel asked
        again where the master is, the cluster's slot map read again."""
        if isinstance(self.client, RedisCluster):
            for node in self.client.get_nodes():
                await node.disconnect()
        else:
            await self.client.connection_pool.disconnect()

    async def aclose(self) -> None:
        """Closes every part, each within the connect timeout; a part that cannot say goodbye in
        time (a frozen server leaves the socket's last bytes unacknowledged) is abandoned, its
        socket closed all the same, rather than holding the process's shutdown."""
        parts = [self.client, *(self._sentinel.sentinels if self._sentinel is not None else ())]
        outcomes = await asyncio.gather(*(part.aclose() for part in parts), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(outcome, _GOODBYE_FAILED):
                raise outcome


def connect(settings: RateLimiting, timeout_s: float) -> RedisConnection:
    """``timeout_s`` bounds every socket operation: how long a hung Redis can hold a request."""
    return RedisConnection(topology(settings), timeout_s)
