"""Whether each connection works now: outcomes, circuit breakers, probes and health checks.

Every request's outcome (live traffic, a lent exchange's, a hedge's, a check's) is recorded here
into the connection's statistics and breaker. A breaker opening is not a state change: it is a
transient verdict, shown in the views and in ``healthy``, and the connection leaves rotation
until a probe succeeds. Only evidence that the key itself is broken (an authentication failure)
moves an active connection to error; a later successful check moves it back to active.

The periodic checks (``HealthScheduler``) run only while this process holds the scheduler's
lease (``core/shared_store.py`` starts and stops them); each check is shared on the store so the
other processes show it too, and theirs arrive through ``observe_check``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cts_tui.core.breaker import BreakerState, ejection_allowed
from cts_tui.core.health import HealthScheduler
from cts_tui.core.managed import ManagedConnection
from cts_tui.core.services import Services
from cts_tui.core.state_machine import StateMachine
from cts_tui.core.timeouts import error_from
from cts_tui.errors import CtsError, ErrorKind, ExchangeError
from cts_tui.models import ConnectionState, TestResult, Transition
from cts_tui.ratelimit.priority import Priority, request_priority
from cts_tui.ratelimit.waiting import tracking_waits
from cts_tui.store.records import CheckRecord

if TYPE_CHECKING:
    from cts_tui.config import Config

log = logging.getLogger(__name__)

_S = ConnectionState
_CHECKED = (_S.ACTIVE, _S.ERROR)


class HealthWatch:
    def __init__(self, services: Services, machine: StateMachine) -> None:
        self._live, self._table, self._publisher = services.live, services.table, services.publisher
        self._hub, self._store, self._me, self._spawner = services.hub, services.store, services.me, services.spawner
        self._machine = machine
        self._scheduler = HealthScheduler(self._live.current.health, self._scheduled_check, self._checkable_ids)
        self._table.lineup_changed.connect(self._scheduler.wake)

    # --- the schedule -------------------------------------------------------------------------

    @property
    def semaphore(self) -> asyncio.Semaphore:
        """At most ``health.concurrency`` exchange reads at once (checks, key reads)."""
        return self._scheduler.semaphore

    @property
    def scheduling(self) -> bool:
        """Whether the periodic checks run here (this process holds the lease)."""
        return self._scheduler.running

    def start_schedule(self) -> None:
        self._scheduler.start()

    async def stop_schedule(self) -> None:
        await self._scheduler.close()

    def reconfigure(self, old: Config) -> None:
        if self._live.current.health != old.health:
            self._scheduler.reconfigure(self._live.current.health)

    def _checkable_ids(self) -> list[str]:
        return [e.id for e in self._table.values() if e.state in _CHECKED and e.breaker.state == BreakerState.CLOSED]

    async def _scheduled_check(self, connection_id: str) -> bool:
        entry = self._table.get(connection_id)
        if entry is None or entry.state not in _CHECKED:
            return False
        return await self.check(entry)

    # --- checks -------------------------------------------------------------------------------

    async def run_health_checks(self, ids: Iterable[str] | None = None) -> dict[str, bool]:
        """Check now (LOW priority, at most ``health.concurrency`` at once): id -> healthy."""
        table = self._table
        targets = [table.entry(cid) for cid in ids] if ids is not None else [
            e for e in table.values() if e.state in _CHECKED
        ]
        semaphore = self.semaphore

        async def one(entry: ManagedConnection) -> tuple[str, bool]:
            async with semaphore:
                return entry.id, await self.check(entry)

        return dict(await asyncio.gather(*(one(e) for e in targets)))

    async def check(self, entry: ManagedConnection) -> bool:
        """One health check: an authenticated read (the balance), LOW priority, with a timeout.
        Recorded like live traffic, so it feeds the same statistics and breaker."""
        timeout = self._live.current.health.timeout_s
        client = self._hub.client_for(entry.connection)
        started = time.perf_counter()
        with tracking_waits() as waits:
            try:
                with request_priority(Priority.LOW):
                    async with asyncio.timeout(timeout):
                        await client.fetch_balance()
            except (ExchangeError, TimeoutError) as exc:
                error = error_from(exc, timeout, waits)
                elapsed = time.perf_counter() - started
                self.record_failure(entry, error, elapsed, check=True)
                await self._share_check(entry, elapsed, error)
                return False
        elapsed = time.perf_counter() - started
        self.record_success(entry, elapsed, check=True)
        await self._share_check(entry, elapsed)
        if entry.state is _S.ERROR and entry.id in self._table:
            async with entry.lock:
                if entry.state is _S.ERROR:
                    await self._machine.transition(entry, Transition.PASS, "system", "health check passed")
        return True

    async def _share_check(self, entry: ManagedConnection, elapsed_s: float, error: ExchangeError | None = None) -> None:
        """Other processes on the store show this check too (they run none while we hold the
        lease)."""
        record = CheckRecord(
            entry.id, time.time(), error is None, elapsed_s * 1000,
            error.kind if error else None, error.message if error else None, self._me.token,
        )
        try:
            await self._store.record_check(record)
        except CtsError as exc:
            log.warning("sharing a health check failed: %s", exc.message)

    def observe_check(self, entry: ManagedConnection, check: CheckRecord) -> None:
        """Another process's check feeds the statistics shown, not this process's breaker
        (which judges the traffic this process sends)."""
        stats = entry.stats
        if check.ok:
            stats.record_success(check.latency_ms / 1000, check=True)
        else:
            kind = check.error_kind or ErrorKind.NETWORK
            stats.record_failure(kind, check.error or kind.value, check.latency_ms / 1000, check=True)
        self._table.routing_changed.emit()  # an error streak moves a connection to the back of the line

    # --- outcomes -----------------------------------------------------------------------------

    def record_success(self, entry: ManagedConnection, elapsed_s: float, *, check: bool = False) -> None:
        """Every request's bookkeeping: kept to what a success must do, the rest only when a
        failure came before it."""
        stats, breaker = entry.stats, entry.breaker
        errors_before = stats.consecutive_errors
        stats.record_success(elapsed_s, check=check)
        if (breaker.failures or breaker.state is not BreakerState.CLOSED) and breaker.record_success():
            self._breaker_closed(entry)
        if errors_before and errors_before >= self._live.current.health.breaker_threshold:
            self._table.routing_changed.emit()  # back from the end of the line
        self._publisher.mark_dirty()

    def record_failure(
        self, entry: ManagedConnection, error: ExchangeError, elapsed_s: float, *, check: bool = False
    ) -> None:
        entry.stats.record_failure(error.kind, error.message, elapsed_s, check=check)
        if entry.stats.consecutive_errors == self._live.current.health.breaker_threshold:
            self._table.routing_changed.emit()  # it now goes to the back of the line
        if entry.breaker.record_failure(error.kind, may_open=self.may_eject(entry)):
            self.open_breaker(entry)
        if error.kind is ErrorKind.AUTH and entry.state is _S.ACTIVE:
            self._spawner.spawn(self._key_rejected(entry, error.message))
        self._publisher.mark_dirty()

    def judge_test(self, entry: ManagedConnection, result: TestResult) -> None:
        """A finished test counts for the breaker as a request does (not for the statistics)."""
        if result.success:
            if entry.breaker.record_success():
                self._breaker_closed(entry)
        elif result.error_kind is not None and entry.breaker.record_failure(
            result.error_kind, may_open=self.may_eject(entry)
        ):
            self.open_breaker(entry)

    async def _key_rejected(self, entry: ManagedConnection, message: str) -> None:
        async with entry.lock:
            if entry.state is _S.ACTIVE and entry.id in self._table:
                await self._machine.transition(entry, Transition.FAIL, "system", f"key rejected: {message}")

    # --- the circuit breaker ------------------------------------------------------------------

    def may_eject(self, entry: ManagedConnection) -> bool:
        peers = self._table.active_peers(entry.exchange)
        ejected = sum(1 for e in peers if e.breaker.state != BreakerState.CLOSED)
        return ejection_allowed(ejected, len(peers), self._live.current.health.max_ejected_share)

    def open_breaker(self, entry: ManagedConnection, reason: str | None = None) -> None:
        kind = entry.stats.last_error_kind
        entry.breaker_reason = reason or (kind.value if kind is not None else None)
        cooldown = entry.breaker.open()
        log.warning(
            "breaker of %s (%s) open for %.1f s (%s)", entry.id, entry.exchange.value, cooldown, entry.breaker_reason
        )
        if entry.probe is None or entry.probe.done():
            entry.probe = self._spawner.spawn(self._probe_until_closed(entry))
        self._publisher.mark_dirty()

    def _breaker_closed(self, entry: ManagedConnection) -> None:
        log.info("breaker of %s (%s) closed", entry.id, entry.exchange.value)
        self._publisher.mark_dirty()

    def reset_breaker(self, entry: ManagedConnection) -> None:
        """A disabled or removed connection starts again with a closed breaker and no probe."""
        if entry.probe is not None and entry.probe is not asyncio.current_task():
            entry.probe.cancel()
        entry.probe = None
        entry.reset_breaker(self._live.current.health)

    async def _probe_until_closed(self, entry: ManagedConnection) -> None:
        """Wait out the cooldown, go half-open, probe; a failed probe re-opens the breaker with
        a longer cooldown and the loop waits again."""
        while entry.breaker.state != BreakerState.CLOSED and entry.id in self._table:
            await asyncio.sleep(entry.breaker.remaining_s())
            entry.breaker.half_open()
            self._publisher.mark_dirty()
            await self.check(entry)
        entry.probe = None
