"""Per-request CPU of our client (limiter permit, hooks, classification, clock) against bare ccxt
on the same simulator in the same run, and the pool's connection reuse under steady load.

    python benchmarks/client_cpu.py
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import ccxt.async_support as ccxt_async

from client_memory import open_config, simulator_process
from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.exchanges.ccxt_shared import rewrite_urls
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.models import Connection
from cts_tui.ratelimit import RateLimiter

REQUESTS = 1500
WARMUP = 100


async def cpu_per_request_us(request: Callable[[], Awaitable[Any]], count: int) -> float:
    for _ in range(WARMUP):
        await request()
    started = time.process_time()
    for _ in range(count):
        await request()
    return (time.process_time() - started) / count * 1e6


def connection(info: dict[str, Any], exchange: ExchangeId) -> Connection:
    account = info["exchanges"][exchange.value]["accounts"][0]
    return Connection(name=exchange.value, exchange=exchange, api_type=ApiType.SPOT, api_key=account["api_key"],
                      api_secret=account["secret"], base_url=info["exchanges"][exchange.value]["base_url"])


async def main() -> None:
    with simulator_process({"binance": 2000}, keys=3) as info:
        bare = ccxt_async.binance({"enableRateLimit": False, "options": {"fetchMarkets": {"types": ["spot"]}},
                                   "has": {"fetchCurrencies": False}})
        bare.urls["api"] = rewrite_urls(bare.urls["api"], info["exchanges"]["binance"]["base_url"])
        try:
            await bare.load_markets()
            bare_us = await cpu_per_request_us(lambda: bare.fetch_ticker("BTC/USDT"), REQUESTS)
        finally:
            await bare.close()

        config = open_config()
        limiter = RateLimiter.from_config(config)
        async with ExchangeHub(config, limiter) as hub:
            ours = hub.client_for(connection(info, ExchangeId.BINANCE))
            ours_us = await cpu_per_request_us(lambda: ours.fetch_ticker("BTC/USDT"), REQUESTS)
            ours_call_us = await cpu_per_request_us(lambda: ours.call("fetch_ticker", "BTC/USDT"), REQUESTS)
            pionex = hub.client_for(connection(info, ExchangeId.PIONEX))
            native_us = await cpu_per_request_us(lambda: pionex.fetch_ticker("BTC/USDT"), REQUESTS)
            stats = hub.pool_stats()
        await limiter.close()
    print(f"fetch_ticker, {REQUESTS} sequential requests each, simulator in a child process (CPU of this process)")
    print(f"bare ccxt binance (no limiter)        {bare_us:7.0f} us CPU per request")
    print(f"our ccxt client (limiter, hooks)      {ours_us:7.0f} us CPU per request  "
          f"(+{ours_us - bare_us:.0f} us, {100 * (ours_us / bare_us - 1):+.0f}%)")
    print(f"our ccxt client via call()            {ours_call_us:7.0f} us CPU per request")
    print(f"our native pionex client              {native_us:7.0f} us CPU per request")
    print(f"pool under steady load: {stats['requests']} requests, {stats['new_connections']} new connections, "
          f"reuse {stats['reuse_pct']:.2f}% (target >= 95%)")


if __name__ == "__main__":
    asyncio.run(main())
