"""The Redis-shared backend, behind a breaker with a local fallback.

The Redis client never retries and gives up after 50 ms, so a refused connection is noticed in
about a millisecond and a hung server in about 50. The first failure opens the breaker: from then
on this process counts locally on its fair share of each budget (the limit divided by the live
processes that Redis's heartbeat set last showed), starting from its share of what Redis last said
was spent, and the request that met the failure is decided locally, not lost. A probe pings Redis
in the background and closes the breaker when it answers; what was spent meanwhile is written back
(scaled up to an estimate of the total) so the shared count does not start from zero, and pauses
or bans learnt meanwhile are shared then.

Neither switch re-dates spent budget: the local count already holds this process's own grants
at their real times (each grant Redis makes is shadowed locally, at no cap), what Redis said the
others spent is added dated when Redis said it, and the write-back puts each locally counted
grant into Redis at the moment it was granted. A budget therefore frees within its own window length of its last real spending,
however often the backend switches (re-dating a minute's window to "now" at each switch once
held a budget shut for minutes).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import defaultdict, deque
from collections.abc import Coroutine
from typing import Any

from redis.exceptions import RedisError

from cts_tui.config import RateLimiting
from cts_tui.ratelimit.fleet import FleetRegistry, RecentRequests
from cts_tui.views.fleet import Fleet
from cts_tui.ratelimit.local import LocalBackend
from cts_tui.ratelimit.plan import BAN_MARK, Charge, Plan
from cts_tui.ratelimit.policy import WindowSpec
from cts_tui.ratelimit.redis_client import connect
from cts_tui.ratelimit.redis_scripts import RedisReceipt, RedisScripts
from cts_tui.ratelimit.windows import SLOTS
from cts_tui.stopping import cancel_and_wait
from cts_tui.views.limits import BackendName, BackendState

log = logging.getLogger(__name__)

SOCKET_TIMEOUT_S = 0.05
HEARTBEAT_S = 1.0
LIVE_S = 3.0
"""A process whose heartbeat is older than this no longer counts towards the fair share."""
LIVE_MEMORY_S = 10.0
"""The fair share divides by the most processes seen alive this recently: a peer whose heartbeat
is merely late (a busy machine) must not double everyone else's share."""
PROBE_S = 0.1
"""How often an open breaker asks Redis again: short, because a busy machine can also trip it."""
SETTLE_BATCH_S = 0.002
"""Settlements wait this long to travel together: one script call for many finished requests."""

REDIS_DOWN = (RedisError, OSError, asyncio.TimeoutError)
"""Any Redis failure, refusals (loading, read-only replica) included: the request is decided
locally rather than failed, and the breaker's warning says why."""


class SharedBackend:
    def __init__(self, settings: RateLimiting, kind: str = "library") -> None:
        """``kind`` names this process in the fleet (tui, serve, cli, library)."""
        self._redis = connect(settings, SOCKET_TIMEOUT_S)
        self._scripts = RedisScripts(self._redis.client, settings.key_prefix)
        self._registry = FleetRegistry(self._redis.client, settings.key_prefix, self._scripts.process, kind)
        self._recent = RecentRequests()
        self.fleet: Fleet | None = None
        """Who shares the budgets, as the last heartbeat heard (None before the first)."""
        self._fallback = LocalBackend()
        self._healthy = True
        self._live = 1
        self._live_seen: deque[tuple[float, int]] = deque()
        self._seen: dict[str, tuple[Charge, int, float, float]] = {}
        """Window key -> (charge, units Redis last reported, monotonic and epoch time of that
        report)."""
        self._keys_by_window: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._untold: dict[str, tuple[float, bool]] = {}
        """Pauses and bans learnt while Redis was away: told to the others when it is back."""
        self._tasks: set[asyncio.Task[object]] = set()
        self._probe: asyncio.Task[None] | None = None
        self._unsettled: list[RedisReceipt] = []
        self._settler: asyncio.Task[None] | None = None
        self._closing = False
        self._heartbeat: asyncio.Task[None] | None = None
        self.trips = 0
        """How often the breaker opened: the benchmarks and the tests read it."""
        self.state = BackendState("redis", time.time())

    @property
    def name(self) -> BackendName:
        return self.state.name

    @property
    def live_processes(self) -> int:
        return self._live

    async def start(self) -> None:
        """Starting without Redis is not an error: the process counts on its own until it can."""
        try:
            await self._beat()
        except REDIS_DOWN as error:
            self._trip(error)
        self._heartbeat = asyncio.get_running_loop().create_task(self._heartbeat_loop())

    async def close(self) -> None:
        """Ends in bounded time whatever Redis does: every command below has the socket timeout,
        the loops end on ``_closing`` even if a cancellation is lost, and a dead or frozen server
        costs at most one timeout per step (leaving is skipped once the breaker is open)."""
        self._closing = True
        await self._scripts.drain()
        if self._settler is not None:
            await asyncio.gather(self._settler, return_exceptions=True)
        # Loops that talk to Redis can lose a cancellation on Python 3.11 (see stopping.py);
        # they also end on ``_closing``.
        await cancel_and_wait(t for t in (self._heartbeat, self._probe, *self._tasks) if t is not None)
        if self._healthy:
            try:
                await self._registry.leave()
            except REDIS_DOWN:
                pass
        await self._redis.aclose()

    def forget_plans(self) -> None:
        self._scripts.forget_plans()
        self._fallback.forget_plans()

    # --- the breaker ----------------------------------------------------------------------------

    def _trip(self, error: BaseException) -> None:
        if not self._healthy or self._closing:
            return
        self._healthy = False
        self.trips += 1
        self.state = BackendState("fallback", time.time(), f"redis unreachable ({error.__class__.__name__})")
        share = 1.0 / max(1, self._live)
        log.warning("redis unavailable (%s): counting locally on 1/%d of each budget",
                    error.__class__.__name__, max(1, self._live))
        self._fallback.set_share(share)
        now = time.monotonic()
        for charge, used, seen_mono, seen_wall in self._seen.values():
            if now - seen_mono < charge.spec.period_s:
                self._fallback.raise_usage(charge.key.split("|", 1)[0], charge,
                                           math.ceil(used * share), seen_wall)
        self._probe = asyncio.get_running_loop().create_task(self._probe_loop())

    async def _probe_loop(self) -> None:
        # Pooled connections opened before the failure are dead even if Redis comes back.
        await self._redis.drop_connections()
        while not self._closing:
            await asyncio.sleep(PROBE_S)
            try:
                await self._beat()
                await self._write_back()
            except REDIS_DOWN:
                continue
            self._healthy = True
            self._probe = None
            self.state = BackendState("redis", time.time())
            log.warning("redis is back: sharing budgets again")
            return

    async def _write_back(self) -> None:
        """The local count, scaled to the estimated total, so no budget restarts at zero when
        Redis comes back empty. A rolling window gets every grant the local windows hold (this
        process's own, shadowed while Redis was there, those made alone since, and what Redis
        said the others spent, dated when it said so) at the moment it was made; what a server
        that kept its data holds already is not added again. An aligned window gets its period's
        count."""
        share = self._fallback.share
        for key, (charge, _used, _mono, _wall) in list(self._seen.items()):
            if charge.spec.aligned:
                local = self._fallback.used_at(key, charge.spec)
                if local:
                    await self._scripts.raise_usage(charge, math.ceil(local / share), time.time())
                continue
            spent = self._fallback.spent(key)
            if spent:
                scaled = [(age, math.ceil(units / share)) for age, units in spent]
                # Our reading of a grant comes at most a reply (the socket timeout) after Redis
                # stamped it, and a local slot is stamped with the latest of its grants.
                slack = SOCKET_TIMEOUT_S + charge.spec.period_s / SLOTS
                await self._scripts.restore(charge, scaled, slack)
        for scope, (until, banned) in list(self._untold.items()):
            if until > time.time():
                await self._scripts.pause(scope, until - time.time(), banned)
            del self._untold[scope]

    async def _beat(self) -> None:
        self.fleet = await self._registry.beat(int(LIVE_S * 1000), self._recent.counts())
        count = len(self.fleet.members)
        now = time.monotonic()
        seen = self._live_seen
        seen.append((now, count))
        while seen[0][0] < now - LIVE_MEMORY_S:
            seen.popleft()
        self._live = max(1, max(c for _t, c in seen))

    async def _heartbeat_loop(self) -> None:
        while not self._closing:
            await asyncio.sleep(HEARTBEAT_S)
            if not self._healthy or self._closing:
                continue
            try:
                await self._beat()
            except REDIS_DOWN as error:
                self._trip(error)

    # --- counting -------------------------------------------------------------------------------

    async def take(self, plan: Plan, priority: int) -> tuple[float, str | None, object]:
        if self._healthy:
            try:
                result = await self._scripts.take(plan, priority)
            except REDIS_DOWN as error:
                self._trip(error)
            else:
                self._remember(plan, result.used)
                if result.granted:
                    self._fallback.shadow(plan)
                    self._recent.add(plan.exchange)
                    return 0.0, None, result.receipt
                if result.blocking < 0:
                    scope = plan.pause_keys[-result.blocking - 1]
                    return result.wait_s, (BAN_MARK + scope) if result.banned else scope, None
                return result.wait_s, plan.charges[result.blocking - 1].key, None
        wait, blocking, receipt = self._fallback.take_now(plan, priority)
        if blocking is None:
            self._recent.add(plan.exchange)
        return wait, blocking, receipt

    def settle(self, receipt: object) -> None:
        if not isinstance(receipt, RedisReceipt):
            self._fallback.settle(receipt)  # type: ignore[arg-type]
        elif self._healthy and not self._closing:
            self._unsettled.append(receipt)
            if self._settler is None:
                self._settler = asyncio.get_running_loop().create_task(self._settle_soon())

    async def _settle_soon(self) -> None:
        try:
            if not self._closing:
                await asyncio.sleep(SETTLE_BATCH_S)
            batch, self._unsettled = self._unsettled, []
            await self._scripts.settle(batch)
        except REDIS_DOWN as error:
            self._trip(error)  # unsettled grants stay counted from their grant: a little early
        finally:
            self._settler = None
            if self._unsettled and self._healthy and not self._closing:
                self._settler = asyncio.get_running_loop().create_task(self._settle_soon())

    def _remember(self, plan: Plan, used: tuple[int, ...]) -> None:
        now, wall = time.monotonic(), time.time()
        for charge, units in zip(plan.charges, used, strict=False):
            if charge.key not in self._seen:
                self._keys_by_window[(plan.exchange, charge.spec.name)].add(charge.key)
            self._seen[charge.key] = (charge, units, now, wall)

    async def remaining(self, plan: Plan, priority: int) -> int:
        if self._healthy:
            caps = [c.caps[priority] for c in plan.charges]
            try:
                result = await self._scripts.take(plan, priority, dry_run=True)
            except REDIS_DOWN as error:
                self._trip(error)
            else:
                self._remember(plan, result.used)
                if result.blocking < 0:
                    return 0
                return max(0, min(int((cap - used) // c.units)
                                  for c, cap, used in zip(plan.charges, caps, result.used, strict=True)))
        return self._fallback.remaining_now(plan, priority)

    def used(self, exchange: str, spec: WindowSpec) -> int:
        """What Redis said at this process's last check of the window (no I/O here: the gauges
        call it often); a window not checked for a whole period reads as empty."""
        if not self._healthy:
            return self._fallback.used(exchange, spec)
        now = time.monotonic()
        fresh = [used for key in self._keys_by_window.get((exchange, spec.name), ())
                 for _charge, used, at, _wall in (self._seen[key],) if now - at < spec.period_s]
        return max(fresh, default=0)

    def raise_usage(
        self, exchange: str, charge: Charge, used: int, observed_at: float, tolerance: float = 0
    ) -> None:
        self._fallback.raise_usage(exchange, charge, used, observed_at, tolerance)
        if self._healthy:
            self._spawn(self._raise(charge, used, observed_at, tolerance))

    async def _raise(self, charge: Charge, used: int, observed_at: float, tolerance: float) -> None:
        try:
            await self._scripts.raise_usage(charge, used, observed_at, tolerance)
        except REDIS_DOWN as error:
            self._trip(error)

    async def share_pause(self, key: str, seconds: float, banned: bool) -> float | None:
        if self._healthy:
            try:
                return await self._scripts.pause(key, seconds, banned)
            except REDIS_DOWN as error:
                self._trip(error)
        until, was_banned = self._untold.get(key, (0.0, False))
        self._untold[key] = (max(until, time.time() + seconds), banned or was_banned)
        return None

    def _spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        if self._closing:
            coro.close()
            return
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
