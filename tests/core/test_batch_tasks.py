"""What ``BatchJob.tasks()`` says about each task while a batch runs: queued (and behind which
cap), running (sending, or waiting for the exchange's budget), done; and what the backstop timeout
says when it fires.

The runner here is a stand-in that holds each task until the test lets it go, marking a budget
wait the way the limiter does; the modal's test (tests/tui/test_batch_modal.py) drives the real
limiter against the simulator.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest

from cts_tui.config import Batch
from cts_tui.core.batch import BatchJob, BatchProcessor, Runner
from cts_tui.core.snapshots import BatchTaskView
from cts_tui.errors import ErrorKind
from cts_tui.models import ExchangeId, TestResult
from cts_tui.ratelimit.waiting import waiting_for

from .helpers import eventually

B, X = ExchangeId.BINANCE, ExchangeId.BINGX
BUDGET = "bingx's rate-limit budget"


class Gates:
    """A runner whose tasks run until released; ``waits_for_budget`` ids sit in a budget wait."""

    def __init__(self, *, waits_for_budget: tuple[str, ...] = (), rate_limited_once: tuple[str, ...] = ()) -> None:
        self.waits_for_budget = waits_for_budget
        self.rate_limited_once = set(rate_limited_once)
        self.released: dict[str, asyncio.Event] = {}
        self.started: list[str] = []

    def release(self, connection_id: str) -> None:
        self.released.setdefault(connection_id, asyncio.Event()).set()

    async def run(self, kind: str, connection_id: str) -> TestResult:
        self.started.append(connection_id)
        if connection_id in self.rate_limited_once:
            self.rate_limited_once.discard(connection_id)
            return TestResult(connection_id=connection_id, success=False, error_kind=ErrorKind.RATE_LIMITED,
                              error="rate limited")
        gate = self.released.setdefault(connection_id, asyncio.Event())
        if connection_id in self.waits_for_budget:
            with waiting_for(BUDGET):
                await gate.wait()
        else:
            await gate.wait()
        ok = not connection_id.startswith("bad")
        return TestResult(connection_id=connection_id, success=ok, error=None if ok else "invalid API key")


async def _nothing(job: BatchJob, result: object) -> None:
    return None


@pytest.fixture
async def make() -> AsyncIterator:
    processors: list[BatchProcessor] = []

    def build(run: Runner, caps: dict[ExchangeId, int], *, grace_s: float = 3.0, **settings) -> BatchProcessor:
        proc = BatchProcessor(Batch(**settings), run, lambda ex: caps[ex], lambda job, result: None,
                              _nothing, timeout_grace_s=grace_s)
        proc.start()
        processors.append(proc)
        return proc

    yield build
    for proc in processors:
        await proc.close()


def by_id(job: BatchJob) -> dict[str, BatchTaskView]:
    return {task.connection_id: task for task in job.tasks()}


async def test_a_task_behind_the_batch_cap_says_how_many_batch_slots_are_busy(make):
    gates = Gates()
    proc = make(gates.run, {B: 5, X: 5}, max_concurrent=1)
    job = proc.submit([("a", B), ("b", X)], "test", 2, "j")
    await eventually(lambda: gates.started == ["a"])
    tasks = by_id(job)
    assert (tasks["a"].status, tasks["a"].reason, tasks["a"].waiting) == ("running", "sending", False)
    assert (tasks["b"].status, tasks["b"].reason) == ("queued", "1 of 1 batch slots busy")
    gates.release("a")
    gates.release("b")
    await job.result()


async def test_a_task_behind_its_exchange_cap_names_the_exchange(make):
    gates = Gates()
    proc = make(gates.run, {B: 1, X: 2}, max_concurrent=10)
    job = proc.submit([("a", B), ("b", B), ("x1", X), ("x2", X), ("x3", X)], "test", 2, "j")
    await eventually(lambda: len(gates.started) == 3)
    tasks = by_id(job)
    assert (tasks["b"].status, tasks["b"].reason) == ("queued", "binance's 1 concurrent slot busy")
    assert (tasks["x3"].status, tasks["x3"].reason) == ("queued", "bingx's 2 concurrent slots busy")
    for cid in ("a", "b", "x1", "x2", "x3"):
        gates.release(cid)
    await job.result()


async def test_a_running_task_in_a_budget_wait_says_what_it_waits_for(make):
    gates = Gates(waits_for_budget=("w",))
    proc = make(gates.run, {X: 5})
    job = proc.submit([("w", X)], "test", 2, "j")
    await eventually(lambda: by_id(job)["w"].waiting)
    task = by_id(job)["w"]
    assert task.status == "running"
    assert re.fullmatch(rf"waiting [\d.]+ s for {re.escape(BUDGET)}", task.reason), task.reason
    gates.release("w")
    await job.result()
    assert (by_id(job)["w"].status, by_id(job)["w"].waiting) == ("done", False)


async def test_the_listing_puts_running_then_queued_then_the_latest_done_first(make):
    gates = Gates()
    proc = make(gates.run, {B: 2})
    job = proc.submit([("ok1", B), ("bad2", B), ("r3", B), ("r4", B), ("q5", B)], "test", 2, "j")
    await eventually(lambda: gates.started == ["ok1", "bad2"])
    gates.release("ok1")
    await eventually(lambda: len(gates.started) == 3)
    gates.release("bad2")
    await eventually(lambda: len(gates.started) == 4)
    tasks = job.tasks()
    assert [(t.connection_id, t.status) for t in tasks] == [
        ("r3", "running"), ("r4", "running"), ("q5", "queued"), ("bad2", "done"), ("ok1", "done")]
    done = {t.connection_id: t for t in tasks if t.status == "done"}
    assert done["ok1"].result is not None and done["ok1"].result.success and done["ok1"].reason == ""
    assert done["bad2"].reason == "invalid API key"
    for cid in ("r3", "r4", "q5"):
        gates.release(cid)
    await job.result()


async def test_a_task_cancelled_while_queued_is_done_without_having_run(make):
    gates = Gates()
    proc = make(gates.run, {B: 1})
    job = proc.submit([("a", B), ("b", B)], "test", 2, "j")
    await eventually(lambda: gates.started == ["a"])
    job.cancel()
    await job.result()
    tasks = by_id(job)
    assert {t.status for t in tasks.values()} == {"done"}
    assert (tasks["b"].reason, tasks["b"].elapsed_s) == ("cancelled", 0.0)


async def test_a_task_queued_again_after_a_rate_limit_says_so(make):
    gates = Gates(rate_limited_once=("r",))
    proc = make(gates.run, {B: 1})
    job = proc.submit([("r", B), ("h", B)], "test", 2, "j")
    await eventually(lambda: gates.started == ["r", "h"])
    assert by_id(job)["r"].reason == "again after a rate limit, binance's 1 concurrent slot busy"
    gates.release("h")
    gates.release("r")
    result = await job.result()
    assert result.successful == 2


async def test_the_backstop_explains_a_timeout_with_what_the_task_waited_for(make):
    gates = Gates(waits_for_budget=("w",))
    proc = make(gates.run, {X: 5}, task_timeout_s=0.1, grace_s=0.1)
    result = await proc.submit([("w", X)], "test", 2, "j").result()
    failed = result.results["w"]
    # The time went on waiting for a permit: the exchange never saw the request, so this is a
    # rate-limit wait (retried, never held against the exchange), not the exchange's timeout.
    assert failed.error_kind is ErrorKind.RATE_LIMITED
    assert failed.error is not None and failed.error.startswith("rate limit wait: ")
    assert BUDGET in failed.error and "limit 0.2 s" in failed.error


async def test_the_runners_own_timeout_result_wins_over_the_backstop(make):
    """The coordinator times a test out at ``task_timeout_s`` and says why; the batch's backstop
    must not race it with a vaguer message."""

    async def timed_runner(kind: str, connection_id: str) -> TestResult:
        try:
            async with asyncio.timeout(0.1):
                await asyncio.Event().wait()
        except TimeoutError:
            pass
        return TestResult(connection_id=connection_id, success=False, error_kind=ErrorKind.TIMEOUT,
                          error="the runner's own explanation")

    proc = make(timed_runner, {B: 5}, task_timeout_s=0.1, grace_s=0.5)
    result = await proc.submit([("t", B)], "test", 2, "j").result()
    assert result.results["t"].error == "the runner's own explanation"
