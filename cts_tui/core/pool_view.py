"""The HTTP pool's figures per exchange, folded from the hub's per-host counts.

The hub counts requests and new / reused connections per host ("host:port"); an exchange is the
set of hosts its connections talk to: the host of a connection's ``base_url``, else the hosts of
the exchange's own API (ccxt's URL table, or a native client's default URL).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from yarl import URL

from cts_tui.capabilities import CCXT_EXCHANGES, ExchangeId
from cts_tui.models import Connection
from cts_tui.venues import VENUES

_COUNTS = ("requests", "new_connections", "reused_connections")


def host_key(url: str) -> str:
    """The pool's key for the host of ``url`` (the port made explicit, as the hub records it)."""
    parsed = URL(url)
    return f"{parsed.host}:{parsed.port}"


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


@lru_cache(maxsize=64)
def _ccxt_hosts(ccxt_name: str, testnet: bool) -> frozenset[str]:
    import ccxt.async_support as ccxt_async

    cls = getattr(ccxt_async, ccxt_name)
    described = cls.describe(cls.__new__(cls))
    urls = described["urls"].get("test" if testnet else "api") or described["urls"]["api"]
    hostname = described.get("hostname") or ""
    return frozenset(host_key(url.replace("{hostname}", hostname)) for url in _strings(urls) if "://" in url)


def default_hosts(exchange: ExchangeId, testnet: bool, passphrase: bool = False) -> frozenset[str]:
    """The hosts an exchange's client reaches when no base URL is set: ccxt's URL table (of the
    key's ccxt class: keys with a passphrase may be another product's), or a native client's
    default URL."""
    if exchange in CCXT_EXCHANGES:
        return _ccxt_hosts(VENUES[exchange].ccxt_id(None, passphrase), testnet)
    return frozenset({host_key(VENUES[exchange].native_rest_url)})


def hosts_of(connections: Iterable[Connection]) -> frozenset[str]:
    hosts: set[str] = set()
    for connection in connections:
        if connection.base_url:
            hosts.add(host_key(connection.base_url))
        else:
            passphrase = connection.api_passphrase is not None
            hosts |= default_hosts(connection.exchange, connection.is_testnet, passphrase)
    return frozenset(hosts)


def exchange_pool(hosts: Iterable[str], per_host: Mapping[str, Mapping[str, int]]) -> dict[str, Any]:
    """Requests, new and reused connections and the reuse rate over ``hosts``, with each host's
    own counts (hosts never contacted are left out)."""
    seen = {host: dict(per_host[host]) for host in sorted(hosts) if host in per_host}
    totals = {name: sum(counts.get(name, 0) for counts in seen.values()) for name in _COUNTS}
    opened = totals["new_connections"] + totals["reused_connections"]
    reuse = round(100.0 * totals["reused_connections"] / opened, 2) if opened else 0.0
    return {**totals, "reuse_pct": reuse, "hosts": seen}
