"""The watchdog over the reads in flight: suspicion and hedged reads.

Every ``routing.watch_interval_ms`` one pass over the reads registered in their connections'
``calls`` (``core/suspicion.py``): nothing is done per request. A connection whose reads go
unanswered far past the exchange's usual latency is *suspect*: its breaker opens ("not
answering") and its reads are cancelled, to be retried elsewhere by ``execute_request``
(``core/requests.py``). A read older than the hedge delay is sent again on another connection
that can send now (``core/hedging.py``); the first answer wins and the loser is cancelled.

The caller learns why it was cancelled from ``claim_rescue``; ``answered`` ends a read's hedge
when the read itself answered first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from cts_tui.core.health_watch import HealthWatch
from cts_tui.core.hedging import HedgeBudget, Outcome, Rescued, Won, delay_s
from cts_tui.core.managed import ManagedConnection
from cts_tui.core.metrics import CoordinatorMetrics
from cts_tui.core.routing import Picker
from cts_tui.core.services import Services
from cts_tui.core.suspicion import (
    ARGS,
    KWARGS,
    METHOD,
    NOT_ANSWERING,
    PRIORITY,
    STARTED,
    TARGET,
    Call,
    is_suspect,
    threshold_s,
    unanswered,
)
from cts_tui.stopping import cancel_and_wait
from cts_tui.errors import ExchangeError
from cts_tui.models import ExchangeId
from cts_tui.ratelimit.priority import request_priority

if TYPE_CHECKING:
    from cts_tui.ratelimit.limiter import RateLimiter

log = logging.getLogger(__name__)


class Watchdog:
    def __init__(
        self,
        services: Services,
        picker: Picker,
        health: HealthWatch,
        limiter: RateLimiter,
        metrics: CoordinatorMetrics,
    ) -> None:
        self._live, self._table, self._hub, self._spawner = services.live, services.table, services.hub, services.spawner
        self._picker, self._health, self._limiter, self._metrics = picker, health, limiter, metrics
        self._rescues: dict[asyncio.Task[Any], Won | Rescued] = {}
        """Callers the watchdog cancelled, and why (a hedge's answer, or "not answering")."""
        self._hedges: dict[asyncio.Task[Any], asyncio.Task[Any]] = {}
        """Caller -> its hedge in flight."""
        self._hedge_budget = HedgeBudget()
        self._hedge_timers: dict[asyncio.Task[Any], asyncio.TimerHandle] = {}
        """Reads that reach their hedge delay before the next tick: hedged on time."""
        self._last_tick: float | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch(), name="cts-watchdog")

    async def close(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])
            self._task = None
        for timer in self._hedge_timers.values():
            timer.cancel()
        self._hedge_timers.clear()

    # --- what a read's caller asks ------------------------------------------------------------

    def claim_rescue(self, task: asyncio.Task[Any]) -> Won | Rescued | None:
        """Why the watchdog cancelled ``task`` (None: it did not)."""
        return self._rescues.pop(task, None)

    def answered(self, task: asyncio.Task[Any]) -> None:
        """``task``'s read ended (answered or failed) first: its hedge, if any, is cancelled."""
        if self._hedges:
            hedge = self._hedges.pop(task, None)
            if hedge is not None:
                hedge.cancel()

    # --- the pass -----------------------------------------------------------------------------

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._live.current.routing.watch_interval_ms / 1000)
            try:
                self.tick(time.perf_counter())
            except Exception:  # a bug here must not stop the watching
                log.exception("watchdog tick failed")

    def tick(self, now: float) -> None:
        routing = self._live.current.routing
        last, self._last_tick = self._last_tick, now
        # A loop that could not run the watchdog on time could not read answers either: that
        # quiet time is ours, not the exchange's.
        lagged = last is not None and now - last - routing.watch_interval_ms / 1000 > routing.suspect_floor_ms / 2000
        thresholds: dict[ExchangeId, float] = {}
        suspects: list[ManagedConnection] = []
        for entry in list(self._table.values()):
            calls, watch = entry.calls, entry.watch
            busy = bool(calls or watch.abandoned) and not lagged
            quiet = watch.observe(entry.stats.requests, busy, now)
            if not busy or not entry.breaker.allows_traffic:
                continue
            settings = entry.routing
            if settings.suspect and entry.stats.successes:  # one that never answered has no "usual"
                threshold = thresholds.get(entry.exchange)
                if threshold is None:
                    latency = self._table.exchange_latency(entry.exchange)
                    p99 = latency.percentile(99) if latency is not None else None
                    threshold = threshold_s(p99, settings.suspect_factor, settings.suspect_floor_ms)
                    thresholds[entry.exchange] = threshold
                old = unanswered((call[STARTED] for call in calls.values()), now, threshold)
                old += unanswered(watch.abandoned, now, threshold)
                if is_suspect(quiet, old, threshold, settings.suspect_min_requests) and not self._budget_held(entry):
                    suspects.append(entry)
                    continue
            if calls and settings.hedge and settings.hedge_max_share > 0:
                self._hedge_old_reads(entry, now)
        for entry in suspects:
            self._suspect(entry, now, suspects)

    def _budget_held(self, entry: ManagedConnection) -> bool:
        """Its oldest read may be waiting for the rate-limit budget, not for the exchange."""
        call = next(iter(entry.calls.values()), None)
        if call is None:
            return False
        plan = entry.plans.get(call[METHOD])
        return plan is not None and self._limiter.budget_wait(plan, call[PRIORITY]) > 0

    def _suspect(self, entry: ManagedConnection, now: float, batch: list[ManagedConnection]) -> None:
        """Out of rotation at once, breaker open ("not answering"), its reads go elsewhere. All
        of an exchange's connections may go when all of them stopped answering; otherwise the
        share ``health.max_ejected_share`` holds."""
        if not entry.breaker.allows_traffic:
            return
        peers = self._table.active_peers(entry.exchange)
        whole_exchange = all(e in batch or not e.breaker.allows_traffic for e in peers)
        if not whole_exchange and not self._health.may_eject(entry):
            return
        starts = [call[STARTED] for call in entry.calls.values()] + entry.watch.abandoned
        message = f"{NOT_ANSWERING}: {len(starts)} requests unanswered, the oldest for {now - min(starts):.2f} s"
        entry.watch.abandoned.clear()
        log.warning("%s (%s) %s", entry.id, entry.exchange.value, message)
        entry.watch.suspects += 1
        entry.stats.last_error = message
        self._metrics.suspects.labels(entry.exchange.value, entry.id).inc()
        self._health.open_breaker(entry, NOT_ANSWERING)
        rescue = Rescued(NOT_ANSWERING)
        for task in list(entry.calls):
            if task not in self._rescues:
                self._rescues[task] = rescue
                task.cancel()

    # --- hedged reads -------------------------------------------------------------------------

    def _recent_requests(self, exchange: ExchangeId) -> int:
        total = 0
        for entry in self._table.of_exchange(exchange):
            ok, failed = entry.stats.recent.totals()
            total += ok + failed
        return total

    def _hedge_old_reads(self, entry: ManagedConnection, now: float) -> None:
        """Hedge the reads older than the hedge delay; a read that will reach it before the
        next tick gets a timer for that moment (only those: no work per request)."""
        settings = entry.routing
        latency = self._table.exchange_latency(entry.exchange)
        percentile = latency.percentile(settings.hedge_percentile) if latency is not None else None
        delay = delay_s(percentile, settings.hedge_min_ms, settings.hedge_max_ms)
        horizon = self._live.current.routing.watch_interval_ms / 1000
        for task, call in list(entry.calls.items()):  # oldest first
            due = call[STARTED] + delay - now
            if due > horizon:
                break
            if task in self._hedges or task in self._rescues or task in self._hedge_timers or task.done():
                continue
            if due > 0:
                self._hedge_timers[task] = asyncio.get_running_loop().call_later(due, self._hedge_due, entry, task, call)
            elif not self._try_hedge(entry, task, call, now):
                break

    def _hedge_due(self, entry: ManagedConnection, task: asyncio.Task[Any], call: Call) -> None:
        self._hedge_timers.pop(task, None)
        if entry.calls.get(task) is not call or self._task is None or task in self._hedges or task in self._rescues:
            return
        if entry.breaker.allows_traffic and entry.routing.hedge:
            self._try_hedge(entry, task, call, time.perf_counter())

    def _try_hedge(self, entry: ManagedConnection, task: asyncio.Task[Any], call: Call, now: float) -> bool:
        """Send ``call`` on another connection that can send it now, if the cap allows; False
        when no later read of this connection can be hedged either (cap reached, nowhere to go)."""
        method, target, priority = call[METHOD], call[TARGET], call[PRIORITY]
        if target is not None and target in self._table:
            return True  # pinned to this very connection: nowhere else to send it
        exchange = entry.exchange.value
        requests = self._recent_requests(entry.exchange)
        if not self._hedge_budget.allows(exchange, now, requests, entry.routing.hedge_max_share):
            return False
        alt = None
        if target is None:  # anywhere: another exchange first
            alt = self._picker.choose(method, None, {entry.id}, {entry.exchange}, priority)
        if alt is None:
            alt = self._picker.choose(method, target, {entry.id}, frozenset(), priority)
        if alt is None:
            return False
        plan = alt.plans.get(method)
        if plan is not None and self._limiter.free_in(plan, priority):
            return True  # a hedge never waits for budget
        self._hedge_budget.spend(exchange, now)
        entry.watch.hedges_sent += 1
        self._hedges[task] = self._spawner.spawn(self._hedge(task, entry, alt, call))
        return True

    async def _hedge(
        self, original: asyncio.Task[Any], entry: ManagedConnection, alt: ManagedConnection, call: Call
    ) -> None:
        """Send ``call`` on ``alt``; the first answer wins (the loser is cancelled)."""
        client = self._hub.client_for(alt.connection)
        stats = alt.stats
        stats.in_flight += 1
        started = time.perf_counter()
        counter = self._metrics.hedges
        try:
            with request_priority(call[PRIORITY]):
                result = await client.call(call[METHOD], *call[ARGS], **call[KWARGS])
        except ExchangeError as exc:
            self._health.record_failure(alt, exc, time.perf_counter() - started)
            counter.labels(entry.exchange.value, Outcome.FAILED.value).inc()
            return
        except asyncio.CancelledError:
            counter.labels(entry.exchange.value, Outcome.LOST.value).inc()
            raise
        finally:
            stats.in_flight -= 1
            if self._hedges.get(original) is asyncio.current_task():
                del self._hedges[original]
        self._health.record_success(alt, time.perf_counter() - started)
        if original in entry.calls and type(self._rescues.get(original)) is not Won:
            cancel = original not in self._rescues  # a suspect's rescue already cancelled it
            self._rescues[original] = Won(result)
            if cancel:
                original.cancel()
                entry.watch.abandoned.append(call[STARTED])
            entry.watch.hedges_won += 1
            counter.labels(entry.exchange.value, Outcome.WON.value).inc()
        else:
            counter.labels(entry.exchange.value, Outcome.LOST.value).inc()
