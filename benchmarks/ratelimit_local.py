"""Local acquire cost, uncontended: our limiter (all windows, priorities, a concurrency slot)
next to a bare asyncio.Semaphore and ccxt's own leaky-bucket throttler, in one run.

The figure is CPU time per acquire (time.thread_time, so other processes on a busy machine do not
inflate it); wall time is printed beside it. Uncontended means the budget has room, as in real use: each round sends N requests against
limits of 10,000/s and 1,000,000/min, then rests so the 1 s windows drain (their exact logs hold
what a real window holds, not millions of grants).

    python benchmarks/ratelimit_local.py
"""

from __future__ import annotations

import asyncio
import statistics
import time

from ccxt.async_support.base.throttler import Throttler

from cts_tui.config import Config
from cts_tui.ratelimit import RateLimiter

N = 4_000
ROUNDS = 8
REST_S = 1.05


def _config() -> Config:
    config = Config()
    for limits in config.exchanges.values():  # budgets with room: the cost of the check itself
        limits.per_second = 10_000
        limits.per_minute = 1_000_000
        limits.ip_limit = None
    return config


async def _time(label: str, body, n: int = N) -> float:
    cpu, wall = [], []
    for _ in range(ROUNDS):
        await asyncio.sleep(REST_S)
        cpu_start, wall_start = time.thread_time(), time.perf_counter()
        await body(n)
        cpu.append((time.thread_time() - cpu_start) / n * 1e6)
        wall.append((time.perf_counter() - wall_start) / n * 1e6)
    median = statistics.median(cpu)
    print(f"{label:<56} {median:6.2f} us CPU  (best {min(cpu):.2f}; wall median "
          f"{statistics.median(wall):.2f})")
    return median


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

    print(f"uncontended acquire, median of {ROUNDS} rounds of {N} (target <= 5 us)")
    ours = await _time("cts RateLimiter.acquire (binance: 1s + weighted 1m)", acquire_binance)
    await _time("cts RateLimiter.acquire (bybit: per-endpoint, per-key)", acquire_bybit_account)
    await _time("cts RateLimiter.acquire_permit (okx)", permit)
    await _time("bare asyncio.Semaphore", bare_semaphore)
    await _time("ccxt Throttler (leaky bucket, never empty)", ccxt_throttler)
    print(f"verdict: {'PASS' if ours <= 5 else 'FAIL'} local acquire {ours:.2f} us CPU (median) <= 5 us")
    await limiter.close()


if __name__ == "__main__":
    asyncio.run(main())
