"""The simulator: one aiohttp application serving every exchange, the control API and the journal.

Each exchange listens on its own port (base URL ``http://host:PORT/<exchange>``) so that an outage
can really refuse connections: the listener is closed and reopened on the same port. The main
port carries the control API (``/_control``) and also routes every exchange by path.
"""

from __future__ import annotations

import asyncio
import random
import socket
import time
from typing import Any

from aiohttp import web

from cts_tui.sim import faults as fault_path
from cts_tui.sim.accounts import SimAccount, build_accounts
from cts_tui.sim.clock import ServerClock
from cts_tui.sim.control import control_routes
from cts_tui.sim.exchange import ExchangeContext, Handler, Reply, SimExchange, SimRequest
from cts_tui.sim.exchanges import discover
from cts_tui.sim.journal import Journal, JournalEntry
from cts_tui.sim.listings import markets_for
from cts_tui.sim.prices import PriceBook
from cts_tui.sim.scenario import FaultSpec, Scenario
from cts_tui.sim.ws import StreamServer

CONTROL_PREFIX = "/_control"


class ExchangeRuntime:
    """One exchange inside a running simulator: its module, faults, listener and routes."""

    def __init__(self, exchange: SimExchange, faults: FaultSpec, seed: int) -> None:
        self.exchange = exchange
        self.faults = faults
        self.rng = random.Random(f"faults:{seed}:{exchange.exchange_id}")
        self.release = asyncio.Event()  # set to let requests hung by an outage go
        self.routes: dict[tuple[str, str], Handler] = dict(exchange.routes())
        self.prefixes = tuple(exchange.route_prefixes().items())
        self.listener: asyncio.base_events.Server | None = None
        self.port = 0

    def handler_for(self, method: str, path: str) -> Handler | None:
        handler = self.routes.get((method, path))
        if handler is None:
            for (m, prefix), candidate in self.prefixes:
                if m == method and path.startswith(prefix):
                    return candidate
        return handler


class Simulator:
    """``async with Simulator(scenario) as sim:`` serves until the block ends.

    Public surface: `base_url(exchange)`, `accounts(exchange)`, `exchanges`, `journal`,
    `set_fault(exchange, **fields)` / `clear_faults()` / `faults(exchange)` (async because an
    outage opens or closes a listener), `set_limits(exchange, **overrides)`, `limits(exchange)`,
    `reset()`, `control_url`, `info()` (the JSON line `cts-tui sim` prints).
    """

    def __init__(self, scenario: Scenario | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.scenario = scenario or Scenario()
        self.host = host
        self._port = port
        self.journal = Journal(self.scenario.journal_size)
        self._prices = PriceBook(self.scenario.seed, self.scenario.price_step_s)
        self.streams = StreamServer()  # WebSocket upgrades below each base URL (cts_tui.sim.ws)
        self._runtimes: dict[str, ExchangeRuntime] = {}
        self._runner: web.AppRunner | None = None
        self._main: asyncio.base_events.Server | None = None
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
                markets=markets_for(exchange_id, self.scenario.seed, spec.markets, cls.market_kinds),
                prices=self._prices,
                accounts=build_accounts(exchange_id, self.scenario.seed, spec.accounts,
                                        cls.needs_passphrase, cls.has_demo_keys, cls.extra_accounts),
                clock=ServerClock(spec.faults.clock_skew_ms),
            )
            self._runtimes[exchange_id] = ExchangeRuntime(cls(ctx), spec.faults, self.scenario.seed)
        app = web.Application()
        app.add_routes(control_routes(self, CONTROL_PREFIX))
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        self._main = await self._listen(self._port)
        self.port = self._main.sockets[0].getsockname()[1]
        for runtime in self._runtimes.values():
            if runtime.faults.outage != "refused":
                runtime.listener = await self._listen(0)
                runtime.port = runtime.listener.sockets[0].getsockname()[1]
            else:
                runtime.port = _free_port(self.host)

    async def close(self) -> None:
        await self.streams.close()
        for runtime in self._runtimes.values():
            runtime.release.set()
            if runtime.listener is not None:
                runtime.listener.close()
                runtime.listener = None
        if self._main is not None:
            self._main.close()
            self._main = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _listen(self, port: int) -> asyncio.base_events.Server:
        assert self._runner is not None and self._runner.server is not None
        loop = asyncio.get_running_loop()
        return await loop.create_server(self._runner.server, self.host, port, reuse_address=True)

    # -- public surface --------------------------------------------------------------------

    @property
    def exchanges(self) -> tuple[str, ...]:
        return tuple(self._runtimes)

    @property
    def control_url(self) -> str:
        return f"http://{self.host}:{self.port}{CONTROL_PREFIX}"

    def base_url(self, exchange: str) -> str:
        return f"http://{self.host}:{self._runtime(exchange).port}/{exchange}"

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
            "exchanges": {
                name: {"base_url": self.base_url(name), "accounts": [a.public() for a in rt.exchange.ctx.accounts]}
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
        """Faults off, limits and counters back to the scenario's, journal emptied."""
        await self.clear_faults()
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
        if faults.outage == "refused" and runtime.listener is not None:
            runtime.listener.close()
            runtime.listener = None
        elif faults.outage != "refused" and runtime.listener is None and self._runner is not None:
            runtime.listener = await self._listen(runtime.port)
        return faults

    # -- the request path ------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        wall, mono = time.time(), time.monotonic()
        path, _, raw_query = request.raw_path.partition("?")
        slash = path.find("/", 1)
        runtime = self._runtimes.get(path[1:slash] if slash > 0 else path[1:])
        if runtime is None:
            return web.json_response({"error": "no such exchange"}, status=404)
        exchange = runtime.exchange
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.streams.serve(exchange.ctx, path[slash:] if slash > 0 else "", request)
        body = await request.read() if request.can_read_body else b""
        sim_request = SimRequest(request.method, path[slash:], request.query, raw_query, request.headers,
                                 body, request.remote or "", wall, mono)
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
            handler = runtime.handler_for(sim_request.method, sim_request.path)
            reply = await handler(sim_request) if handler else exchange.fault_reply("not_found", sim_request)
            if faults.malformed:
                reply = fault_path.after(faults, reply)
            if 200 <= reply.status < 300 and faults.mutates(sim_request.path):
                if faults.mutate == "trickle":
                    self._record(exchange.exchange_id, sim_request, reply.status, "fault:mutate:trickle")
                    return await self._trickle(request, reply, runtime.release)
                reply = fault_path.mutate(faults, reply, runtime.rng)
        self._record(exchange.exchange_id, sim_request, reply.status, reply.outcome)
        return web.Response(body=reply.body, status=reply.status, headers=reply.headers,
                            content_type=reply.content_type)

    @staticmethod
    async def _trickle(request: web.Request, reply: Reply, release: asyncio.Event) -> web.StreamResponse:
        """The answer's status and headers at once, then its body a byte at a time, then
        whitespace (still valid JSON so far) for ever: until the client gives up, the fault is
        cleared or the simulator closes."""
        response = web.StreamResponse(status=reply.status, headers=reply.headers)
        response.content_type = reply.content_type
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


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
