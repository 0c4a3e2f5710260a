"""Where each exchange lives: its real API and stream hosts, and what each host serves.

The simulator gives every real host its own port and serves it at the root, with the real paths,
so that a client needs only to swap each real host for its local twin (the `hosts` map of the
JSON line). A REST path belongs to the host of the exchange with the longest prefix matching it
(several hosts may tie: HTX's spot and contract hosts both have ``/market/``); a request for a
path of another host answers as an unknown path does. A stream host maps URL paths to the
protocol's routes (`cts_tui.sim.ws.protocol.WsProtocol.routes`), so that one path can carry
different markets on different hosts (``/ws``: spot on stream.binance.com, USD-M on
fstream.binance.com).

`server` and `content_type` are what the exchange's front end answers with; where each value comes
from (captured answers, or none found) is in docs/SIM_HEADERS.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True, slots=True)
class Host:
    name: str
    rest: tuple[str, ...] = ()
    """Path prefixes of the REST API served here ("/": every path no other host claims)."""
    streams: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """URL path -> stream route; a path continuing one with a slash goes to the same route."""
    aliases: tuple[str, ...] = ()
    """Other real names of the same service (ccxt calls HTX's contract host api.hbdm.vn)."""
    content_type: str | None = None
    """This host's spelling of JSON's type where it differs from the exchange's."""

    def stream_route(self, path: str) -> str | None:
        for prefix, route in self.streams.items():
            if path == prefix or (prefix != "/" and path.startswith(prefix + "/")):
                return route
        return None

    def rest_match(self, path: str) -> int:
        """Length of this host's longest prefix matching `path`; -1 when none does."""
        return max((len(p) for p in self.rest if path.startswith(p)), default=-1)


@dataclass(frozen=True, slots=True)
class Layout:
    hosts: tuple[Host, ...]
    """The main REST host first: its twin is the exchange's `base_url`."""
    ws_url: tuple[str, str]
    """(stream host, path) of the exchange's main public stream."""
    server: str = "nginx"
    content_type: str = "application/json"

    def serves(self, host: Host, path: str) -> bool:
        """Whether `path` is a REST path of `host` (the longest prefix wins; ties share)."""
        mine = host.rest_match(path)
        return mine >= 0 and all(other.rest_match(path) <= mine for other in self.hosts)


def _streams(**paths: str) -> Mapping[str, str]:
    return MappingProxyType(dict(paths))


def _same(*paths: str) -> Mapping[str, str]:
    return MappingProxyType({p: p for p in paths})


LAYOUTS: dict[str, Layout] = {
    "binance": Layout(
        (Host("api.binance.com", ("/api/", "/sapi/")),
         Host("fapi.binance.com", ("/fapi/", "/futures/"), content_type="application/json"),
         Host("dapi.binance.com", ("/dapi/",)),
         Host("stream.binance.com", streams=MappingProxyType({"/ws": "/ws", "/stream": "/ws"})),
         Host("fstream.binance.com", streams=MappingProxyType({
             "/ws": "/market/ws", "/stream": "/market/ws", "/market/ws": "/market/ws",
             "/public/ws": "/public/ws"}))),
        ("stream.binance.com", "/ws"), content_type="application/json;charset=UTF-8"),
    "bybit": Layout(
        (Host("api.bybit.com", ("/",)),
         Host("stream.bybit.com", streams=_same("/v5/public/spot", "/v5/public/linear"))),
        ("stream.bybit.com", "/v5/public/spot"), server="Openresty", content_type="application/json; charset=utf-8"),
    "okx": Layout(
        (Host("www.okx.com", ("/",)), Host("ws.okx.com", streams=_same("/ws/v5/public"))),
        ("ws.okx.com", "/ws/v5/public"), server="cloudflare", content_type="application/json"),
    "bingx": Layout(
        (Host("open-api.bingx.com", ("/",)),
         Host("open-api-ws.bingx.com", streams=_same("/market")),
         Host("open-api-swap.bingx.com", streams=_same("/swap-market"))),
        ("open-api-ws.bingx.com", "/market"), content_type="application/json; charset=utf-8"),
    "pionex": Layout(
        (Host("api.pionex.com", ("/",)), Host("ws.pionex.com", streams=_same("/wsPub"))),
        ("ws.pionex.com", "/wsPub"), server="cloudflare", content_type="application/json; charset=utf-8"),
    "orangex": Layout(
        (Host("api.orangex.com", ("/",), streams=_same("/ws/api/v1")),),
        ("api.orangex.com", "/ws/api/v1"), content_type="application/json;charset=UTF-8"),
    "htx": Layout(
        (Host("api.huobi.pro", ("/v1/", "/v2/", "/market/"), streams=_same("/ws")),
         Host("api.hbdm.com", ("/api/", "/swap-api/", "/swap-ex/", "/linear-swap-api/", "/linear-swap-ex/",
                               "/v5/", "/market/", "/index/", "/heartbeat/"),
              streams=_same("/linear-swap-ws"), aliases=("api.hbdm.vn",))),
        ("api.huobi.pro", "/ws"), server="cloudflare", content_type="application/json;charset=UTF-8"),
    "coinbase": Layout(
        (Host("api.coinbase.com", ("/v2/", "/api/v3/")),
         Host("api.exchange.coinbase.com", ("/",)),
         Host("advanced-trade-ws.coinbase.com", streams=_same("/"))),
        ("advanced-trade-ws.coinbase.com", "/"), server="cloudflare",
        content_type="application/json; charset=utf-8"),
    "kraken": Layout(
        (Host("api.kraken.com", ("/",)), Host("ws.kraken.com", streams=_same("/v2"))),
        ("ws.kraken.com", "/v2"), server="cloudflare", content_type="application/json; charset=utf-8"),
}


def layout_of(exchange_id: str) -> Layout:
    """An exchange without a known layout (a new module) gets one host serving everything."""
    name = f"api.{exchange_id}.sim"
    return LAYOUTS.get(exchange_id) or Layout((Host(name, ("/",)),), (name, "/ws"))
