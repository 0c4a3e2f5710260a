"""Where ``execute_request``'s CPU goes: the same ticker request through each layer, side by side.

    direct ccxt       ccxt as its users run it (its own session and fetch, throttle off)
    hooked ccxt       the connection's ccxt clone: our limiter, our fetch, the answer's feedback
    lent ccxt         + what ``ExchangeManager.get_connection`` lends adds: statistics and breaker
    client.call       + the client's classification of failures and clock handling
    execute_request   + the coordinator: route, statistics, breaker, snapshots

100 callers each, the simulator in its own process (as ``coordinator_throughput.py`` sets it up:
Binance's weight lifted, our budgets lifted, concurrency for every caller). The process is
CPU-bound, so CPU per request is the figure; layers alternate in short rounds, in an order that
rotates each round, so that load from elsewhere on the machine hits all alike, and each layer's
ratio to direct ccxt is the median of its per-round ratios. A layer costs several times under a hundred concurrent requests what it
costs alone: measure here, not in a micro-benchmark.

    python benchmarks/coordinator_layers.py [--seconds 0.5] [--rounds 25]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import statistics
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this tree, whatever is installed

from cts_tui.config import Config
from cts_tui.core.manager import ExchangeManager
from coordinator_throughput import EXCHANGE, SYMBOL, _config, _coordinator, _direct, _load, _rotated
from _sim_process import simulator_process

CALLERS = 100


async def run(site: dict[str, Any], seconds: float, rounds: int) -> None:
    account = site["accounts"][0]
    sized = math.ceil(CALLERS / Config().rate_limiting.priority_ceilings.normal)
    with tempfile.TemporaryDirectory() as tmp:
        async with contextlib.AsyncExitStack() as stack:
            direct = _direct(site["base_url"], account["api_key"], account["secret"])
            stack.push_async_callback(direct.close)
            await direct.load_markets()
            coordinator = await _coordinator(stack, Path(tmp), site, _config(sized))
            entry = coordinator.choose("fetch_ticker", EXCHANGE)
            assert entry is not None
            client = coordinator.hub.client_for(entry.connection)
            hooked = await client._ccxt()  # the clone our client calls: measured without the client
            manager = ExchangeManager(coordinator=coordinator)
            lent = await manager.pool.get_connection(EXCHANGE, manager)
            stack.push_async_callback(manager.pool.return_connection, lent)
            layers: dict[str, Callable[[], Awaitable[Any]]] = {
                "direct ccxt": lambda: direct.fetch_ticker(SYMBOL),
                "hooked ccxt": lambda: hooked.fetch_ticker(SYMBOL),
                "lent ccxt": lambda: lent.exchange.fetch_ticker(SYMBOL),
                "client.call": lambda: client.call("fetch_ticker", SYMBOL),
                "execute_request": lambda: coordinator.execute_request("fetch_ticker", SYMBOL),
            }
            cpu: dict[str, list[float]] = {name: [] for name in layers}
            for call in layers.values():  # warm-up
                await _load(call, CALLERS, 0.3)
            names = list(layers)
            for round_index in range(rounds):
                for name in _rotated(names, round_index):
                    cpu[name].append((await _load(layers[name], CALLERS, seconds)).cpu_us_per_request)
    print(f"{CALLERS} callers, {rounds} rounds of {seconds:g} s per layer, CPU of this process per request")
    base = cpu["direct ccxt"]
    for name, values in cpu.items():
        paired = statistics.median(d / v for d, v in zip(base, values, strict=True))
        print(f"  {name:16s} {statistics.median(values):6.1f} µs   direct / this {paired:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    lifted = {"spot_weight_per_minute": 10**9, "sapi_weight_per_minute": 10**9}
    with simulator_process({"exchanges": {EXCHANGE: {"limits": lifted}}}) as sim:
        asyncio.run(run(sim["exchanges"][EXCHANGE], args.seconds, args.rounds))


if __name__ == "__main__":
    main()
