"""The simulator: every exchange's hosts, the control API and the journal, over aiohttp.

Each real host of each exchange (`cts_tui.sim.hosts`) listens on its own port, served at the root
with the real paths, so that a client swaps only the host, and an outage can really refuse
connections: the exchange's listeners are closed and reopened on the same ports. The control API
(``/_control``) has a port of its own.
"""

from __future__ import annotations

import asyncio
import random
import re
import socket
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from cts_tui.sim import faults as fault_path
from cts_tui.sim.accounts import SimAccount, build_accounts
from cts_tui.sim.clock import ServerClock
from cts_tui.sim.control import control_routes
from cts_tui.sim.exchange import ExchangeContext, Handler, Reply, SimExchange, SimRequest
from cts_tui.sim.exchanges import discover
from cts_tui.sim.hosts import Host
from cts_tui.sim.journal import Journal, JournalEntry
from cts_tui.sim.listings import markets_for
from cts_tui.sim.prices import PriceBook
from cts_tui.sim.scenario import FaultSpec, Scenario
from cts_tui.sim.ws import StreamServer

if TYPE_CHECKING:
    from cts_tui.sim.tls import ThrowawayCa

CONTROL_PREFIX = "/_control"
_SLASHES = re.compile("/{2,}")


class HostRuntime:
    """One real host of an exchange: its own listening socket, at the root of its port."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.listener: asyncio.base_events.Server | None = None
        self.port = 0


class ExchangeRuntime:
    """One exchange inside a running simulator: its module, faults, hosts and routes."""

    def __init__(self, exchange: SimExchange, faults: FaultSpec, seed: int) -> None:
        self.exchange = exchange
        self.faults = faults
        self.rng = random.Random(f"faults:{seed}:{exchange.exchange_id}")
        self.release = asyncio.Event()  # set to let requests hung by an outage go
        self.routes: dict[tuple[str, str], Handler] = dict(exchange.routes())
        self.prefixes = tuple(exchange.route_prefixes().items())
        self.layout = exchange.hosts_layout()
        self.hosts = [HostRuntime(host) for host in self.layout.hosts]
        self.headers = {"Server": self.layout.server}

    def handler_for(self, host: Host, method: str, path: str) -> Handler | None:
        if not self.layout.serves(host, path):
            return None
        handler = self.routes.get((method, path))
        if handler is None:
            for (m, prefix), candidate in self.prefixes:
                if m == method and path.startswith(prefix):
                    return candidate
        return handler

    def host(self, name: str | None) -> HostRuntime:
        if name is None:
            return self.hosts[0]
        for runtime in self.hosts:
            if name == runtime.host.name or name in runtime.host.aliases:
                return runtime
        raise KeyError(f"{self.exchange.exchange_id} has no host {name!r}")


class Simulator:
    """``async with Simulator(scenario) as sim:`` serves until the block ends.

    Every real host of every exchange listens on a port of its own and is served at its root
    with the real paths (`cts_tui.sim.hosts`); `tls=True` serves HTTPS and WSS with a throwaway
    CA (`ca_file`).

    Public surface: `base_url(exchange, host=None)` (the main REST host's twin, or the named
    host's), `hosts(exchange)` ({real host: local URL}), `ws_url(exchange)`, `accounts(exchange)`,
    `exchanges`, `journal`, `set_fault(exchange, **fields)` / `clear_faults()` / `faults(exchange)`
    (async because an outage opens or closes listeners), `set_limits(exchange, **overrides)`,
    `limits(exchange)`, `reset()`, `control_url`, `ca_file`, `info()` (the JSON line
    `cts-tui sim` prints).
    """

    def __init__(self, scenario: Scenario | None = None, host: str = "127.0.0.1", port: int = 0,
                 tls: bool = False) -> None:
        self.scenario = scenario or Scenario()
        self.host = host
        self._port = port
        self.journal = Journal(self.scenario.journal_size)
        self._prices = PriceBook(self.scenario.seed, self.scenario.price_step_s)
        self.streams = StreamServer()  # WebSocket upgrades on the stream hosts (cts_tui.sim.ws)
        self._runtimes: dict[str, ExchangeRuntime] = {}
        self._by_port: dict[int, tuple[ExchangeRuntime, Host]] = {}
        self._control: web.AppRunner | None = None
        self._server: web.ServerRunner | None = None
        self._main: asyncio.base_events.Server | None = None
        self._tls = _throwaway_ca() if tls else None
        self._ssl = self._tls.server_context() if self._tls else None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        for exchange_id, cls in discover().items():
            spec = self.scenario.for_exchange(exchange_id)
            if not spec.enabled:
                continue
            ctx = ExchangeContext(
                exchange_id=exchange_id,
                seed=self.scenario.seed,
                scenario=spec,
                markets=markets_for(exchange_id, self.scenario.seed, spec.markets, cls.market_kinds, cls.listing),
                prices=self._prices,
                accounts=build_accounts(exchange_id, self.scenario.seed, spec.accounts,
                                        cls.needs_passphrase, cls.has_demo_keys, cls.extra_accounts),
                clock=ServerClock(spec.faults.clock_skew_ms),
            )
            self._runtimes[exchange_id] = ExchangeRuntime(cls(ctx), spec.faults, self.scenario.seed)
        app = web.Application()
        app.add_routes(control_routes(self, CONTROL_PREFIX))
        self._control = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._control.setup()
        self._server = web.ServerRunner(web.Server(self._dispatch, access_log=None), handle_signals=False,
                                        shutdown_timeout=1.0)
        await self._server.setup()
        self._main = await self._listen(self._control, self._port)
        self.port = self._main.sockets[0].getsockname()[1]
        for runtime in self._runtimes.values():
            for host in runtime.hosts:
                if runtime.faults.outage != "refused":
                    host.listener = await self._listen(self._server, 0)
                    host.port = host.listener.sockets[0].getsockname()[1]
                else:
                    host.port = _free_port(self.host)
                self._by_port[host.port] = (runtime, host.host)
            runtime.exchange.ctx.twins.update(self.hosts(runtime.exchange.exchange_id))

    async def close(self) -> None:
        await self.streams.close()
        for runtime in self._runtimes.values():
            runtime.release.set()
            for host in runtime.hosts:
                if host.listener is not None:
                    host.listener.close()
                    host.listener = None
        if self._main is not None:
            self._main.close()
            self._main = None
        for runner in (self._server, self._control):
            if runner is not None:
                await runner.cleanup()
        self._server = self._control = None
        if self._tls is not None:
            self._tls.close()

    async def _listen(self, runner: web.BaseRunner, port: int) -> asyncio.base_events.Server:
        assert runner.server is not None
        loop = asyncio.get_running_loop()
        return await loop.create_server(runner.server, self.host, port, reuse_address=True, ssl=self._ssl)

    # -- public surface --------------------------------------------------------------------

    @property
    def exchanges(self) -> tuple[str, ...]:
        return tuple(self._runtimes)

    @property
    def control_url(self) -> str:
        return f"{self._scheme('http')}://{self.host}:{self.port}{CONTROL_PREFIX}"

    @property
    def ca_file(self) -> str | None:
        """The throwaway CA's PEM file (with `tls=True`), for REQUESTS_CA_BUNDLE / SSL_CERT_FILE."""
        return str(self._tls.ca_file) if self._tls else None

    def base_url(self, exchange: str, host: str | None = None) -> str:
        """The local twin of `host` (a real host name), by default of the exchange's main host."""
        runtime = self._runtime(exchange)
        return self._url(runtime.host(host))

    def hosts(self, exchange: str) -> dict[str, str]:
        """{real host name (aliases too): local base URL} for every host of the exchange."""
        found: dict[str, str] = {}
        for host in self._runtime(exchange).hosts:
            for name in (host.host.name, *host.host.aliases):
                found[name] = self._url(host)
        return found

    def ws_url(self, exchange: str) -> str:
        """The local URL of the exchange's main public stream."""
        runtime = self._runtime(exchange)
        name, path = runtime.layout.ws_url
        host = runtime.host(name)
        return f"{self._scheme('ws')}://{self.host}:{host.port}{path}"

    def _url(self, host: HostRuntime) -> str:
        scheme = self._scheme("http" if host.host.rest else "ws")
        return f"{scheme}://{self.host}:{host.port}"

    def _scheme(self, plain: str) -> str:
        return plain + "s" if self._tls else plain

    def accounts(self, exchange: str) -> list[SimAccount]:
        return list(self._runtime(exchange).exchange.ctx.accounts)

    def account(self, exchange: str, name: str = "main") -> SimAccount:
        for account in self._runtime(exchange).exchange.ctx.accounts:
            if account.name == name:
                return account
        raise KeyError(f"{exchange} has no simulated account {name!r}")

    def exchange(self, exchange: str) -> SimExchange:
        return self._runtime(exchange).exchange

    def info(self) -> dict[str, Any]:
        return {
            "control_url": self.control_url,
            "ca_file": self.ca_file,
            "exchanges": {
                name: {"base_url": self.base_url(name), "ws_url": self.ws_url(name), "hosts": self.hosts(name),
                       "accounts": [a.public() for a in rt.exchange.ctx.accounts]}
                for name, rt in self._runtimes.items()
            },
        }

    def faults(self, exchange: str) -> FaultSpec:
        return self._runtime(exchange).faults

    async def set_fault(self, exchange: str, **fields: Any) -> FaultSpec:
        """Changes some fault fields of one exchange, keeping the others."""
        runtime = self._runtime(exchange)
        return await self._apply_faults(runtime, FaultSpec(**{**runtime.faults.model_dump(), **fields}))

    async def clear_faults(self, exchange: str | None = None) -> None:
        for name in [exchange] if exchange else list(self._runtimes):
            await self._apply_faults(self._runtime(name), FaultSpec())

    def limits(self, exchange: str) -> dict[str, float]:
        return self._runtime(exchange).exchange.limits.model_dump()

    def set_limits(self, exchange: str, **overrides: float) -> dict[str, float]:
        """Overrides rate-limit parameters by name; the exchange's counters start afresh."""
        self._runtime(exchange).exchange.set_limits(overrides)
        return self.limits(exchange)

    async def reset(self) -> None:
        """Faults off (streams' too), limits, counters and stream pacing back to the scenario's,
        journal emptied."""
        await self.clear_faults()
        self.streams.reset()
        for runtime in self._runtimes.values():
            exchange = runtime.exchange
            exchange.limits = exchange.Limits(**exchange.ctx.scenario.limits)
            exchange.configure_limits()
        self.journal.clear()

    def _runtime(self, exchange: str) -> ExchangeRuntime:
        try:
            return self._runtimes[exchange]
        except KeyError:
            raise KeyError(f"the simulator has no exchange {exchange!r}") from None

    async def _apply_faults(self, runtime: ExchangeRuntime, faults: FaultSpec) -> FaultSpec:
        old = runtime.faults
        runtime.faults = faults
        runtime.exchange.ctx.clock.skew_ms = faults.clock_skew_ms
        if (old.outage == "hang" and faults.outage != "hang") or (old.mutate == "trickle" and faults.mutate != "trickle"):
            runtime.release.set()
            runtime.release = asyncio.Event()
        for host in runtime.hosts:
            if faults.outage == "refused" and host.listener is not None:
                host.listener.close()
                host.listener = None
            elif faults.outage != "refused" and host.listener is None and self._server is not None:
                host.listener = await self._listen(self._server, host.port)
        return faults

    # -- the request path ------------------------------------------------------------------

    async def _dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        wall, mono = time.time(), time.monotonic()
        assert request.transport is not None  # a request being handled has its connection
        runtime, host = self._by_port[request.transport.get_extra_info("sockname")[1]]  # the port it came in on
        exchange = runtime.exchange
        path, _, raw_query = request.raw_path.partition("?")
        if "//" in path:  # the exchanges' front ends merge slashes (nginx's default)
            path = _SLASHES.sub("/", path)
        if request.headers.get("Upgrade", "").lower() == "websocket":
            route = host.stream_route(path)
            if route is not None:
                return await self.streams.serve(exchange.ctx, route, request, runtime.headers)
        body = await request.read() if request.can_read_body else b""
        sim_request = SimRequest(request.method, path, request.query, raw_query, request.headers,
                                 body, request.remote or "", wall, mono, host.name)
        faults = runtime.faults
        reply: Reply | None = None
        if faults.active:
            reply = await fault_path.before(faults, exchange, sim_request, runtime.rng, runtime.release)
            if reply is fault_path.ABORT:
                self._record(exchange.exchange_id, sim_request, 0, f"fault:{faults.outage}")
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError  # nothing is to be written on a cut connection
        if reply is None:
            handler = runtime.handler_for(host, sim_request.method, sim_request.path)
            reply = await handler(sim_request) if handler else exchange.fault_reply("not_found", sim_request)
            if faults.malformed:
                reply = fault_path.after(faults, reply)
            if 200 <= reply.status < 300 and faults.mutates(sim_request.path):
                if faults.mutate == "trickle":
                    self._record(exchange.exchange_id, sim_request, reply.status, "fault:mutate:trickle")
                    return await self._trickle(request, reply, runtime, host, runtime.release)
                reply = fault_path.mutate(faults, reply, runtime.rng)
        self._record(exchange.exchange_id, sim_request, reply.status, reply.outcome)
        return web.Response(body=reply.body or None, status=reply.status, headers=self._headers(runtime, host, reply))

    @staticmethod
    def _headers(runtime: ExchangeRuntime, host: Host, reply: Reply) -> dict[str, str]:
        """The reply's headers with the exchange's `Server` and the host's spelling of JSON's type;
        an empty reply without a type (Binance's unknown path) gets none."""
        content_type = reply.content_type
        if content_type == "application/json":
            content_type = host.content_type or runtime.layout.content_type
        typed = {"Content-Type": content_type} if content_type else {}
        return {**runtime.headers, **(reply.headers or {}), **typed}

    @staticmethod
    async def _trickle(request: web.BaseRequest, reply: Reply, runtime: ExchangeRuntime, host: Host,
                       release: asyncio.Event) -> web.StreamResponse:
        """The answer's status and headers at once, then its body a byte at a time, then
        whitespace (still valid JSON so far) for ever: until the client gives up, the fault is
        cleared or the simulator closes."""
        response = web.StreamResponse(status=reply.status, headers=Simulator._headers(runtime, host, reply))
        response.enable_chunked_encoding()
        await response.prepare(request)
        body = reply.body
        sent = 0
        try:
            while not release.is_set():
                chunk = body[sent:sent + 1] if sent < len(body) else b" "
                sent += 1
                await response.write(chunk)
                await asyncio.sleep(fault_path.TRICKLE_EVERY_S)
        except (ConnectionError, RuntimeError):
            pass  # the client went away: what it wanted
        return response

    def _record(self, exchange_id: str, request: SimRequest, status: int, outcome: str) -> None:
        account = request.account
        self.journal.record(JournalEntry(
            request.wall, request.mono, exchange_id, request.method, request.endpoint,
            account.name if account else None, request.weight, status, outcome,
        ))


def _throwaway_ca() -> ThrowawayCa:
    """Imported when asked for: plain HTTP, the default, never loads the X.509 machinery."""
    from cts_tui.sim.tls import ThrowawayCa

    return ThrowawayCa()


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
