"""Every exchange x up to 50 USDT spot symbols at 10 updates/s through one StreamMonitor (ten
exchanges: 395 subscriptions, 3,950 messages/s; Coinbase and Kraken quote in USD, so the
simulator lists few USDT markets for them, and OrangeX 40).

The simulator runs in its own process, so the CPU measured here is the client's alone:
ccxt.pro for most exchanges, the native feeds for Pionex and OrangeX. Prints the delivered
message rate, the client's CPU as a share of one core next to the 30 % target, and lateness
(receipt minus the exchange's event time) p50/p99 per exchange and overall.

    python benchmarks/streams_throughput.py [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import time
from multiprocessing.connection import Connection

from cts_tui.config import Streams
from cts_tui.sim import Simulator
from cts_tui.streams import StreamMonitor
from cts_tui.venues import VENUES
from cts_tui.views.streams import StreamState

EXCHANGES = tuple(VENUES)  # every exchange we speak to, each with its streams
SYMBOLS_PER_EXCHANGE = 50
UPDATES_PER_S = 10
CPU_TARGET_PCT = 30.0
WARMUP_TIMEOUT_S = 60.0


def serve(pipe: Connection) -> None:
    """The simulator's process: 10 pushes/s per subscription until told to stop."""

    async def main() -> None:
        async with Simulator() as sim:
            sim.streams.set_interval(1 / UPDATES_PER_S)
            symbols = {
                name: [f"{m.base}/USDT" for m in sim.exchange(name).ctx.markets
                       if m.is_spot and m.quote == "USDT"][:SYMBOLS_PER_EXCHANGE]
                for name in EXCHANGES
            }
            pipe.send({"hosts": {name: sim.hosts(name) for name in EXCHANGES}, "symbols": symbols})
            loop = asyncio.get_running_loop()
            while await loop.run_in_executor(None, pipe.recv) == "count":
                pipe.send(sum(sim.streams.pushed.values()))

    asyncio.run(main())


async def measure(info: dict, seconds: float, pipe: Connection) -> None:
    settings = Streams.model_validate({
        "enabled": True, "stall_factor": 5.0,
        **{name: {"symbols": info["symbols"][name]} for name in EXCHANGES},
    })
    async with StreamMonitor(settings, targets=info["hosts"]) as monitor:
        started = time.monotonic()
        while not all(v.state is StreamState.LIVE for v in monitor.snapshot()):
            if time.monotonic() - started > WARMUP_TIMEOUT_S:
                raise SystemExit("streams did not all go live: "
                                 + ", ".join(f"{v.exchange}={v.state}" for v in monitor.snapshot()))
            await asyncio.sleep(0.2)
        await asyncio.sleep(2.0)  # let every symbol's subscription settle
        pipe.send("count")
        pushed0 = pipe.recv()
        before = {v.exchange: v.messages for v in monitor.snapshot()}
        cpu0, wall0 = time.process_time(), time.monotonic()
        await asyncio.sleep(seconds)
        cpu1, wall1 = time.process_time(), time.monotonic()
        views = monitor.snapshot()
        pipe.send("count")
        pushed = pipe.recv() - pushed0
    elapsed = wall1 - wall0
    total = sum(v.messages - before[v.exchange] for v in views)
    cpu_pct = (cpu1 - cpu0) / elapsed * 100
    subscribed = sum(len(v.symbols) for v in views)
    print(f"{'exchange':10} {'symbols':>7} {'msg/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'reconnects':>10} {'stalls':>6}")
    for v in views:
        rate = (v.messages - before[v.exchange]) / elapsed
        print(f"{v.exchange:10} {len(v.symbols):7d} {rate:8.0f} {v.lateness_p50_ms or 0:8.2f} "
              f"{v.lateness_p99_ms or 0:8.2f} {v.reconnects:10d} {v.stalls:6d}")
    worst_p99 = max(v.lateness_p99_ms or 0 for v in views)
    print()
    print(f"offered:   {subscribed} subscriptions x {UPDATES_PER_S}/s = {subscribed * UPDATES_PER_S} messages/s")
    print(f"pushed:    {pushed / elapsed:.0f} messages/s by the simulator (its own process, one core)")
    print(f"handled:   {total / elapsed:.0f} messages/s over {elapsed:.1f} s in one process "
          f"({total / max(pushed, 1) * 100:.1f} % of those pushed)")
    print(f"client CPU: {cpu_pct:.1f} % of one core   target <= {CPU_TARGET_PCT:.0f} %   "
          f"{'MET' if cpu_pct <= CPU_TARGET_PCT else 'MISSED'}")
    for v in views:
        if v.last_error:
            print(f"{v.exchange} last error: {v.last_error}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(other processes competing for the cores inflate lateness and, through ccxt, drop updates)")
    print(f"lateness p99: worst stream {worst_p99:.1f} ms, median of streams "
          f"{sorted(v.lateness_p99_ms or 0 for v in views)[len(views) // 2]:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    ours, theirs = multiprocessing.Pipe()
    simulator = multiprocessing.get_context("spawn").Process(target=serve, args=(theirs,), daemon=True)
    simulator.start()
    try:
        info = ours.recv()
        asyncio.run(measure(info, args.seconds, ours))
    finally:
        ours.send("stop")
        simulator.join(10)
        if simulator.is_alive():
            simulator.terminate()


if __name__ == "__main__":
    main()
