"""What folding the market streams into the coordinator costs each snapshot.

The demo's 24 connections on the simulator, once with streams off and once with all nine
streams live (the demo's scenario without its faults and load, so both runs see the same
quiet world). Every snapshot takes a view of each stream; the figure is the mean time of
``coordinator.snapshot()`` over many calls, streams on next to streams off.

    python benchmarks/coordinator_streams.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time

from cts_tui.core.runtime import open_runtime
from cts_tui.demo import demo_environment, load_demo_scenario
from cts_tui.views.streams import StreamState

SETTLE_TIMEOUT_S = 30.0


async def snapshot_ms(streams: bool, calls: int) -> tuple[float, int]:
    scenario = load_demo_scenario()
    scenario.config.setdefault("streams", {})["enabled"] = streams
    scenario.activity.flap = scenario.activity.hot = scenario.activity.stream_stall = None
    scenario.simulator.exchanges.clear()  # no maintenance or latency faults: the same world twice
    async with demo_environment(scenario) as demo:
        async with open_runtime(demo.config, demo.db_path, master_key=demo.master_key) as runtime:
            coordinator = runtime.coordinator
            deadline = time.monotonic() + SETTLE_TIMEOUT_S
            while streams and time.monotonic() < deadline:
                views = coordinator.snapshot().streams
                if views and all(v.state is StreamState.LIVE and v.lateness_p99_ms is not None for v in views):
                    break
                await asyncio.sleep(0.2)
            live = sum(v.state is StreamState.LIVE for v in coordinator.snapshot().streams)
            started = time.perf_counter()
            for _ in range(calls):
                coordinator.snapshot()
            return (time.perf_counter() - started) / calls * 1000, live


async def main(calls: int) -> None:
    off, _ = await snapshot_ms(False, calls)
    on, live = await snapshot_ms(True, calls)
    print(f"coordinator.snapshot(), 24 connections, mean of {calls} calls:")
    print(f"  streams off           {off:6.3f} ms")
    print(f"  {live} streams live       {on:6.3f} ms   (+{on - off:.3f} ms, x{on / off:.2f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    logging.disable(logging.WARNING)  # the demo's breakers and pauses are not the subject here
    asyncio.run(main(parser.parse_args().calls))
