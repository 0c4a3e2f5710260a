"""The contract between the simulator's framework and one exchange module.

An exchange module lives in ``cts_tui/sim/exchanges/<name>.py`` and declares, at module level,
``SIM_EXCHANGE = <a SimExchange subclass>``; nothing else registers it (the package is scanned).

The framework owns the HTTP server, the hosts (`cts_tui.sim.hosts`: which real host serves which
paths, each at the root of its own port; a module may declare its own ``layout``), the fault
injection
(latency, 5xx, outage, 429 storm, maintenance, malformed bodies), the journal and the control
API. The module owns the exchange's wire protocol: its routes, signatures, rate limits, error
codes and JSON shapes. Per request the framework:

1. finds the module and host by the port the request came in on and the handler by
   ``(METHOD, path)`` in ``routes()``, where path is the real one (``/api/v3/time``), if that
   host serves the path (else the module's ``fault_reply("not_found")``);
   ``route_prefixes()`` may also answer whole subtrees (for RPC-style APIs);
2. applies the faults; ``fault_reply(kind, request)`` shapes those answers in the exchange's
   own format;
3. awaits ``handler(request) -> Reply``; the handler sets ``request.account``,
   ``request.weight`` (and may set ``request.endpoint``) for the journal;
4. records one ``JournalEntry`` and sends the reply.

A module reads its world from ``self.ctx`` (``ExchangeContext``): its markets, prices, accounts
(``account_by_key``), the server clock with skew (``clock.now_ms()``) and its scenario. Its rate
limits are a pydantic model ``Limits`` whose defaults are the real exchange's figures; the
scenario and ``Simulator.set_limits`` override fields by name, after which
``configure_limits()`` rebuilds the engines (from ``cts_tui.sim.limits``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from multidict import CIMultiDictProxy, MultiMapping
from pydantic import BaseModel, ConfigDict

from cts_tui.sim.accounts import SimAccount
from cts_tui.sim.clock import ServerClock
from cts_tui.sim.hosts import Layout, layout_of
from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.prices import PriceBook
from cts_tui.sim.scenario import AccountSpec, ExchangeScenario

FaultKind = Literal["not_found", "maintenance", "rate_limited", "server_error"]


class SimRequest:
    """One request as an exchange module sees it. `raw_query` and `body` are exactly as sent."""

    __slots__ = ("method", "path", "query", "raw_query", "headers", "body", "remote", "wall", "mono", "host",
                 "account", "weight", "endpoint")

    def __init__(self, method: str, path: str, query: MultiMapping[str], raw_query: str,
                 headers: CIMultiDictProxy[str], body: bytes, remote: str, wall: float, mono: float,
                 host: str = "") -> None:
        self.method = method
        self.path = path
        self.query = query
        self.raw_query = raw_query
        self.headers = headers
        self.body = body
        self.remote = remote
        self.wall = wall
        self.mono = mono
        self.host = host
        """The real host name the request was served as (HTX's spot and contract hosts share paths)."""
        self.account: SimAccount | None = None
        self.weight = 1
        self.endpoint = path

    @property
    def signed(self) -> SimAccount:
        """The account a handler behind the exchange's authentication runs for (set there)."""
        if self.account is None:
            raise RuntimeError(f"{self.path}: no authenticated account")
        return self.account

    def int_param(self, name: str, default: int, most: int) -> int:
        """A count from the query (`limit`, `depth`, ...) clamped to [1, most]; `default` when absent
        or not a number, as exchanges treat a count they cannot read."""
        text = self.query.get(name, "")
        return max(1, min(int(text), most)) if text.isdigit() else default

    def json_body(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] | None = None
    content_type: str = "application/json"
    outcome: str = "ok"


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None,
               outcome: str | None = None) -> Reply:
    """A JSON reply; outcome defaults to "ok" below 400 and "error" from 400."""
    body = json.dumps(data, separators=(",", ":")).encode()
    return Reply(status, body, headers, "application/json", outcome or ("ok" if status < 400 else "error"))


def raw_json_reply(body: bytes, headers: dict[str, str] | None = None) -> Reply:
    """A 200 reply from JSON encoded ahead of time (market lists are encoded once)."""
    return Reply(200, body, headers)


Handler = Callable[[SimRequest], Awaitable[Reply]]


@dataclass
class ExchangeContext:
    exchange_id: str
    seed: int
    scenario: ExchangeScenario
    markets: list[MarketSpec]
    prices: PriceBook
    accounts: list[SimAccount]
    clock: ServerClock
    twins: dict[str, str] = field(default_factory=dict)
    """{real host: local base URL} of the exchange's hosts, once they listen: for answers that
    name a host of the exchange (a stream token names the stream server to connect to)."""
    _by_key: dict[str, SimAccount] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_key = {a.api_key: a for a in self.accounts}

    def account_by_key(self, api_key: str | None) -> SimAccount | None:
        return self._by_key.get(api_key) if api_key else None


class LimitsModel(BaseModel):
    """Base of each exchange's `Limits`: unknown names are refused, so a typo cannot pass."""

    model_config = ConfigDict(extra="forbid")


class SimExchange:
    exchange_id: ClassVar[str]
    # Weights of market kinds (see cts_tui.sim.markets.KINDS) in the generated market list.
    market_kinds: ClassVar[Mapping[str, float]] = {"spot": 0.6, "linear_swap": 0.4}
    needs_passphrase: ClassVar[bool] = False
    has_demo_keys: ClassVar[bool] = False  # adds a default "demo" account with testnet=True
    extra_accounts: ClassVar[tuple[AccountSpec, ...]] = ()  # default accounts beyond main/readonly/demo
    listing: ClassVar[Mapping[str, str] | None] = None
    """The real markets by kind ("BTC/USDT ETH/USDT ..."), where ``data/markets.json.gz`` has
    none for the exchange (``cts_tui.sim.listings``)."""
    layout: ClassVar[Layout | None] = None
    """The exchange's hosts and what each serves, where the module declares them (else
    ``cts_tui.sim.hosts.layout_of``)."""

    Limits: ClassVar[type[LimitsModel]] = LimitsModel
    """The exchange's rate-limit parameters; subclasses replace it with real figures (and
    annotate ``limits`` with it)."""
    limits: LimitsModel

    def __init__(self, ctx: ExchangeContext) -> None:
        self.ctx = ctx
        self.limits = self.Limits(**ctx.scenario.limits)
        self.configure_limits()

    @classmethod
    def hosts_layout(cls) -> Layout:
        return cls.layout or layout_of(cls.exchange_id)

    def routes(self) -> Mapping[tuple[str, str], Handler]:
        """(METHOD, path below the base URL) -> handler."""
        raise NotImplementedError

    def route_prefixes(self) -> Mapping[tuple[str, str], Handler]:
        """(METHOD, path prefix) -> handler, tried when no exact route matches."""
        return {}

    def configure_limits(self) -> None:
        """(Re)builds the rate-limit engines from `self.limits`; counters start empty."""

    def set_limits(self, overrides: Mapping[str, float]) -> None:
        self.limits = self.Limits(**{**self.limits.model_dump(), **overrides})
        self.configure_limits()

    def fault_reply(self, kind: FaultKind, request: SimRequest) -> Reply:
        """The exchange's own answer for a framework-level condition; subclasses refine it."""
        status = {"not_found": 404, "maintenance": 503, "rate_limited": 429, "server_error": 503}[kind]
        return json_reply({"error": kind}, status, outcome=kind)
