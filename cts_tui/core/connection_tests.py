"""Testing connections, one or in batches, and reading what the exchanges say about the keys.

A test drives the state machine (testing -> active | error) and never leaves a connection in
testing: a timeout or a cancel puts back the state it came from. The store holds a claim on the
test meanwhile, so that if this process dies another one can tell the test was abandoned
(``core/shared_store.py`` recovers it). Batches (``core/batch.py``) run tests, health checks,
balance reads and permission reads as tasks, each result evented and the finished batch kept on
the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, TypeVar

from cts_tui.core.batch import BatchJob, BatchProcessor, TaskKind
from cts_tui.core.events import BatchFinished, BatchProgress, TestFinished
from cts_tui.core.health_watch import HealthWatch
from cts_tui.core.key_hygiene import KeyHygiene
from cts_tui.core.managed import ManagedConnection
from cts_tui.core.services import Services
from cts_tui.core.state_machine import StateMachine
from cts_tui.core.timeouts import bounded
from cts_tui.errors import CtsError, ErrorKind, ExchangeError, NotFoundError, scrub
from cts_tui.models import BatchResult, Connection, ConnectionDraft, ConnectionState, ExchangeId, TestResult
from cts_tui.ratelimit.priority import Priority, request_priority
from cts_tui.store.records import TestClaim

if TYPE_CHECKING:
    from cts_tui.store import Source

log = logging.getLogger(__name__)
_T = TypeVar("_T")
_S = ConnectionState

_UNJUDGED = frozenset({ErrorKind.TIMEOUT, ErrorKind.RATE_LIMITED})
"""A test that failed so says nothing about the key: its connection goes back where it was."""
CLAIM_GRACE_S = 5.0
"""A test's claim outlives its timeout by this much before another process may call it
abandoned (its tester still has to write the outcome)."""


class ConnectionTests:
    def __init__(self, services: Services, machine: StateMachine, health: HealthWatch, keys: KeyHygiene) -> None:
        self._live, self._table, self._publisher = services.live, services.table, services.publisher
        self._hub, self._store, self._me = services.hub, services.store, services.me
        self._machine, self._health, self._keys = machine, health, keys
        self.batches = BatchProcessor(
            self._live.current.batch, self._run_batch_task, self._batch_cap, self._batch_progress, self._batch_finished
        )

    async def bounded(self, call: Awaitable[_T]) -> _T:
        """``call`` within the batch task timeout (``core/timeouts.py``)."""
        return await bounded(call, self._live.current.batch.task_timeout_s)

    # --- one connection -----------------------------------------------------------------------

    async def test_connection(self, connection_id: str, source: Source = "system") -> TestResult:
        """Test one connection. Active, errored (and mid-test) connections go through testing to
        active or error; paused and disabled ones are tested without changing their state.

        A test that times out or is cancelled puts back the state it came from (a new
        connection's first test that never finished: error) and is recorded as a failed
        attempt, with its real duration and what it waited for."""
        entry = self._table.entry(connection_id)
        async with entry.lock:
            before = entry.state
            started = time.monotonic()
            drives = before in (_S.ACTIVE, _S.ERROR, _S.TESTING) and await self._begin_test(entry, before, source)
            try:
                result = await self._run_test(entry.connection)
            except asyncio.CancelledError:
                elapsed_ms = int((time.monotonic() - started) * 1000)
                cancelled = TestResult(
                    connection_id=connection_id, success=False, error=f"cancelled after {elapsed_ms / 1000:.1f} s",
                    duration_ms=elapsed_ms,
                )
                await asyncio.shield(self._finish_test(entry, cancelled, before if drives else None, source))
                raise
            if connection_id not in self._table:  # deleted meanwhile
                return result
            self._health.judge_test(entry, result)
            await self._finish_test(entry, result, before if drives else None, source)
        self._publisher.publish(TestFinished(result))
        self._publisher.mark_dirty()
        return result

    async def _begin_test(self, entry: ManagedConnection, before: ConnectionState, source: Source) -> bool:
        """Claim the test and enter testing; False when another process moved the connection
        since we read it (the test then runs without driving its state)."""
        now = time.time()
        deadline = now + self._live.current.batch.task_timeout_s + CLAIM_GRACE_S
        stored = await self._store.begin_test(TestClaim(entry.id, self._me, now, deadline, before.value), source)
        self._machine.settled(entry, stored, before, "testing")
        return stored.state is _S.TESTING

    async def _finish_test(
        self, entry: ManagedConnection, result: TestResult, before: ConnectionState | None, source: Source
    ) -> None:
        """Record the outcome and, when the test drove the state (``before`` given), settle it:
        passed: active; failed: error; never finished (timed out, cancelled): where it was."""
        entry.record_test(result)
        if result.key is not None:
            await self._keys.record(entry.connection, result.key, result.tested_at)
        if before is None:
            with contextlib.suppress(NotFoundError):
                await self._store.record_test(result)
            return
        # No answer, or none asked for (no rate-limit permit in time): the key was not judged.
        unfinished = result.error_kind in _UNJUDGED or (not result.success and result.error_kind is None)
        if result.success:
            target, reason = _S.ACTIVE, "test passed"
        elif unfinished and before is not _S.TESTING:
            target, reason = before, f"test did not finish ({result.error}); back to {before.value}"
        else:
            target, reason = _S.ERROR, "test failed"
        try:
            stored = await self._store.finish_test(result, target, source, tester=self._me.token)
        except NotFoundError:  # deleted meanwhile
            return
        self._machine.settled(entry, stored, _S.TESTING, reason)

    async def _run_test(self, connection: Connection) -> TestResult:
        """Always a result: whatever the client raises (an answer it could not make sense of
        included) is a failed test, never an exception that would leave the state behind."""
        started = time.monotonic()
        try:
            return await self.bounded(self._hub.client_for(connection).test_connection())
        except Exception as exc:  # noqa: BLE001 - see the docstring
            if isinstance(exc, ExchangeError):
                error = exc
            else:
                log.warning("testing %s: unexpected %s", connection.id, scrub(repr(exc)))
                error = ExchangeError(
                    ErrorKind.BAD_RESPONSE, f"the exchange's answer made no sense ({type(exc).__name__})"
                )
            return TestResult(
                connection_id=connection.id,
                success=False,
                error_kind=error.kind,
                error=error.message,
                duration_ms=int((time.monotonic() - started) * 1000),
            )

    async def test_draft(self, draft: ConnectionDraft) -> TestResult:
        """Test credentials before saving them: nothing is stored, the client is dropped."""
        connection = Connection.from_draft(draft)
        try:
            return await self._run_test(connection)
        finally:
            await self._hub.drop(connection.id)

    async def read_keys(self, ids: Iterable[str] | None = None) -> dict[str, str | None]:
        """Ask the exchanges about the keys now (at most ``health.concurrency`` at once), each
        read stored: id -> None when read, else why not."""
        targets = [self._table.entry(cid) for cid in ids] if ids is not None else list(self._table.values())
        semaphore = self._health.semaphore

        async def one(entry: ManagedConnection) -> tuple[str, str | None]:
            connection = entry.connection
            async with semaphore:
                try:
                    facts = await self.bounded(self._hub.client_for(connection).fetch_key_facts())
                except ExchangeError as exc:
                    return entry.id, f"{exc.message} [{exc.kind.value}]"
            await self._keys.record(connection, facts)
            return entry.id, None

        return dict(await asyncio.gather(*(one(e) for e in targets)))

    # --- batches ------------------------------------------------------------------------------

    def start_batch(
        self, ids: Iterable[str], kind: TaskKind = "test", priority: Priority = Priority.LOW
    ) -> BatchJob:
        """Queue one task per connection; unknown ids raise ``NotFoundError`` before anything
        is queued."""
        targets = [(cid, self._table.entry(cid).exchange) for cid in ids]
        limit = self._live.current.batch.max_per_request
        if len(targets) > limit:
            raise CtsError(f"a batch takes at most {limit} connections (got {len(targets)})")
        return self.batches.submit(targets, kind, int(priority), uuid.uuid4().hex[:12])

    def _batch_cap(self, exchange: ExchangeId) -> int:
        return self._live.current.limits(exchange).max_concurrent

    async def _run_batch_task(self, kind: TaskKind, connection_id: str) -> TestResult:
        with request_priority(Priority.LOW):
            if kind == "test":
                return await self.test_connection(connection_id, source="system")
            entry = self._table.entry(connection_id)
            if kind == "health":
                started = time.monotonic()
                ok = await self._health.check(entry)
                return TestResult(
                    connection_id=connection_id,
                    success=ok,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    error_kind=None if ok else entry.stats.last_error_kind,
                    error=None if ok else entry.stats.last_error,
                )
            return await self._batch_read(entry, kind)

    async def _batch_read(self, entry: ManagedConnection, kind: TaskKind) -> TestResult:
        """Balance retrieval or permission (capability) check as a batch task."""
        started = time.monotonic()
        try:
            result = await self.bounded(self._read(entry, kind))
        except ExchangeError as exc:
            result = TestResult(connection_id=entry.id, success=False, error_kind=exc.kind, error=exc.message)
        return result.model_copy(update={"duration_ms": int((time.monotonic() - started) * 1000)})

    async def _read(self, entry: ManagedConnection, kind: TaskKind) -> TestResult:
        client = self._hub.client_for(entry.connection)
        if kind == "balance":
            balances = await client.fetch_balance()
            quote_total = balances.get("USDT")
            if quote_total is not None:
                entry.balance = quote_total
            await self._store.record_balance(entry.id, balances)
            return TestResult(connection_id=entry.id, success=True, balances=balances, balance=quote_total)
        permissions = await client.fetch_permissions()
        return TestResult(
            connection_id=entry.id, success=True, permissions=permissions, capabilities=client.capabilities()
        )

    def _batch_progress(self, job: BatchJob, result: TestResult) -> None:
        self._publisher.publish(BatchProgress(job.batch_id, job.done, job.total, result))
        self._publisher.mark_dirty()

    async def _batch_finished(self, job: BatchJob, result: BatchResult) -> None:
        try:
            await self._store.save_batch(result, self._live.current.batch.result_ttl_s)
        except CtsError as exc:  # a read-only or full store: the caller still gets its result
            log.warning("batch %s not kept: %s", result.batch_id, exc.message)
        finally:
            self._publisher.publish(BatchFinished(result, cancelled=job.cancelled))
            self._publisher.mark_dirty()
