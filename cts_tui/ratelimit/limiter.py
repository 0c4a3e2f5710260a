"""The rate limiter the exchange clients and the coordinator use.

Every request passes ``acquire``: it waits, in priority order and first come first served within a
class, until each window it is charged to has room under its priority's ceiling and a concurrency
slot is free, then holds the slot until the request is done. Responses come back through the
permit (``answered``) or ``observe``: a 429 pauses the exchange (or the key), a 418 stops it until
the ban ends, and usage headers that count more than we did raise our count. The counting itself
is the backend's: in memory, or shared through Redis with a local fallback.

Waiters of one exchange share one queue and one pump task. The pump walks the queue in order and
grants whoever fits; once a waiter is held back by some window, nobody behind it that needs the same
window may pass it, but a request for another endpoint or key still may. A newcomer of a higher
class than every waiter tries at once instead of queueing.

A grant is counted from the moment it is given until its ``async with`` block ends (the backend
"settles" it): the exchange counts the request when it arrives, somewhere in between.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
import math
import time
from collections import Counter
from collections.abc import Coroutine, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from cts_tui.config import Config
from cts_tui.errors import ErrorKind, ExchangeError
from cts_tui.ratelimit.backoff import Backoff
from cts_tui.ratelimit.feedback import ResponseFeedback, interpret
from cts_tui.ratelimit.local import LocalBackend
from cts_tui.ratelimit.plan import BAN_MARK, CONCURRENCY, Plan, concurrency_caps, instance_spec, make_plan
from cts_tui.ratelimit.policy import ExchangePolicy, build_policies
from cts_tui.ratelimit.priority import Priority, current_priority
from cts_tui.ratelimit.waiting import waiting_for
from cts_tui.views.limits import BackendName, BackendState, ExchangeUsage, WindowUsage

if TYPE_CHECKING:
    from cts_tui.views.fleet import Fleet
    from cts_tui.ratelimit.plan import Charge
    from cts_tui.ratelimit.policy import WindowSpec

log = logging.getLogger(__name__)

_IDLE_POLL_S = 1.0
"""Longest a pump sleeps without news; releases and arrivals wake it sooner."""
PLAN_SINK: ContextVar[list[Plan] | None] = ContextVar("cts_plan_sink", default=None)
"""While set (by whoever wants to learn what a call is charged to: the coordinator, once per
connection and method), every ``acquire`` in that context appends its plan to the list."""
SLOT_WAIT_S = 0.001
"""What ``free_in`` answers for a request held back by something with no known end (a
concurrency slot, waiters ahead): not now, but soon."""


class Backend(Protocol):
    state: BackendState

    @property
    def name(self) -> BackendName: ...
    async def start(self) -> None: ...
    async def close(self) -> None: ...
    def forget_plans(self) -> None: ...
    async def take(self, plan: Plan, priority: int, ahead_s: float = 0.0) -> tuple[float, str | None, object]:
        """(0, None, receipt) when granted, else (seconds to wait, what blocks, None). A backend
        may grant ahead, up to ``ahead_s``: (seconds to hold the request, None, receipt)."""
    def settle(self, receipt: Any) -> None:
        """The granted request is done: count it until now rather than from its grant (the
        receipt is what this backend's ``take`` gave)."""
    async def remaining(self, plan: Plan, priority: int) -> int: ...
    def used(self, exchange: str, spec: WindowSpec) -> int: ...
    def raise_usage(
        self, exchange: str, charge: Charge, used: int, observed_at: float, tolerance: float = 0
    ) -> None: ...
    async def share_pause(self, key: str, seconds: float, banned: bool) -> float | None: ...


@dataclass(eq=False, slots=True)
class _Waiter:
    order: tuple[int, int]
    plan: Plan
    priority: int
    deadline: float
    future: asyncio.Future[tuple[object, float]]
    """Resolves to the grant's receipt and how long to hold its request."""
    blocked_by: str | None = None
    """What held it back at the pump's last pass (a window or pause key, or ``CONCURRENCY``)."""

    def __lt__(self, other: _Waiter) -> bool:
        return self.order < other.order


@dataclass(eq=False, slots=True)
class _ExchangeState:
    policy: ExchangePolicy
    slot_caps: tuple[int, int, int]
    in_use: int = 0
    queue: list[_Waiter] = field(default_factory=list)
    pump: asyncio.Task[None] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    held_ahead: Counter[Plan] = field(default_factory=Counter)
    """Requests granted ahead and held until their room frees, per plan."""


class Permit:
    """``async with limiter.acquire(...)``: holds a concurrency slot for the request's duration.

    A permit is taken at once when made if the in-memory backend can grant it (``granted``);
    the hot path (every HTTP request) then skips ``async with``: ``if not permit.granted: await
    permit.wait()``, then ``release()``. A permit granted at once costs no coroutine and no call
    beyond its making, which under a hundred concurrent requests is measurable. Whoever makes
    one releases it (``async with`` does).
    """

    __slots__ = ("_limiter", "_state", "_plan", "_priority", "_receipt", "granted")

    def __init__(self, limiter: RateLimiter, state: _ExchangeState, plan: Plan, priority: int):
        self._limiter = limiter
        self._state = state
        self._plan = plan
        self._priority = priority
        self._receipt: object = None
        self.granted = False
        queue = state.queue
        # Try at once unless someone of this class or higher already waits: a HIGH request does
        # not queue behind LOW ones.
        if (
            limiter._local is not None
            and not limiter._pauses
            and (not queue or queue[0].priority > priority)
            and state.in_use < state.slot_caps[priority]
        ):
            receipt = limiter._local.take_now(plan, priority)[2]
            if receipt is not None:
                state.in_use += 1
                self._receipt = receipt
                self.granted = True

    async def wait(self) -> None:
        """Take a permit that was not granted when made, waiting in priority order (and asking
        Redis, when shared)."""
        limiter, state = self._limiter, self._state
        queue = state.queue
        if (not queue or queue[0].priority > self._priority) and state.in_use < state.slot_caps[self._priority]:
            patience = limiter._config.rate_limiting.acquire_timeout_s
            hold, blocking, receipt = await limiter._attempt(state, self._plan, self._priority, ahead_s=patience)
            if blocking is None:
                self._receipt = receipt
                self.granted = True
                await self._held_for(hold)
                return
        self._receipt, hold = await limiter._wait(state, self._plan, self._priority)
        self.granted = True
        await self._held_for(hold)

    async def _held_for(self, seconds: float) -> None:
        """A grant ahead: the request may go only once its room frees. Meanwhile it waits for
        the budget, as one in the queue does (a timeout then is no exchange's, and the watchdog
        does not take the exchange for silent)."""
        if seconds <= 0:
            return
        held = self._state.held_ahead
        held[self._plan] += 1
        try:
            with waiting_for(f"{self._plan.exchange}'s rate-limit budget"):
                await asyncio.sleep(seconds)
        except BaseException:
            self.release()
            raise
        finally:
            held[self._plan] -= 1

    def answered(self, status: int, headers: Mapping[str, str], received_at: float) -> None:
        """What the answer to this permit's request says about the budget (``observe`` for a
        holder that knows its plan: no lookup by name)."""
        self._limiter._learn(self._plan, status, headers, received_at)

    def release(self) -> None:
        self._limiter._backend.settle(self._receipt)
        self._limiter._release(self._state)

    async def __aenter__(self) -> Permit:
        if not self.granted:
            await self.wait()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class RateLimiter:
    def __init__(self, config: Config, backend: Backend) -> None:
        self._config = config
        self._backend = backend
        self._local = backend if isinstance(backend, LocalBackend) else None
        self._policies: dict[str, ExchangePolicy] = {}
        self._states: dict[str, _ExchangeState] = {}
        self._plans: dict[tuple[str, str, str | None, int | None, str | None], Plan] = {}
        self._parts: dict[tuple[str, str], set[str]] = {}
        """(exchange, window) -> the endpoints or pools of a window of many charged so far: the
        instances the gauges read (kept across reconfigures, as the counts are)."""
        self._pauses: dict[str, float] = {}
        """Pause key -> wall-clock epoch until which nothing may be sent (429, 418, quota)."""
        self._bans: dict[str, float] = {}
        self._backoff = Backoff()
        self._seq = itertools.count()
        self._background: set[asyncio.Task[object]] = set()
        self._closed = False
        self.reconfigure(config)

    @classmethod
    def from_config(cls, config: Config, kind: str = "library") -> RateLimiter:
        """``kind`` names this process to the others sharing the budgets (tui, serve, ...)."""
        settings = config.rate_limiting
        if settings.backend == "redis":
            from cts_tui.ratelimit.shared import SharedBackend

            return cls(config, SharedBackend(settings, kind))
        return cls(config, LocalBackend())

    @property
    def backend(self) -> BackendName:
        return self._backend.name

    @property
    def backend_state(self) -> BackendState:
        """Where budgets are counted now and since when (REST, ``/metrics``, screen 2)."""
        return self._backend.state

    @property
    def fleet(self) -> Fleet | None:
        """Who shares the budgets, as the last heartbeat heard; None when counted here alone."""
        return getattr(self._backend, "fleet", None)

    async def start(self) -> None:
        await self._backend.start()

    async def close(self) -> None:
        """Fail whoever still waits, stop the pumps and the backend."""
        self._closed = True
        for state in self._states.values():
            for waiter in state.queue:
                if not waiter.future.done():
                    waiter.future.set_exception(
                        ExchangeError(ErrorKind.RATE_LIMITED, "rate limiter closed")
                    )
            state.queue.clear()
            if state.pump is not None:
                state.pump.cancel()
        pumps = [s.pump for s in self._states.values() if s.pump is not None]
        await asyncio.gather(*pumps, *self._background, return_exceptions=True)
        await self._backend.close()

    def reconfigure(self, config: Config) -> None:
        """Apply new limits now; counts already spent stay counted. The backend (local or
        Redis) is chosen once, by ``from_config``: changing it takes a restart."""
        self._config = config
        self._policies = build_policies(config)
        settings = config.rate_limiting
        for exchange, policy in self._policies.items():
            caps = concurrency_caps(policy.max_concurrent, settings)
            state = self._states.get(exchange)
            if state is None:
                self._states[exchange] = _ExchangeState(policy, caps)
            else:
                state.policy, state.slot_caps = policy, caps
                self._kick(state)
        self._plans.clear()
        self._backend.forget_plans()

    # --- acquiring ------------------------------------------------------------------------------

    def _plan(
        self, exchange: str, endpoint: str, account: str | None, weight: int | None, host: str | None = None
    ) -> Plan:
        key = (exchange, endpoint, account, weight, host)
        plan = self._plans.get(key)
        if plan is None:
            policy = self._policies.get(exchange)
            if policy is None:
                raise ExchangeError(
                    ErrorKind.INVALID_REQUEST, f"{exchange}: no rate limits configured (disabled or unknown)"
                )
            plan = make_plan(policy, endpoint, account, weight, self._config.rate_limiting, host)
            self._plans[key] = plan
            for charge in plan.charges:
                if charge.part is not None:
                    self._parts.setdefault((exchange, charge.window), set()).add(charge.part)
        return plan

    def acquire(
        self,
        exchange: str,
        endpoint: str,
        weight: int | None = None,
        priority: Priority | None = None,
        account: str | None = None,
        host: str | None = None,
    ) -> Permit:
        """``host``: the real REST host the request goes to, where the caller knows it (an
        exchange may count one path in another pool on each of its hosts)."""
        plan = self._plans.get((exchange, endpoint, account, weight, host)) or self._plan(
            exchange, endpoint, account, weight, host
        )
        sink = PLAN_SINK.get()
        if sink is not None:
            sink.append(plan)
        return Permit(
            self, self._states[exchange], plan, current_priority() if priority is None else priority
        )

    async def acquire_permit(
        self, exchange: str, endpoint: str, priority: Priority = Priority.NORMAL
    ) -> bool:
        """Spend budget for one request now if it fits, without waiting and without taking a
        concurrency slot; never jumps ahead of waiters of the same or higher priority."""
        plan = self._plan(exchange, endpoint, None, None)
        state = self._states[exchange]
        if any(w.priority <= priority for w in state.queue):
            return False
        return (await self._attempt(state, plan, priority, slot=False))[1] is None

    async def get_remaining_requests(self, exchange: str, endpoint: str) -> int:
        """Requests of this endpoint that would be granted now at the current priority."""
        plan = self._plan(exchange, endpoint, None, None)
        if self._paused_for(plan, time.time()) is not None:
            return 0
        return await self._backend.remaining(plan, current_priority())

    def plan_for(
        self, exchange: str, endpoint: str, account: str | None = None, weight: int | None = None
    ) -> Plan:
        """The plan a request of these parameters is charged to (what ``free_in`` asks about)."""
        return self._plans.get((exchange, endpoint, account, weight, None)) or self._plan(
            exchange, endpoint, account, weight)

    def free_in(self, plan: Plan, priority: int = Priority.NORMAL) -> float:
        """Read-only: 0.0 when a request of ``plan`` made now would be granted at once (no
        waiter of its class or higher ahead of it, a concurrency slot free, every window with
        room, no pause); else about how many seconds until it would be (a missing slot frees
        when a request ends: counted as ``SLOT_WAIT_S``). Charges nothing; with a shared
        backend only the pauses and slots are known here, so budgets count as free."""
        state = self._states.get(plan.exchange)
        if state is None:
            return 0.0
        wait = 0.0
        if self._pauses:
            paused = self._paused_for(plan, time.time())
            if paused is not None:
                wait = paused[0]
        if state.in_use >= state.slot_caps[priority]:
            wait = max(wait, SLOT_WAIT_S)
        if self._local is not None:
            wait = max(wait, self._local.wait_now(plan, priority))
        queue = state.queue
        if queue and queue[0].priority <= priority:
            wait = max(wait, SLOT_WAIT_S)  # behind someone already waiting
        return wait

    def budget_wait(self, plan: Plan, priority: int = Priority.NORMAL) -> float:
        """Read-only: seconds until ``plan``'s budget (its windows and pauses, not the
        concurrency slots) has room; 0.0 when it has now. With a shared backend the windows
        live in Redis: requests of ``plan`` that the pump holds back for a window say it has
        none now (``SLOT_WAIT_S``)."""
        wait = 0.0
        if self._pauses:
            paused = self._paused_for(plan, time.time())
            if paused is not None:
                wait = paused[0]
        if self._local is not None:
            wait = max(wait, self._local.wait_now(plan, priority))
        elif not wait and self._held_for_budget(plan):
            wait = SLOT_WAIT_S
        return wait

    def _held_for_budget(self, plan: Plan) -> bool:
        state = self._states.get(plan.exchange)
        return state is not None and (state.held_ahead[plan] > 0 or any(
            w.plan is plan and w.blocked_by not in (None, CONCURRENCY) for w in state.queue
        ))

    def _paused_for(self, plan: Plan, now: float) -> tuple[float, str] | None:
        for key in plan.pause_keys:
            until = self._pauses.get(key)
            if until is not None:
                if until > now:
                    return until - now, key
                del self._pauses[key]
                self._bans.pop(key, None)
        return None

    async def _attempt(
        self, state: _ExchangeState, plan: Plan, priority: int, slot: bool = True, ahead_s: float = 0.0
    ) -> tuple[float, str | None, object]:
        """One try: (0, None, receipt) when granted (with a slot held, if ``slot``), else
        (seconds to wait, what blocks, None); a grant ahead (up to ``ahead_s``) is (seconds to
        hold the request, None, receipt)."""
        if self._closed:
            raise ExchangeError(ErrorKind.RATE_LIMITED, "rate limiter closed")
        if self._pauses:
            paused = self._paused_for(plan, time.time())
            if paused is not None:
                return paused[0], paused[1], None
        if slot:
            if state.in_use >= state.slot_caps[priority]:
                return math.inf, CONCURRENCY, None
            state.in_use += 1  # held across the await: concurrent attempts must not all pass
        try:
            wait, blocking, receipt = await self._backend.take(plan, priority, ahead_s)
        except BaseException:
            if slot:
                state.in_use -= 1
            raise
        if blocking is None:
            return wait, None, receipt
        if slot:
            state.in_use -= 1
        if blocking[0] == BAN_MARK:  # another process was banned: the same IP is ours
            blocking = blocking[1:]
            self._bans[blocking] = time.time() + wait
        if blocking in plan.pause_keys:  # another process was told to stop: so are we
            self._pauses[blocking] = max(self._pauses.get(blocking, 0.0), time.time() + wait)
        return wait, blocking, None

    def _too_long(self, plan: Plan, wait: float, blocking: str, deadline: float) -> ExchangeError | None:
        """A pause or ban that outlasts the caller's patience fails now rather than at timeout."""
        if blocking not in plan.pause_keys or asyncio.get_running_loop().time() + wait <= deadline:
            return None
        until = time.time() + wait
        if blocking in self._bans:
            return ExchangeError(
                ErrorKind.BANNED,
                f"{plan.exchange}: banned by the exchange for {wait:.0f}s more",
                status=418,
                banned_until=until,
            )
        return ExchangeError(
            ErrorKind.RATE_LIMITED,
            f"{plan.exchange}: paused after a rate-limit answer for {wait:.1f}s more",
            status=429,
            retry_after=wait,
        )

    async def _wait(self, state: _ExchangeState, plan: Plan, priority: int) -> tuple[object, float]:
        """Queue until the pump grants this request; returns the grant's receipt and how long
        to hold the request (a grant ahead)."""
        if self._closed:
            raise ExchangeError(ErrorKind.RATE_LIMITED, "rate limiter closed")
        loop = asyncio.get_running_loop()
        timeout = self._config.rate_limiting.acquire_timeout_s
        waiter = _Waiter((priority, next(self._seq)), plan, priority, loop.time() + timeout,
                         loop.create_future())
        bisect.insort(state.queue, waiter)
        self._kick(state)
        try:
            with waiting_for(f"{plan.exchange}'s rate-limit budget"):
                async with asyncio.timeout(timeout):
                    return await waiter.future
        except TimeoutError:
            raise ExchangeError(
                ErrorKind.RATE_LIMITED,
                f"{plan.exchange}: no rate-limit permit for {plan.endpoint} within {timeout:g}s",
            ) from None
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled() and waiter.future.exception() is None:
                self._backend.settle(waiter.future.result()[0])  # granted as it was cancelled
                self._release(state)
            raise
        finally:
            if waiter in state.queue:
                state.queue.remove(waiter)
                self._kick(state)

    def _release(self, state: _ExchangeState) -> None:
        state.in_use -= 1
        if state.queue:
            self._kick(state)

    def _kick(self, state: _ExchangeState) -> None:
        if not state.queue or self._closed:
            return
        if state.pump is None:
            state.pump = asyncio.get_running_loop().create_task(self._pump(state))
        else:
            state.wake.set()

    async def _pump(self, state: _ExchangeState) -> None:
        try:
            while state.queue and not self._closed:
                state.wake.clear()
                sleep = _IDLE_POLL_S
                blocked: set[str] = set()
                for waiter in list(state.queue):
                    if waiter.future.done():
                        continue
                    if blocked and not blocked.isdisjoint(waiter.plan.block_keys):
                        waiter.blocked_by = next(iter(blocked & waiter.plan.block_keys))
                        continue
                    try:
                        decision = await self._attempt(state, waiter.plan, waiter.priority,
                                                       ahead_s=waiter.deadline - asyncio.get_running_loop().time())
                    except Exception as exc:  # a backend fault reaches its caller, not the pump
                        if not waiter.future.done():
                            waiter.future.set_exception(exc)
                        continue
                    wait, blocking, receipt = decision
                    if blocking is None:
                        if waiter.future.done():
                            self._backend.settle(receipt)
                            self._release(state)
                        else:
                            waiter.future.set_result((receipt, wait))
                            if waiter in state.queue:
                                state.queue.remove(waiter)
                        continue
                    error = self._too_long(waiter.plan, wait, blocking, waiter.deadline)
                    if error is not None:
                        if not waiter.future.done():
                            waiter.future.set_exception(error)
                        continue
                    waiter.blocked_by = blocking
                    blocked.add(blocking)
                    sleep = min(sleep, wait)
                    if state.wake.is_set():
                        break  # a newcomer may rank ahead of the rest of this pass
                if not state.queue or state.wake.is_set():
                    continue
                try:
                    async with asyncio.timeout(max(sleep, 0.0005)):
                        await state.wake.wait()
                except TimeoutError:
                    pass
        finally:
            state.pump = None

    # --- feedback -------------------------------------------------------------------------------

    def observe(self, feedback: ResponseFeedback) -> None:
        """Learn from one response: pause on 429, stop on 418, count what others spent."""
        if feedback.exchange not in self._policies:
            return
        key = (feedback.exchange, feedback.endpoint, feedback.account, None, None)
        plan = self._plans.get(key) or self._plan(*key)
        self._learn(plan, feedback.status, feedback.headers, feedback.received_at)

    def _learn(self, plan: Plan, status: int, headers: Mapping[str, str], received_at: float) -> None:
        verdict = interpret(plan.exchange, status, headers, received_at)
        scope = plan.pause_keys[-1]
        if verdict.banned:
            key = plan.exchange  # an IP ban stops every key on that IP
            seconds = verdict.pause_s if verdict.pause_s is not None else self._backoff.ban_for(key)
            self._pause(key, seconds, received_at, banned=True)
        elif verdict.throttled:
            seconds = verdict.pause_s if verdict.pause_s is not None else self._backoff.pause_for(scope)
            self._pause(scope, seconds, received_at, banned=False)
        elif status < 400 and self._backoff.strikes:  # most answers follow no pause: no call
            self._backoff.succeeded(scope)
        charge = plan.usage
        if charge is not None and (verdict.used is not None or verdict.used_share is not None):
            share = verdict.used_share or 0.0
            units = verdict.used if verdict.used is not None else math.ceil(share * charge.spec.limit)
            self._backend.raise_usage(plan.exchange, charge, units, received_at, plan.usage_tolerance)

    def _pause(self, key: str, seconds: float, since: float, banned: bool) -> None:
        until = since + seconds
        if until <= time.time():
            return
        self._pauses[key] = max(self._pauses.get(key, 0.0), until)
        if banned:
            self._bans[key] = self._pauses[key]
        log.warning("%s: %s for %.1fs", key, "banned" if banned else "paused", until - time.time())
        self._spawn(self._backend.share_pause(key, until - time.time(), banned))
        state = self._states.get(key.split("|", 1)[0])
        if state is not None:
            self._kick(state)

    def _spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            coro.close()
            return
        task = loop.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- gauges ---------------------------------------------------------------------------------

    def limits(self, exchange: str) -> bool:
        """Whether ``exchange`` has limits here (one the config disables has none: nothing may
        be sent there, and it has no gauges)."""
        return exchange in self._policies

    def usage(self, exchange: str) -> ExchangeUsage:
        """A snapshot for the gauges: no I/O, so the UI may call it every refresh."""
        state = self._states.get(exchange)
        if state is None:
            raise ExchangeError(ErrorKind.INVALID_REQUEST, f"{exchange}: no rate limits configured")
        policy = state.policy
        instances = sorted((self._instance_usage(exchange, spec, part) for spec in policy.windows
                            for part in self._parts.get((exchange, spec.name), ())),
                           key=lambda w: (-w.fraction, w.name, w.part or ""))
        windows = tuple(
            next((w for w in instances if w.name == spec.name), None) or self._instance_usage(exchange, spec, None)
            for spec in policy.windows
        )
        queued = [0, 0, 0]
        for waiter in state.queue:
            queued[waiter.priority] += 1
        now = time.time()
        prefix = exchange + "|"
        pauses = [u for k, u in self._pauses.items() if (k == exchange or k.startswith(prefix)) and u > now]
        bans = [u for k, u in self._bans.items() if (k == exchange or k.startswith(prefix)) and u > now]
        return ExchangeUsage(
            exchange=exchange,
            windows=windows,
            concurrent_in_use=state.in_use,
            concurrent_limit=policy.max_concurrent,
            queued=(queued[0], queued[1], queued[2]),
            paused_until=max(pauses, default=None),
            banned_until=max(bans, default=None),
            backend=self._backend.name,
            instances=tuple(instances),
        )

    def _instance_usage(self, exchange: str, spec: WindowSpec, part: str | None) -> WindowUsage:
        """A window of many with no instance charged yet reads as empty at the window's limit."""
        own = instance_spec(exchange, spec, part)
        return WindowUsage(spec.name, spec.period_s, self._backend.used(exchange, own), own.limit, part,
                           spec.by_exchange)
