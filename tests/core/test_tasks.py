"""Shutdown cannot hang on a task that lost a cancellation."""

from __future__ import annotations

import asyncio

from cts_tui.stopping import cancel_and_wait, wait_set


async def test_a_task_that_swallows_one_cancellation_is_still_stopped() -> None:
    swallowed = []

    async def stubborn() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            swallowed.append(True)  # as wait_for in 3.11 may do: carry on as if nothing happened
        await asyncio.sleep(3600)

    async def failing() -> None:
        raise ValueError("boom")

    tasks = [asyncio.create_task(stubborn()), asyncio.create_task(failing())]
    await asyncio.sleep(0)
    await asyncio.wait_for(cancel_and_wait(tasks), timeout=10)
    assert swallowed == [True]
    assert tasks[0].cancelled() and isinstance(tasks[1].exception(), ValueError)


async def _stops_wherever_cancelled(wait) -> bool:  # type: ignore[no-untyped-def]
    """A loop on ``wait`` cancelled at each step in turn, as its event is set: does it stop?"""
    event = asyncio.Event()

    async def loop() -> None:
        while True:
            await wait(event)
            event.clear()

    for steps in range(6):
        task = asyncio.create_task(loop())
        for _ in range(steps):
            await asyncio.sleep(0)
        event.set()
        task.cancel()
        done, _pending = await asyncio.wait({task}, timeout=0.5)
        if not done:
            await cancel_and_wait([task])
            return False
    return True


async def test_a_loop_on_wait_set_stops_wherever_a_cancellation_meets_it() -> None:
    """The health scheduler's, the publisher's and the simulator's heartbeat loops wait so; on
    ``asyncio.wait_for`` this loop ran on at some step under Python 3.11 (CPython gh-86296)."""
    assert await _stops_wherever_cancelled(lambda event: wait_set(event, 60))
