"""The Redis-shared limiter: checks per second from one process (next to the local limiter), and
how long the first request takes when Redis is killed (connection refused) or frozen with SIGSTOP
(hung), next to redis-py's default client under the same failure.

    python benchmarks/ratelimit_redis.py
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time

from redis.asyncio import Redis

from cts_tui.config import Config
from cts_tui.ratelimit import Priority, RateLimiter

from ratelimit_support_redis import RedisProcess

CHECKS = 5000
TRIALS = 5
DEFAULT_CLIENT_CAP_S = 10.0


def _config(backend: str, url: str = "") -> Config:
    config = Config()
    config.rate_limiting.backend = backend  # type: ignore[assignment]
    if url:
        config.rate_limiting.redis_url = url
    for limits in config.exchanges.values():
        limits.per_second, limits.per_minute, limits.max_concurrent = 10**9, 10**12, 64
        limits.ip_limit = None
    return config


async def _throughput(limiter: RateLimiter, tasks: int) -> tuple[float, float]:
    """Checks per second, and this process's CPU per check in microseconds."""
    per_task = CHECKS // tasks

    async def work() -> None:
        for _ in range(per_task):
            if tasks == 1:
                async with limiter.acquire("binance", "GET /api/v3/ticker/24hr"):
                    pass
            else:
                await limiter.acquire_permit("binance", "GET /api/v3/ticker/24hr", Priority.NORMAL)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(work() for _ in range(tasks)))
    done = per_task * tasks
    return done / (time.perf_counter() - started), (time.process_time() - cpu) / done * 1e6


async def checks_per_second(redis: RedisProcess) -> float:
    shared = RateLimiter.from_config(_config("redis", redis.url))
    local = RateLimiter.from_config(_config("local"))
    await shared.start()
    await local.start()
    print(f"checks per second, {CHECKS} checks (target: Redis >= 5,000/s from one process)")
    best = 0.0
    for tasks in (1, 4, 16):
        redis_rate, redis_cpu = await _throughput(shared, tasks)
        local_rate, local_cpu = await _throughput(local, tasks)
        best = max(best, redis_rate)
        label = "sequential acquire" if tasks == 1 else f"{tasks} tasks, acquire_permit"
        print(f"  {label:<28} redis {redis_rate:>7,.0f}/s ({redis_cpu:5.0f} us CPU each)   "
              f"local {local_rate:>9,.0f}/s ({local_cpu:4.1f} us)")
    assert shared.backend == "redis"
    await shared.close()
    await local.close()
    return best


async def _first_request_after(redis: RedisProcess, fail) -> float:
    limiter = RateLimiter.from_config(_config("redis", redis.url))
    await limiter.start()
    async with limiter.acquire("okx", "fetch_ticker"):
        pass
    fail()
    started = time.perf_counter()
    async with limiter.acquire("okx", "fetch_ticker"):
        took = time.perf_counter() - started
    assert limiter.backend == "fallback"
    await limiter.close()
    return took * 1000


async def _default_client_after(redis: RedisProcess, fail) -> float:
    client = Redis.from_url(redis.url)  # redis-py defaults: retries with backoff, no socket timeout
    await client.ping()
    fail()
    started = time.perf_counter()
    try:
        async with asyncio.timeout(DEFAULT_CLIENT_CAP_S):
            await client.ping()
    except Exception:  # noqa: BLE001 - any failure ends the measurement
        pass
    took = time.perf_counter() - started
    await client.aclose()
    return took * 1000


async def fallback_times(redis: RedisProcess) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    for label, fail, heal in (("refused (kill -9)", redis.kill, redis.start),
                              ("hung (SIGSTOP)", redis.stop, redis.cont)):
        ours, default = [], []
        for _ in range(TRIALS):
            ours.append(await _first_request_after(redis, fail))
            heal()
        default.append(await _default_client_after(redis, fail))
        heal()
        results[label] = ours
        capped = " (gave up waiting)" if default[0] >= DEFAULT_CLIENT_CAP_S * 1000 * 0.99 else ""
        print(f"  {label:<20} ours: median {statistics.median(ours):6.1f} ms, max {max(ours):6.1f} ms"
              f"   redis-py defaults: {default[0]:8.1f} ms{capped}")
    return results


async def main() -> None:
    logging.getLogger("cts_tui").setLevel(logging.ERROR)  # the breaker's warnings are expected here
    with RedisProcess() as redis:
        best = await checks_per_second(redis)
        print(f"time to the first request served after Redis fails, {TRIALS} trials "
              "(targets: refused <= 5 ms, hung <= 55 ms)")
        times = await fallback_times(redis)
    refused, hung = max(times["refused (kill -9)"]), max(times["hung (SIGSTOP)"])
    ok = best >= 5000 and refused <= 5 and hung <= 55
    print(f"verdict: {'PASS' if ok else 'FAIL'} redis {best:,.0f} checks/s, fallback refused "
          f"{refused:.1f} ms, hung {hung:.1f} ms (worst of {TRIALS})")


if __name__ == "__main__":
    asyncio.run(main())
