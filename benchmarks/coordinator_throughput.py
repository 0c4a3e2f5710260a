"""Throughput and latency of ``execute_request('fetch_ticker')`` with 100 concurrent callers,
against direct ccxt on the same simulator in the same run.

The simulator runs in its own process (as ``cts-tui sim`` does) so that serving does not count
against the client. Both sides talk to the same simulated Binance, whose weight limit is lifted
(the figure is the coordinator's cost, not the exchange's budget), and our limits are lifted the
same way. Rounds alternate direct / coordinator so that load from elsewhere hits both alike;
medians are printed.

    python benchmarks/coordinator_throughput.py [--seconds 3] [--rounds 3] [--callers 100]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt
from cryptography.fernet import Fernet

from cts_tui.config import Config
from cts_tui.core.runtime import open_runtime
from cts_tui.models import ConnectionDraft
from _sim_process import simulator_process

EXCHANGE = "binance"
SYMBOL = "BTC/USDT"


def _config() -> Config:
    config = Config()
    limits = config.limits(EXCHANGE)
    limits.per_second, limits.per_minute, limits.max_concurrent = 1_000_000, 10**9, 100
    config.health.interval_s = 3600
    # ccxt's own aiohttp connector allows 100 connections; give our pool the same, so that the
    # comparison is of the request path and not of the pool size (default 20 per host).
    config.pool.per_host_limit = 100
    return config


def _direct(base_url: str, api_key: str, secret: str) -> Any:
    """ccxt as its users run it, pointed at the simulator (its own throttle off, like ours)."""
    from urllib.parse import urlsplit

    instance = ccxt.binance({"apiKey": api_key, "secret": secret, "enableRateLimit": False})

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: rewrite(v) for k, v in node.items()}
        return base_url + urlsplit(node).path if isinstance(node, str) and "://" in node else node

    instance.urls["api"] = rewrite(instance.urls["api"])
    instance.has["fetchCurrencies"] = False
    instance.options["fetchMarkets"] = {"types": ["spot"]}
    return instance


async def _load(call: Callable[[], Awaitable[Any]], callers: int, seconds: float) -> tuple[float, list[float], int]:
    """(requests/s, latencies in ms, failures) of ``callers`` loops calling for ``seconds``."""
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

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    return len(latencies) / (time.perf_counter() - started), latencies, failures


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(q / 100 * len(ordered))) - 1)] if ordered else float("nan")


async def run(base_url: str, api_key: str, secret: str, seconds: float, rounds: int, callers: int) -> None:
    direct = _direct(base_url, api_key, secret)
    try:
        await direct.load_markets()
        results = await _measure(direct, base_url, api_key, secret, seconds, rounds, callers)
    finally:
        await direct.close()
    _report(results, seconds, rounds, callers)


async def _measure(
    direct: Any, base_url: str, api_key: str, secret: str, seconds: float, rounds: int, callers: int
) -> dict[str, list[tuple[float, list[float], int]]]:
    with tempfile.TemporaryDirectory() as tmp:
        async with open_runtime(_config(), Path(tmp) / "bench.sqlite", master_key=Fernet.generate_key()) as rt:
            coordinator = rt.coordinator
            draft = ConnectionDraft(name="bench", exchange=EXCHANGE, api_type="spot", api_key=api_key,
                                    api_secret=secret, base_url=base_url)
            view = await coordinator.add_connection(draft, "cli")
            assert view.state.value == "active", view.last_test
            results: dict[str, list[tuple[float, list[float], int]]] = {"direct ccxt": [], "execute_request": []}
            calls = {
                "direct ccxt": lambda: direct.fetch_ticker(SYMBOL),
                "execute_request": lambda: coordinator.execute_request("fetch_ticker", SYMBOL),
            }
            for name, call in calls.items():  # warm-up
                await _load(call, callers, 0.5)
            for _ in range(rounds):
                for name, call in calls.items():
                    results[name].append(await _load(call, callers, seconds))
    return results


def _report(results: dict[str, list[tuple[float, list[float], int]]], seconds: float, rounds: int, callers: int) -> None:
    print(f"{callers} concurrent callers, {rounds} rounds of {seconds:g} s, simulator in its own process")
    medians = {}
    for name, runs in results.items():
        rps = statistics.median(r[0] for r in runs)
        medians[name] = rps
        latencies = [ms for r in runs for ms in r[1]]
        failures = sum(r[2] for r in runs)
        print(f"  {name:16s} {rps:7.0f} req/s (rounds: {', '.join(f'{r[0]:.0f}' for r in runs)})  "
              f"p50 {_pct(latencies, 50):6.1f} ms  p95 {_pct(latencies, 95):6.1f} ms  "
              f"p99 {_pct(latencies, 99):6.1f} ms  failures {failures}")
    ratio = medians["execute_request"] / medians["direct ccxt"]
    print(f"execute_request / direct ccxt = {ratio:.2f}x (target >= 0.9x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--callers", type=int, default=100)
    args = parser.parse_args()
    lifted = {"spot_weight_per_minute": 10**9, "sapi_weight_per_minute": 10**9}
    with simulator_process({"exchanges": {EXCHANGE: {"limits": lifted}}}) as sim:
        site = sim["exchanges"][EXCHANGE]
        account = site["accounts"][0]
        asyncio.run(run(site["base_url"], account["api_key"], account["secret"], args.seconds, args.rounds, args.callers))


if __name__ == "__main__":
    main()
