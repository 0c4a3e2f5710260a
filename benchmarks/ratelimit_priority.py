"""HIGH-priority wait while LOW traffic saturates its ceiling, with the default ceilings (LOW 70%,
NORMAL 90%, HIGH 100%), locally and through Redis, and, side by side, with every ceiling at 100%
(priority order alone).

LOW: 40 workers acquiring back to back, each request holding its slot for 5 ms, against a budget
of 100/s (a rolling second). HIGH: one request every 50 ms, which fits in the room LOW's 70%
ceiling leaves. The figure is the time HIGH spends inside ``acquire`` before its request may go.

    python benchmarks/ratelimit_priority.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from cts_tui.config import Config
from cts_tui.ratelimit import Priority, RateLimiter

sys.path.insert(0, str(Path(__file__).parent))
from ratelimit_support_redis import RedisProcess  # noqa: E402

RUN_S = 4.0
LOW_WORKERS = 40
HOLD_S = 0.005
HIGH_EVERY_S = 0.05


def _config(ceilings: bool, redis_url: str | None) -> Config:
    config = Config()
    if redis_url:
        config.rate_limiting.backend = "redis"
        config.rate_limiting.redis_url = redis_url
    limits = config.exchanges["htx"]
    limits.per_second, limits.per_minute, limits.max_concurrent = 100, 10**6, 10
    if not ceilings:
        config.rate_limiting.priority_ceilings.low = 1.0
        config.rate_limiting.priority_ceilings.normal = 1.0
    return config


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def run(ceilings: bool, redis_url: str | None = None) -> dict[str, float]:
    limiter = RateLimiter.from_config(_config(ceilings, redis_url))
    await limiter.start()
    stop = asyncio.Event()
    low_done = 0

    async def low() -> None:
        nonlocal low_done
        while not stop.is_set():
            async with limiter.acquire("htx", "fetch_ticker", priority=Priority.LOW):
                await asyncio.sleep(HOLD_S)
            low_done += 1

    waits: list[float] = []

    async def high() -> None:
        while not stop.is_set():
            await asyncio.sleep(HIGH_EVERY_S)
            started = time.perf_counter()
            async with limiter.acquire("htx", "fetch_ticker", priority=Priority.HIGH):
                waits.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(HOLD_S)

    tasks = [asyncio.create_task(low()) for _ in range(LOW_WORKERS)]
    await asyncio.sleep(1.0)  # LOW reaches its ceiling first
    tasks.append(asyncio.create_task(high()))
    await asyncio.sleep(RUN_S)
    stop.set()
    await limiter.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"n": len(waits), "p50": _pct(waits, 0.5), "p99": _pct(waits, 0.99), "max": max(waits),
            "low_per_s": low_done / (RUN_S + 1.0)}


async def main() -> None:
    print(f"htx budget 100/s (rolling 1 s), 10 slots; {LOW_WORKERS} LOW workers; "
          f"HIGH every {HIGH_EVERY_S * 1000:.0f} ms")
    print(f"{'setting':<36}{'HIGH n':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'LOW/s':>8}")
    results = {}
    with RedisProcess() as redis:
        for label, ceilings, url in (("ceilings (ours), local", True, None),
                                     ("ceilings (ours), through Redis", True, redis.url),
                                     ("no ceilings (priority order only)", False, None)):
            r = results[label] = await run(ceilings, url)
            print(f"{label:<36}{r['n']:>7}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['max']:>9.2f}"
                  f"{r['low_per_s']:>8.1f}")
    ours = [results["ceilings (ours), local"], results["ceilings (ours), through Redis"]]
    worst = max(r["max"] for r in ours)
    print(f"verdict: {'PASS' if worst <= 10 else 'FAIL'} HIGH max wait {ours[0]['max']:.2f} ms local, "
          f"{ours[1]['max']:.2f} ms through Redis (<= 10 ms)")


if __name__ == "__main__":
    asyncio.run(main())
