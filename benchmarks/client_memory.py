"""RSS of exchange connections: 9 (one per exchange) against 1,000 over the nine, in one run,
and what plain ccxt instances cost for comparison.

The simulator runs in a child process (`cts-tui sim`) so that its markets and journal are not
counted; it serves ~2,000 markets on the large exchanges and 111 distinct keys per exchange. Every
connection is used (one balance call), so its client really exists: nothing is counted unbuilt.

    python benchmarks/client_memory.py
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from cts_tui.capabilities import SUPPORTED_API_TYPES, ExchangeId
from cts_tui.config import Config
from cts_tui.exchanges.hosts import base_url_in
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.models import Connection
from cts_tui.ratelimit import RateLimiter

TARGET_KB = 50
KEYS_PER_EXCHANGE = 112
LARGE = {"binance": 2000, "okx": 2000, "bybit": 2000, "bingx": 1500, "htx": 1500}
# Exchange limits opened wide: this measures memory, not politeness.
SIM_LIMITS: dict[str, dict[str, float]] = {
    "binance": {"spot_weight_per_minute": 1e7, "sapi_weight_per_minute": 1e7, "fapi_weight_per_minute": 1e7,
                "dapi_weight_per_minute": 1e7},
    "bybit": {"private_per_second": 1e6, "wallet_balance_per_second": 1e6},
    "okx": {"time_per_2s": 1e6, "instruments_per_2s": 1e6, "ticker_per_2s": 1e6, "balance_per_2s": 1e6,
            "config_per_2s": 1e6},
    "bingx": {"private_per_second": 1e6},
    "coinbase": {"private_per_s": 1e6, "public_per_s": 1e6, "exchange_private_per_s": 1e6},
    "htx": {"spot_private_limit": 1e6, "contract_private_limit": 1e6, "public_limit": 1e6},
    "kraken": {"private_max": 1e6, "public_max": 1e6},
    "pionex": {"ip_weight_per_s": 1e6, "account_weight_per_s": 1e6},
    "orangex": {"requests_per_s": 1e6},
    "kucoin": {"spot_per_30s": 1e7, "futures_per_30s": 1e7, "management_per_30s": 1e7, "public_per_30s": 1e7},
}


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def settle() -> float:
    gc.collect()
    return rss_mb()


def open_config() -> Config:
    config = Config()
    for limits in config.exchanges.values():
        limits.per_second, limits.per_minute, limits.max_concurrent = 100_000, 10_000_000, 50
        limits.ip_limit = None
    config.pool.per_host_limit = 50
    return config


@contextlib.contextmanager
def simulator_process(markets: dict[str, int] | None = None, keys: int = 3) -> Iterator[dict[str, Any]]:
    """`cts-tui sim` in a child process; yields the JSON it prints (base URLs and accounts)."""
    scenario = {"exchanges": {
        ex.value: {
            "markets": (markets or {}).get(ex.value, 300),
            "limits": SIM_LIMITS.get(ex.value, {}),
            "accounts": [{"name": f"k{i}"} for i in range(keys)],
        }
        for ex in ExchangeId
    }}
    # A terminated benchmark still stops its simulator (the finally below runs on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(scenario, handle)
    child = subprocess.Popen(
        [sys.executable, "-m", "cts_tui", "sim", "--scenario", handle.name],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        line = child.stdout.readline() if child.stdout else ""
        if not line:
            raise SystemExit("the simulator did not start")
        yield json.loads(line)
    finally:
        child.terminate()
        child.wait(timeout=10)
        Path(handle.name).unlink(missing_ok=True)


def connections(info: dict[str, Any], count: int) -> list[Connection]:
    """``count`` connections spread evenly over the nine exchanges and their API types."""
    per_exchange: dict[ExchangeId, Iterator[tuple[Any, Any]]] = {
        ex: zip(itertools.cycle(SUPPORTED_API_TYPES[ex]), info["exchanges"][ex.value]["accounts"], strict=False)
        for ex in ExchangeId
    }
    made: list[Connection] = []
    for index, exchange in zip(range(count), itertools.cycle(ExchangeId), strict=False):
        api_type, account = next(per_exchange[exchange])
        made.append(Connection(
            name=f"c{index}", exchange=exchange, api_type=api_type, api_key=account["api_key"],
            api_secret=account["secret"], api_passphrase=account["passphrase"],
            base_url=base_url_in(info["exchanges"][exchange.value]["hosts"], exchange, api_type,
                                 account["passphrase"] is not None),
        ))
    return made


async def use_all(hub: ExchangeHub, batch: list[Connection]) -> None:
    gate = asyncio.Semaphore(50)

    async def one(connection: Connection) -> None:
        async with gate:
            await hub.client_for(connection).fetch_balance()

    await asyncio.gather(*(one(c) for c in batch))


async def naive_ccxt_mb(info: dict[str, Any], instances: int) -> float:
    """Plain ccxt as most code uses it: an instance per key, each loading its own markets
    (currencies off, as for ours: the simulator serves no currency list)."""
    import ccxt.async_support as ccxt_async

    from cts_tui.exchanges.ccxt_shared import rewrite_urls

    base = info["exchanges"]["binance"]["base_url"]
    before = settle()
    made = []
    try:
        for account in info["exchanges"]["binance"]["accounts"][:instances]:
            exchange = ccxt_async.binance({"apiKey": account["api_key"], "secret": account["secret"],
                                           "has": {"fetchCurrencies": False},
                                           "options": {"fetchMarkets": {"types": ["spot"]}}})
            made.append(exchange)
            exchange.urls["api"] = rewrite_urls(exchange.urls["api"], base)
            await exchange.load_markets()
        return (settle() - before) / instances
    finally:
        await asyncio.gather(*(exchange.close() for exchange in made))


async def main() -> None:
    started = time.perf_counter()
    with simulator_process(LARGE, keys=KEYS_PER_EXCHANGE) as info:
        all_connections = connections(info, 1000)
        first_nine, the_rest = all_connections[:9], all_connections[9:]
        # The first connection of each remaining (exchange, API type) loads that type's markets:
        # a one-off per market set, reported apart from the cost of one more connection.
        seen = {(c.exchange, c.api_type) for c in first_nine}
        openers = [c for c in the_rest if (c.exchange, c.api_type) not in seen and not seen.add((c.exchange, c.api_type))]
        others = [c for c in the_rest if c not in openers]
        config = open_config()
        limiter = RateLimiter.from_config(config)
        async with ExchangeHub(config, limiter) as hub:
            base = settle()
            await use_all(hub, first_nine)
            nine = settle()
            await use_all(hub, openers)
            every_type = settle()
            await use_all(hub, others)
            thousand = settle()
            stats = hub.pool_stats()
        await limiter.close()
        naive = await naive_ccxt_mb(info, 4)
    extra_kb = (thousand - nine) * 1024 / len(the_rest)
    steady_kb = (thousand - every_type) * 1024 / len(others)
    print(f"markets per large exchange: {LARGE}; keys per exchange: {KEYS_PER_EXCHANGE}")
    print(f"RSS before any connection       {base:8.1f} MiB")
    print(f"RSS with    9 connections       {nine:8.1f} MiB  (+{nine - base:.1f} MiB: markets, prototypes)")
    print(f"RSS with   {9 + len(openers)} (every API type)  {every_type:8.1f} MiB  "
          f"(+{every_type - nine:.1f} MiB: markets of {len(openers)} more (exchange, API type) pairs)")
    print(f"RSS with 1000 connections       {thousand:8.1f} MiB  (+{thousand - nine:.1f} MiB over 9)")
    print(f"per extra connection, all in    {extra_kb:8.1f} KiB  (target <= {TARGET_KB} KiB: "
          f"{'met' if extra_kb <= TARGET_KB else 'NOT met'}; includes the extra market sets)")
    print(f"per extra connection, steady    {steady_kb:8.1f} KiB  (once every market set is loaded)")
    print(f"naive ccxt, binance 2000 mkts {naive:8.1f} MiB per instance -> {naive * 1000 / 1024:.1f} GiB "
          f"for 1000 (spec cites 5 MB per connection, 300 MB at 1000)")
    print(f"pool: {stats['requests']} requests, {stats['new_connections']} new connections, "
          f"reuse {stats['reuse_pct']:.1f}%, markets sets shared {stats['markets_shared']}")
    print(f"(ran in {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    asyncio.run(main())
