"""The Redis-shared backend, behind a breaker with a local fallback.

The Redis client never retries and gives up after 50 ms, so a refused connection is noticed in
about a millisecond and a hung server in about 50; the request that met the failure is decided
locally, not lost. A refusal opens the breaker at once: from then on this process counts
locally. A timeout opens it only once timeouts have lasted ``SUSPECT_S``: on a loaded host an
answer is late now and then, and the next check asks Redis again. At first it spends only its slice of the headroom (the part of each limit the caps leave
unused, divided by the live processes): Redis may be down for this process alone (a reply late on
a busy machine, a broken link) while the others fill the caps there, and what they cannot see
must fit in what the caps leave. ``HOLD_S`` after the trip (``HOLD_TIMED_OUT_S`` while Redis only
timed out, which may be this process's alone), it counts on its fair share of each budget (the
limit divided by the live processes that Redis's heartbeat set last showed), starting from its
share of what Redis last said was spent. A probe pings Redis in the background and closes the breaker when it answers; what was spent
meanwhile is written back (scaled up to an estimate of the total) so the shared count does not
start from zero, and pauses or bans learnt meanwhile are shared then.

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
from dataclasses import dataclass

from redis.exceptions import RedisClusterException, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cts_tui.config import RateLimiting
from cts_tui.ratelimit.fleet import FleetRegistry, RecentRequests
from cts_tui.views.fleet import Fleet
from cts_tui.ratelimit.local import LocalBackend, Receipt
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
HOLD_S = 1.0
"""How long a process whose breaker opened because Redis refused it spends only its slice of the
headroom: a refusal (nobody listens, no master) is the server's, for everyone."""
HOLD_TIMED_OUT_S = 3.0
"""The same after timeouts, which may be this process's alone (a reply late on a busy machine, a
cut link) while the others go on in Redis: a longer wait for the probe to bring it back, at the
cost of three seconds at the slice when the server froze for everyone."""
SUSPECT_S = 1.0
"""How long Redis may go on timing out before the breaker opens. On a loaded host an answer is
late now and then (Redis or this process not scheduled for a while, a cluster's slot map read
again): that is no reason to leave the shared budget. Meanwhile a request whose check timed out
is decided within the headroom's slice, as in the first moments after a trip, and the next
check asks Redis again; the hold's clock starts at the first timeout, so a frozen server costs
no longer than before. A refusal opens the breaker at once."""
PROBE_S = 0.1
"""How often an open breaker asks Redis again: short, because a busy machine can also trip it."""
GRANT_AHEAD_S = 1.0
"""A check that meets full windows may be granted ahead (its request held until the room frees)
when the room frees within this and within the caller's patience: at a saturated budget one
check per request instead of a refusal and another check. The held request is sent when its
sleep ends, a few milliseconds after the moment it was granted for; its settlement re-dates the
grant to the request's end, in Redis and in the local shadow alike, so that a local count taking
over when Redis dies never frees it before the exchange does."""
FLUSH_S = 0.1
"""Settlements and usage readings ride with the next check (no round trip of their own); when no
check comes this long after one, they are sent alone. Each settlement is dated when its request
ended, so the wait costs no budget; it stays a tenth of the shortest window (1 s), so a grant is
settled long before its window would forget it."""

BEAT_RIDE_S = 0.5
"""A heartbeat waits this long for a check to carry it (no round trip of its own) before it is
sent alone: well within the liveness window (``LIVE_S``)."""

REDIS_DOWN = (RedisError, RedisClusterException, OSError, asyncio.TimeoutError)
"""Any Redis failure, refusals (loading, read-only replica) included: the request is decided
locally rather than failed, and the breaker's warning says why. redis-py's cluster errors
(no node reachable) are not RedisErrors: uncaught, one ended the probe and left its process on
its local share for good while the others went on in Redis (429s at the exchange)."""
TIMED_OUT = (TimeoutError, RedisTimeoutError)


def timed_out(error: BaseException | None) -> bool:
    """A failure that may be this process's alone (asyncio's TimeoutError is the builtin one),
    also behind a cluster error that gave up because every node it asked timed out."""
    while error is not None:
        if isinstance(error, TIMED_OUT):
            return True
        error = error.__cause__
    return False


@dataclass(frozen=True, slots=True)
class SharedReceipt:
    """A grant Redis made and its local shadow, settled together when the request is done: the
    shadow is what counts this process's spending if Redis goes away before the settlement
    reaches it."""

    redis: RedisReceipt
    shadow: Receipt


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
        self._headroom = settings.headroom
        self._slice = LocalBackend()
        """The grants made unseen by Redis (while its answers time out, and in the first moments
        after a trip), capped at the headroom's slice; kept across holds, so that holds close
        together share one slice per window."""
        self._hold_until = 0.0
        """Until then (monotonic) a request Redis does not answer is decided within the slice."""
        self._tripped_at = 0.0
        self._suspect_since: float | None = None
        """When the current run of timeouts began (None while Redis answers)."""
        self._healthy = True
        self._live = 1
        self._live_seen: deque[tuple[float, int]] = deque()
        self._seen: dict[str, tuple[Charge, int, float, float]] = {}
        """Window key -> (charge, units Redis last reported, monotonic and epoch time of that
        report)."""
        self._keys_by_window: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._untold: dict[str, tuple[float, bool]] = {}
        """Pauses and bans learnt while Redis was away: told to the others when it is back."""
        self._probe: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
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
        # Loops that talk to Redis can lose a cancellation on Python 3.11 (see stopping.py);
        # they also end on ``_closing``.
        await cancel_and_wait(t for t in (self._flusher, self._heartbeat, self._probe) if t is not None)
        if self._healthy:
            try:
                await self._scripts.flush()  # the settlements still owed
                await self._registry.leave()
            except REDIS_DOWN:
                pass
        await self._redis.aclose()

    def forget_plans(self) -> None:
        self._scripts.forget_plans()
        self._fallback.forget_plans()

    # --- the breaker ----------------------------------------------------------------------------

    def _failed(self, error: BaseException) -> None:
        """A command failed: a refusal opens the breaker, a timeout only once timeouts have
        lasted ``SUSPECT_S``; until then the request at hand is decided within the slice."""
        if self._healthy and not self._closing and timed_out(error):
            now = time.monotonic()
            if self._suspect_since is None:
                self._suspect_since = now
                self._hold(now, HOLD_TIMED_OUT_S)
            if now - self._suspect_since < SUSPECT_S:
                return
        self._trip(error)

    def _answered(self) -> None:
        if self._suspect_since is not None:
            self._suspect_since = None
            self._hold_until = 0.0

    def _hold(self, since: float, seconds: float) -> None:
        """Spend only the slice of the headroom until ``since + seconds``."""
        share = 1.0 / max(1, self._live)
        # Rounded: 1 - 0.9 is 0.0999..., and a slice of exactly 10 must not grant 9.
        self._slice.set_share(round((1 - self._headroom) / self._headroom * share, 9))
        self._tripped_at = since
        self._hold_until = since + seconds

    def _trip(self, error: BaseException) -> None:
        if not self._healthy or self._closing:
            return
        self._healthy = False
        self.trips += 1
        self._scripts.drop_deferred()  # unsettled grants stay counted from their grant: a little early
        self.state = BackendState("fallback", time.time(), f"redis unreachable ({error.__class__.__name__})")
        share = 1.0 / max(1, self._live)
        log.warning("redis unavailable (%s): counting locally on 1/%d of each budget",
                    error.__class__.__name__, max(1, self._live))
        self._fallback.set_share(share)
        now = time.monotonic()
        self._hold(self._suspect_since or now, HOLD_TIMED_OUT_S if timed_out(error) else HOLD_S)
        self._suspect_since = None
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
            except REDIS_DOWN as error:
                if not timed_out(error):  # refused: down for everyone
                    self._hold_until = min(self._hold_until, self._tripped_at + HOLD_S)
                continue
            self._healthy = True
            self._hold_until = 0.0
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

    async def _beat(self, ride: bool = False) -> None:
        """``ride``: in the pipeline of the next check, or alone after ``BEAT_RIDE_S``."""
        if ride:
            answer = self._scripts.ride(self._registry.beat_call(int(LIVE_S * 1000), self._recent.counts()))
            await asyncio.wait({answer}, timeout=BEAT_RIDE_S)
            if not answer.done():
                await self._scripts.flush()
            self.fleet = self._registry.heard(await answer)
        else:
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
                await self._beat(ride=True)
            except REDIS_DOWN as error:
                self._failed(error)
            else:
                self._answered()

    # --- counting -------------------------------------------------------------------------------

    async def take(self, plan: Plan, priority: int, ahead_s: float = 0.0) -> tuple[float, str | None, object]:
        if self._healthy:
            try:
                result = await self._scripts.take(plan, priority, ahead_s=min(ahead_s, GRANT_AHEAD_S))
            except REDIS_DOWN as error:
                self._failed(error)
            else:
                self._answered()
                self._remember(plan, result.used)
                if result.receipt is not None:  # granted
                    shadow = self._fallback.shadow(plan, result.wait_s)
                    self._recent.add(plan.exchange)
                    return result.wait_s, None, SharedReceipt(result.receipt, shadow)
                if result.blocking < 0:
                    scope = plan.pause_keys[-result.blocking - 1]
                    return result.wait_s, (BAN_MARK + scope) if result.banned else scope, None
                return result.wait_s, plan.charges[result.blocking - 1].key, None
        if self._held():
            return self._take_held(plan, priority)
        wait, blocking, receipt = self._fallback.take_now(plan, priority)
        if blocking is None:
            self._recent.add(plan.exchange)
        return wait, blocking, receipt

    def _held(self) -> bool:
        """After the hold, a cut-off this long is more likely Redis down for all: the share decides."""
        return time.monotonic() < self._hold_until

    def _take_held(self, plan: Plan, priority: int) -> tuple[float, str | None, object]:
        """Within the headroom's slice: what a process whose Redis is away for it alone may
        spend unseen while the others fill the caps in Redis, so the sum stays under the limit."""
        hold = self._slice
        left = min(self._hold_until - time.monotonic(), PROBE_S)  # the probe may end it sooner
        for charge in plan.charges:
            if charge.caps[priority] * hold.share < charge.units:  # a slice too thin for one
                return left, charge.key, None
        wait, blocking, receipt = hold.take_now(plan, priority)
        if receipt is None:
            return min(wait, left), blocking, None
        shadow = self._fallback.shadow(plan)  # counted in the share too, and written back with it
        self._recent.add(plan.exchange)
        return 0.0, None, receipt + shadow

    def settle(self, receipt: object) -> None:
        if not isinstance(receipt, SharedReceipt):
            self._fallback.settle(receipt)  # type: ignore[arg-type]
            return
        self._fallback.settle(receipt.shadow)  # whether Redis still hears of it or not
        if self._healthy and not self._closing:
            self._scripts.settle_later(receipt.redis, time.monotonic())
            self._flush_soon()

    def _flush_soon(self) -> None:
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        try:
            if not self._closing:
                await asyncio.sleep(FLUSH_S)
            await self._scripts.flush()  # nothing left if a check carried it meanwhile
        except REDIS_DOWN as error:
            self._failed(error)
        finally:
            self._flusher = None
            if self._scripts.deferred and self._healthy and not self._closing:
                self._flush_soon()

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
                self._failed(error)
            else:
                self._answered()
                self._remember(plan, result.used)
                if result.blocking < 0:
                    return 0
                return max(0, min(int((cap - used) // c.units)
                                  for c, cap, used in zip(plan.charges, caps, result.used, strict=True)))
        remaining = self._fallback.remaining_now(plan, priority)
        if self._held():
            remaining = min(remaining, self._slice.remaining_now(plan, priority))
        return remaining

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
        if self._healthy and not self._closing:
            self._scripts.raise_later(charge, used, observed_at, tolerance)
            self._flush_soon()

    async def share_pause(self, key: str, seconds: float, banned: bool) -> float | None:
        if self._healthy:
            try:
                return await self._scripts.pause(key, seconds, banned)
            except REDIS_DOWN as error:
                self._failed(error)
        until, was_banned = self._untold.get(key, (0.0, False))
        self._untold[key] = (max(until, time.time() + seconds), banned or was_banned)
        return None
