"""Throughput and latency of ``execute_request('fetch_ticker')`` with 100 concurrent callers,
against direct ccxt on the same simulator in the same run.

The simulator runs in its own process (as ``cts-tui sim`` does) so that serving does not count
against the client. Both sides talk to the same simulated Binance, whose weight limit is lifted
(the figure is the coordinator's cost, not the exchange's budget). Our limiter stays in the path
with its budgets lifted and its concurrency sized so that every caller fits under the NORMAL
ceiling: ``max_concurrent = ceil(callers / priority_ceilings.normal)``, 112 for 100 callers. The
HTTP pool keeps its default (20 per host); the hub raises it to the limiter's concurrency
(``exchanges.hub.pool_settings``), as it would for any user who raised ``max_concurrent``. ccxt
runs with its own session (100 connections) and its own throttle off.

A third row caps the exchange at 20 concurrent requests (limiter and pool), the pool's default:
what a user who keeps the default gets from 100 callers.

Rounds alternate direct / coordinator / capped so that load from elsewhere on the machine hits
all alike, in an order that rotates each round (see ``_rotated``); medians of the rounds are
printed, with the CPU time each side spent per request.

    python benchmarks/coordinator_throughput.py [--seconds 2] [--rounds 5] [--callers 100]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ccxt.async_support as ccxt
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this tree, whatever is installed

from cts_tui.config import Config
from cts_tui.core.coordinator import ConnectionCoordinator
from cts_tui.core.runtime import open_runtime
from cts_tui.exchanges.hub import pool_settings
from cts_tui.models import ConnectionDraft
from _sim_process import simulator_process

EXCHANGE = "binance"
SYMBOL = "BTC/USDT"
CAPPED = 20


@dataclass
class Round:
    rps: float
    latencies_ms: list[float]
    failures: int
    cpu_us_per_request: float


def _config(max_concurrent: int) -> Config:
    config = Config()
    limits = config.limits(EXCHANGE)
    limits.per_second, limits.per_minute, limits.max_concurrent = 10**6, 10**9, max_concurrent
    config.health.interval_s = 3600
    return config


def _direct(base_url: str, api_key: str, secret: str) -> Any:
    """ccxt as its users run it, pointed at the simulator (its own throttle off, like ours)."""
    instance = ccxt.binance({"apiKey": api_key, "secret": secret, "enableRateLimit": False})

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: rewrite(v) for k, v in node.items()}
        return base_url + urlsplit(node).path if isinstance(node, str) and "://" in node else node

    instance.urls["api"] = rewrite(instance.urls["api"])
    instance.has["fetchCurrencies"] = False
    instance.options["fetchMarkets"] = {"types": ["spot"]}
    return instance


async def _load(call: Callable[[], Awaitable[Any]], callers: int, seconds: float) -> Round:
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def caller() -> None:
        nonlocal failures
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await call()
            except Exception:  # counted, the benchmark reports it
                failures += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    served = max(1, len(latencies))
    return Round(len(latencies) / elapsed, latencies, failures, cpu / served * 1e6)


def _rotated(names: list[str], round_index: int) -> list[str]:
    """This round's order: each round starts one further along, so that every side runs right
    after every other equally often. A fixed order favours or penalises a side by its place: on
    the same code, two runs with ``execute_request`` right after direct ccxt gave 0.89x and 0.92x,
    one with it first 0.97x."""
    shift = round_index % len(names)
    return names[shift:] + names[:shift]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] if ordered else float("nan")


async def _coordinator(stack: Any, tmp: Path, site: dict[str, Any], config: Config) -> ConnectionCoordinator:
    account = site["accounts"][0]
    runtime = await stack.enter_async_context(
        open_runtime(config, tmp / f"bench-{config.limits(EXCHANGE).max_concurrent}.sqlite",
                     master_key=Fernet.generate_key())
    )
    draft = ConnectionDraft(name="bench", exchange=EXCHANGE, api_type="spot", api_key=account["api_key"],
                            api_secret=account["secret"], base_url=site["base_url"])
    view = await runtime.coordinator.add_connection(draft, "cli")
    assert view.state.value == "active", view.last_test
    return runtime.coordinator


async def run(site: dict[str, Any], seconds: float, rounds: int, callers: int) -> None:
    import contextlib

    account = site["accounts"][0]
    sized = math.ceil(callers / Config().rate_limiting.priority_ceilings.normal)
    configs = {"execute_request": _config(sized), f"  capped at {CAPPED}": _config(CAPPED)}
    direct = _direct(site["base_url"], account["api_key"], account["secret"])
    with tempfile.TemporaryDirectory() as tmp:
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(direct.close)
            await direct.load_markets()
            calls: dict[str, Callable[[], Awaitable[Any]]] = {"direct ccxt": lambda: direct.fetch_ticker(SYMBOL)}
            for name, config in configs.items():
                coordinator = await _coordinator(stack, Path(tmp), site, config)
                calls[name] = lambda c=coordinator: c.execute_request("fetch_ticker", SYMBOL)
            results: dict[str, list[Round]] = {name: [] for name in calls}
            for call in calls.values():  # warm-up: connections open, markets and clocks loaded
                await _load(call, callers, 0.5)
            names = list(calls)
            for round_index in range(rounds):
                for name in _rotated(names, round_index):
                    results[name].append(await _load(calls[name], callers, seconds))
    _report(results, configs, seconds, callers)


def _report(results: dict[str, list[Round]], configs: dict[str, Config], seconds: float, callers: int) -> None:
    rounds = len(results["direct ccxt"])
    print(f"{callers} concurrent callers, {rounds} rounds of {seconds:g} s, simulator in its own process")
    for name, config in configs.items():
        cap = config.limits(EXCHANGE).max_concurrent
        print(f"  {name.strip()}: limiter max_concurrent {cap} (NORMAL slots "
              f"{int(cap * config.rate_limiting.priority_ceilings.normal)}), HTTP pool "
              f"{config.pool.per_host_limit} per host configured, {pool_settings(config).per_host_limit} in force")
    medians = {}
    for name, runs in results.items():
        rps = medians[name] = statistics.median(r.rps for r in runs)
        latencies = [ms for r in runs for ms in r.latencies_ms]
        print(f"  {name:18s} {rps:6.0f} req/s (rounds: {', '.join(f'{r.rps:.0f}' for r in runs)})  "
              f"p50 {_pct(latencies, 50):5.1f} ms  p95 {_pct(latencies, 95):5.1f} ms  p99 {_pct(latencies, 99):5.1f} ms"
              f"  CPU {statistics.median(r.cpu_us_per_request for r in runs):4.0f} us/request"
              f"  failures {sum(r.failures for r in runs)}")
    paired = statistics.median(
        c.rps / d.rps for c, d in zip(results["execute_request"], results["direct ccxt"], strict=True)
    )
    print(f"execute_request / direct ccxt = {medians['execute_request'] / medians['direct ccxt']:.3f}x "
          f"(median of rounds; paired per round {paired:.3f}x; target >= 0.9x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--callers", type=int, default=100)
    args = parser.parse_args()
    lifted = {"spot_weight_per_minute": 10**9, "sapi_weight_per_minute": 10**9}
    with simulator_process({"exchanges": {EXCHANGE: {"limits": lifted}}}) as sim:
        asyncio.run(run(sim["exchanges"][EXCHANGE], args.seconds, args.rounds, args.callers))


if __name__ == "__main__":
    main()
