"""Shutdown cannot hang on a task that lost a cancellation."""

from __future__ import annotations

import asyncio

from cts_tui.stopping import cancel_and_wait


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
