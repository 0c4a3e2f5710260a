"""The simulator in a process of its own (as ``cts-tui sim`` runs it), so that serving does not
take CPU from the client being measured; faults are set through its control API."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
from collections.abc import Iterator
from typing import Any

import aiohttp


def _serve(scenario: dict[str, Any], ready: Any, stop: Any) -> None:
    from cts_tui.sim import Scenario, Simulator

    async def main() -> None:
        async with Simulator(Scenario.model_validate(scenario)) as sim:
            ready.put(sim.info())
            while not stop.is_set():
                await asyncio.sleep(0.1)

    asyncio.run(main())


@contextlib.contextmanager
def simulator_process(scenario: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yields the simulator's info (control_url, exchanges -> base_url, accounts)."""
    ctx = mp.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve, args=(scenario, ready, stop), daemon=True)
    server.start()
    try:
        yield ready.get(timeout=60)
    finally:
        stop.set()
        server.join(timeout=10)


async def set_fault(info: dict[str, Any], exchange: str, **fields: Any) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{info['control_url']}/faults/{exchange}", json=fields) as response:
            response.raise_for_status()


async def clear_faults(info: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.delete(f"{info['control_url']}/faults") as response:
            response.raise_for_status()
