"""Local acquire cost, uncontended: our limiter (all windows, priorities, a concurrency slot)
next to a bare asyncio.Semaphore and ccxt's own leaky-bucket throttler, in one run.

    python benchmarks/ratelimit_local.py
"""

from __future__ import annotations

import asyncio
import statistics
import time

from ccxt.async_support.base.throttler import Throttler

from cts_tui.config import Config
from cts_tui.ratelimit import RateLimiter

N = 200_000
ROUNDS = 5


def _config() -> Config:
    config = Config()
    for limits in config.exchanges.values():  # budgets that never bind: the cost of the check
        limits.per_second = 10**9
        limits.per_minute = 10**12
    return config


async def _time(label: str, body, n: int = N) -> float:
    best = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        await body(n)
        best.append((time.perf_counter() - started) / n * 1e6)
    figure = min(best)
    print(f"{label:<58} {figure:6.2f} us  (median of {ROUNDS}: {statistics.median(best):.2f})")
    return figure


async def main() -> None:
    limiter = RateLimiter.from_config(_config())
    await limiter.start()

    async def acquire_binance(n: int) -> None:
        for _ in range(n):
            async with limiter.acquire("binance", "GET /api/v3/ticker/24hr"):
                pass

    async def acquire_bybit_account(n: int) -> None:
        for _ in range(n):
            async with limiter.acquire("bybit", "GET /v5/market/tickers", account="main"):
                pass

    async def permit(n: int) -> None:
        for _ in range(n):
            await limiter.acquire_permit("okx", "fetch_ticker")

    semaphore = asyncio.Semaphore(10)

    async def bare_semaphore(n: int) -> None:
        for _ in range(n):
            async with semaphore:
                pass

    throttler = Throttler({"refillRate": 1e9, "capacity": 1e9, "tokens": 1e9, "delay": 0.001})

    async def ccxt_throttler(n: int) -> None:
        for _ in range(n):
            await throttler(1)

    print(f"uncontended acquire, best of {ROUNDS} rounds of {N} (target <= 5 us)")
    ours = await _time("cts RateLimiter.acquire (binance: 1s + weighted 1m)", acquire_binance)
    await _time("cts RateLimiter.acquire (bybit: per-endpoint, per-key)", acquire_bybit_account)
    await _time("cts RateLimiter.acquire_permit (okx)", permit)
    await _time("bare asyncio.Semaphore", bare_semaphore)
    await _time("ccxt Throttler (leaky bucket, never empty)", ccxt_throttler, N // 10)
    print(f"verdict: {'PASS' if ours <= 5 else 'FAIL'} local acquire {ours:.2f} us <= 5 us")
    await limiter.close()


if __name__ == "__main__":
    asyncio.run(main())
