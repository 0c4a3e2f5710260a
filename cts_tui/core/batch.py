"""The batch processor: many connection operations, a priority queue, bounded concurrency.

Dispatch is exchange-aware: a task starts only when fewer than ``batch.max_concurrent`` tasks run
in total and fewer than the exchange's own ``max_concurrent``, and a free slot goes to the
exchange with the fewest tasks running (first come first served within a priority otherwise). Ten
slots can therefore never all sit waiting on one exchange's budget while the others idle, which is
what lets a batch over several exchanges finish in about the time the slowest exchange's rate
limit allows.
A task whose exchange answered "rate limited" goes back in the queue (up to
``RATE_LIMITED_RETRIES`` times): the limiter has paused the exchange by then, so the retry waits
its turn instead of reporting a working key as failed. A job can be cancelled (queued tasks are
dropped, running ones cancelled, both reported as failed "cancelled"); finished jobs are handed
back for persistence.

Each task runs with a ``WaitTracker`` in its context, which the limiter marks while the task's
requests queue for a permit, so ``BatchJob.tasks()`` can say why each task waits: a batch slot, a
slot of its exchange's own ``max_concurrent``, or the exchange's rate-limit budget. The batch's
own timeout is a backstop ``TIMEOUT_GRACE_S`` past ``batch.task_timeout_s``: the runner's test
times out at ``task_timeout_s`` itself, with a result that says what happened, and that result
must win the race; should the backstop fire anyway, the tracker says where the time went.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from cts_tui.capabilities import ExchangeId
from cts_tui.config import Batch
from cts_tui.core.snapshots import BatchStats, BatchTaskStatus, BatchTaskView
from cts_tui.errors import CtsError, ErrorKind
from cts_tui.models import BatchResult, TestResult
from cts_tui.ratelimit.waiting import WaitTracker, tracking_waits
from cts_tui.stopping import cancel_and_wait

log = logging.getLogger(__name__)

TaskKind = Literal["test", "balance", "capabilities", "health"]
RATE_LIMITED_RETRIES = 2
TIMEOUT_GRACE_S = 3.0
"""How long past ``batch.task_timeout_s`` the backstop waits: room for what the runner does around
its own timed test (the connection's lock, state changes and results written to the store)."""
Runner = Callable[[TaskKind, str], Awaitable[TestResult]]


@dataclass(slots=True)
class _Task:
    priority: int
    seq: int
    job: BatchJob
    connection_id: str
    exchange: ExchangeId
    attempts: int = 1
    status: BatchTaskStatus = "queued"
    queued_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    finished_at: float | None = None
    tracker: WaitTracker | None = None
    """The current attempt's, once it runs."""


class BatchJob:
    """A submitted batch: watch ``done``/``total`` or each of ``tasks()``, ``cancel()`` it,
    ``await result()``."""

    def __init__(self, batch_id: str, kind: TaskKind, processor: BatchProcessor) -> None:
        self.batch_id = batch_id
        self.kind = kind
        self.total = 0
        self.results: dict[str, TestResult] = {}
        self.cancelled = False
        self._started = time.monotonic()
        self._future: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
        self._processor = processor
        self._tasks: list[_Task] = []

    @property
    def done(self) -> int:
        return len(self.results)

    @property
    def finished(self) -> bool:
        return self.done == self.total

    def cancel(self) -> None:
        if not self.finished and not self.cancelled:
            self.cancelled = True
            self._processor._cancel(self)

    def tasks(self) -> list[BatchTaskView]:
        """Every task, unfinished first (running by start, then queued in queue order), then
        finished ones, latest first: the order in which a live view wants them. Reads memory only,
        cheap enough for a screen to call several times a second."""
        now = time.monotonic()
        return [self._view(task, now) for task in sorted(self._tasks, key=_listing_order)]

    def _view(self, task: _Task, now: float) -> BatchTaskView:
        cid, exchange, started = task.connection_id, task.exchange, task.started_at
        if task.status == "queued":
            return BatchTaskView(cid, exchange, "queued", self._processor._why_queued(task), now - task.queued_at)
        if task.status == "done":
            result = self.results[cid]
            ran_s = (task.finished_at or now) - started if started is not None else 0.0  # cancelled while queued
            return BatchTaskView(cid, exchange, "done", result.error or "", ran_s, result=result)
        running_s = now - (started or now)
        tracker = task.tracker
        waiting_for = tracker.waiting_for if tracker is not None else None
        if tracker is None or waiting_for is None:
            return BatchTaskView(cid, exchange, "running", "sending", running_s)
        reason = f"waiting {_seconds(tracker.waited_s)} for {waiting_for}"
        return BatchTaskView(cid, exchange, "running", reason, running_s, waiting=True)

    async def result(self) -> BatchResult:
        return await asyncio.shield(self._future)

    def _summary(self) -> BatchResult:
        duration_ms = int((time.monotonic() - self._started) * 1000)
        result = BatchResult.of(dict(self.results), duration_ms)
        return result.model_copy(update={"batch_id": self.batch_id})


def _seconds(value: float) -> str:
    """Tenths while they matter: a wait of 0.4 s is not "0 s"."""
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"


def _listing_order(task: _Task) -> tuple[float, ...]:
    if task.status == "running":
        return (0, task.started_at or 0.0)
    if task.status == "queued":
        return (1, task.priority, task.seq)
    return (2, -(task.finished_at or 0.0))


def _failed(connection_id: str, kind: ErrorKind | None, message: str) -> TestResult:
    return TestResult(connection_id=connection_id, success=False, error_kind=kind, error=message)


class BatchProcessor:
    def __init__(
        self,
        settings: Batch,
        run: Runner,
        exchange_cap: Callable[[ExchangeId], int],
        on_progress: Callable[[BatchJob, TestResult], None],
        on_finished: Callable[[BatchJob, BatchResult], Awaitable[None]],
        *,
        timeout_grace_s: float = TIMEOUT_GRACE_S,
    ) -> None:
        self.settings = settings
        self._timeout_grace_s = timeout_grace_s
        self._run = run
        self._exchange_cap = exchange_cap
        self._on_progress = on_progress
        self._on_finished = on_finished
        self._queue: list[_Task] = []
        self._seq = itertools.count()
        self._running: dict[asyncio.Task[None], _Task] = {}
        self._running_by_exchange: Counter[ExchangeId] = Counter()
        self._changed = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._counts: Counter[str] = Counter()
        self._finishing: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._dispatcher = asyncio.create_task(self._dispatch(), name="cts-batch-dispatcher")

    async def close(self) -> None:
        if self._dispatcher is not None:
            await cancel_and_wait([self._dispatcher])
            self._dispatcher = None
        await cancel_and_wait(self._running)
        if self._finishing:
            await asyncio.gather(*self._finishing, return_exceptions=True)

    def reconfigure(self, settings: Batch) -> None:
        self.settings = settings
        self._changed.set()

    def submit(
        self, targets: Sequence[tuple[str, ExchangeId]], kind: TaskKind, priority: int, batch_id: str
    ) -> BatchJob:
        """Queue one task per (connection id, exchange); duplicates run once."""
        unique = dict(targets)
        job = BatchJob(batch_id, kind, self)
        job._tasks = [_Task(priority, next(self._seq), job, cid, exchange) for cid, exchange in unique.items()]
        job.total = len(job._tasks)
        self._queue.extend(job._tasks)
        if not unique:
            self._complete(job)
        self._changed.set()
        return job

    def stats(self) -> BatchStats:
        return BatchStats(
            queued=len(self._queue),
            running=len(self._running),
            completed=self._counts["completed"],
            failed=self._counts["failed"],
            cancelled=self._counts["cancelled"],
        )

    def _next_startable(self) -> _Task | None:
        if len(self._running) >= self.settings.max_concurrent:
            return None
        running = self._running_by_exchange
        startable = [task for task in self._queue if running[task.exchange] < self._exchange_cap(task.exchange)]
        if not startable:
            return None
        task = min(startable, key=lambda t: (t.priority, running[t.exchange], t.seq))
        self._queue.remove(task)
        return task

    def _why_queued(self, task: _Task) -> str:
        """The cap that holds the task back; its exchange's first, since that one still holds
        when a batch slot frees."""
        cap = self._exchange_cap(task.exchange)
        busy = len(self._running)
        if self._running_by_exchange[task.exchange] >= cap:
            why = f"{task.exchange.value}'s {cap} concurrent slot{'s' if cap != 1 else ''} busy"
        elif busy >= self.settings.max_concurrent:
            why = f"{busy} of {self.settings.max_concurrent} batch slots busy"
        else:
            why = "starting"
        return f"again after a rate limit, {why}" if task.attempts > 1 else why

    async def _dispatch(self) -> None:
        while True:
            self._changed.clear()
            while (task := self._next_startable()) is not None:
                task.status, task.started_at, task.tracker = "running", time.monotonic(), None
                runner = asyncio.create_task(self._execute(task), name=f"cts-batch-{task.connection_id}")
                self._running[runner] = task
                self._running_by_exchange[task.exchange] += 1
                runner.add_done_callback(self._release)
            await self._changed.wait()

    def _release(self, runner: asyncio.Task[None]) -> None:
        task = self._running.pop(runner)
        self._running_by_exchange[task.exchange] -= 1
        if runner.cancelled():
            self._record(task, _failed(task.connection_id, None, "cancelled"))
        self._changed.set()

    async def _execute(self, task: _Task) -> None:
        """Run one attempt; the tracker set here is in the context of everything the runner
        awaits, so the limiter's marks reach it."""
        timeout = self.settings.task_timeout_s + self._timeout_grace_s
        with tracking_waits() as tracker:
            task.tracker = tracker
            try:
                async with asyncio.timeout(timeout):
                    result = await self._run(task.job.kind, task.connection_id)
            except TimeoutError:
                error = tracker.timeout_error(timeout)
                result = _failed(task.connection_id, error.kind, error.message)
            except CtsError as exc:
                result = _failed(task.connection_id, getattr(exc, "kind", None), exc.message)
        limited = result.error_kind is ErrorKind.RATE_LIMITED
        if limited and task.attempts <= RATE_LIMITED_RETRIES and not task.job.cancelled:
            task.attempts += 1
            task.seq = next(self._seq)
            task.status, task.queued_at = "queued", time.monotonic()
            self._queue.append(task)
            return
        self._record(task, result)

    def _record(self, task: _Task, result: TestResult) -> None:
        job = task.job
        if result.connection_id in job.results:
            return
        task.status, task.finished_at = "done", time.monotonic()
        job.results[result.connection_id] = result
        if result.error == "cancelled" and job.cancelled:
            self._counts["cancelled"] += 1
        else:
            self._counts["completed" if result.success else "failed"] += 1
        self._on_progress(job, result)
        if job.done == job.total:
            self._complete(job)

    def _complete(self, job: BatchJob) -> None:
        """Hand the result over (the coordinator persists it), then wake ``job.result()``:
        a caller that got a result can always read it back from the store."""
        task = asyncio.create_task(self._hand_over(job))
        self._finishing.add(task)
        task.add_done_callback(self._finishing.discard)

    async def _hand_over(self, job: BatchJob) -> None:
        result = job._summary()
        try:
            await self._on_finished(job, result)
        finally:
            job._future.set_result(result)

    def _cancel(self, job: BatchJob) -> None:
        dropped = [t for t in self._queue if t.job is job]
        self._queue = [t for t in self._queue if t.job is not job]
        for task in dropped:
            self._record(task, _failed(task.connection_id, None, "cancelled"))
        for runner, task in list(self._running.items()):
            if task.job is job:
                runner.cancel()
        self._changed.set()
