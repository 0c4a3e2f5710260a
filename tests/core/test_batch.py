"""The batch processor on its own: priorities, concurrency caps, timeouts, cancellation."""

from __future__ import annotations

import asyncio

from cts_tui.config import Batch
from cts_tui.core.batch import BatchProcessor
from cts_tui.models import ExchangeId, TestResult

B, O = ExchangeId.BINANCE, ExchangeId.OKX


class Recorder:
    def __init__(self, delays: dict[str, float] | None = None) -> None:
        self.delays = delays or {}
        self.started: list[str] = []
        self.running = 0
        self.peak = 0
        self.peak_by_exchange: dict[str, int] = {}
        self.progress: list[tuple[int, int]] = []
        self.finished: list[str] = []

    async def run(self, kind, connection_id: str) -> TestResult:
        self.started.append(connection_id)
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await asyncio.sleep(self.delays.get(connection_id, 0.01))
        finally:
            self.running -= 1
        return TestResult(connection_id=connection_id, success=not connection_id.startswith("bad"))


def processor(rec: Recorder, caps: dict[ExchangeId, int], *, grace_s: float = 3.0, **settings) -> BatchProcessor:
    async def finished(job, result):
        rec.finished.append(result.batch_id)

    return BatchProcessor(
        Batch(**settings), rec.run, lambda ex: caps[ex],
        lambda job, result: rec.progress.append((job.done, job.total)), finished, timeout_grace_s=grace_s,
    )


async def test_results_progress_and_the_spec_shape():
    rec = Recorder()
    proc = processor(rec, {B: 5, O: 5})
    proc.start()
    try:
        job = proc.submit([("a", B), ("bad1", O), ("c", B)], "test", 2, "batch1")
        result = await job.result()
    finally:
        await proc.close()
    assert result.batch_id == "batch1" and rec.finished == ["batch1"]
    wire = result.wire()
    assert (wire["totalConnections"], wire["successful"], wire["failed"]) == (3, 2, 1)
    assert wire["results"]["bad1"]["success"] is False
    assert sorted(rec.progress) == [(1, 3), (2, 3), (3, 3)]
    assert proc.stats().completed == 2 and proc.stats().failed == 1


async def test_concurrency_is_capped_in_total_and_per_exchange():
    rec = Recorder()
    proc = processor(rec, {B: 2, O: 10}, max_concurrent=3)
    proc.start()
    try:
        only_binance = [(f"b{i}", B) for i in range(8)]
        await proc.submit(only_binance, "test", 2, "x").result()
        assert rec.peak == 2
        rec.peak = 0
        await proc.submit([(f"o{i}", O) for i in range(8)], "test", 2, "y").result()
        assert rec.peak == 3
    finally:
        await proc.close()


async def test_free_slots_go_to_the_exchange_with_the_fewest_running():
    """Queued exchange by exchange, the tasks still start interleaved: no exchange's budget holds
    every slot while another exchange idles."""
    rec = Recorder()
    proc = processor(rec, {B: 10, O: 10}, max_concurrent=4)
    job = proc.submit([*((f"b{i}", B) for i in range(4)), *((f"o{i}", O) for i in range(4))], "test", 2, "mix")
    proc.start()
    try:
        await job.result()
    finally:
        await proc.close()
    assert rec.started[:4] == ["b0", "o0", "b1", "o1"]


async def test_higher_priority_tasks_start_first():
    rec = Recorder()
    proc = processor(rec, {B: 1, O: 1}, max_concurrent=1)
    low = proc.submit([("low1", B), ("low2", B)], "test", 2, "low")
    high = proc.submit([("high1", B)], "test", 0, "high")
    proc.start()
    try:
        await asyncio.gather(low.result(), high.result())
    finally:
        await proc.close()
    assert rec.started == ["high1", "low1", "low2"]


async def test_a_task_past_its_timeout_and_grace_fails_as_a_timeout():
    rec = Recorder({"slow": 5.0})
    proc = processor(rec, {B: 5}, task_timeout_s=0.1, grace_s=0.1)
    proc.start()
    try:
        result = await proc.submit([("slow", B), ("fast", B)], "test", 2, "t").result()
    finally:
        await proc.close()
    assert result.results["slow"].error_kind == "timeout"
    assert result.results["slow"].error == "no answer within 0.2 s"  # nothing it waited for
    assert result.results["fast"].success


async def test_cancel_drops_queued_and_stops_running_tasks():
    rec = Recorder({f"c{i}": 5.0 for i in range(6)})
    proc = processor(rec, {B: 2})
    proc.start()
    try:
        job = proc.submit([(f"c{i}", B) for i in range(6)], "test", 2, "c")
        while rec.running < 2:
            await asyncio.sleep(0.01)
        job.cancel()
        result = await asyncio.wait_for(job.result(), 2)
    finally:
        await proc.close()
    assert job.cancelled and result.failed == 6
    assert {r.error for r in result.results.values()} == {"cancelled"}
    assert len(rec.started) == 2
    assert proc.stats().cancelled == 6
