"""Signed requests while the shared limiter's Redis is killed, restarted, frozen and thawed.

Bybit at 5 requests/s and its shipped 120/min; four callers read the balance flat out through the
coordinator against the simulator for 80 s, while Redis is killed at 3 s, started at 6 s, frozen
(SIGSTOP) at 9 s, thawed at 12 s, killed at 15 s and started at 16 s. The minute budget runs out
after about 20 s; it must open again a minute after its first grants (60 s), not a minute after
the last switch, and nothing the limiter does may open Bybit's breaker.

    python benchmarks/ratelimit_switches.py
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sys
import tempfile
import time
from pathlib import Path

from ratelimit_support_redis import RedisProcess

from cts_tui.config import Config
from cts_tui.core.runtime import open_runtime
from cts_tui.errors import ExchangeError
from cts_tui.models import ConnectionDraft
from cts_tui.sim import Journal, Simulator

RUN_S = 80.0
BALANCE = "/v5/account/wallet-balance"


def _config(url: str) -> Config:
    config = Config()
    config.rate_limiting.backend = "redis"
    config.rate_limiting.redis_url = url
    config.exchanges["bybit"].per_second = 5
    config.health.interval_s = 3600  # only the callers' requests
    return config


async def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    with RedisProcess() as redis, tempfile.TemporaryDirectory() as tmp:
        async with Simulator() as sim:
            sim.set_limits("bybit", private_per_second=5, wallet_balance_per_second=5)
            async with open_runtime(_config(redis.url), Path(tmp) / "cts.sqlite") as runtime:
                account = sim.account("bybit", "main")
                view = await runtime.coordinator.add_connection(ConnectionDraft(
                    name="bybit", exchange="bybit", api_type="spot", api_key=account.api_key,
                    api_secret=account.secret, base_url=sim.base_url("bybit")), "cli")
                start = time.monotonic()
                failures: collections.Counter[str] = collections.Counter()

                async def caller() -> None:
                    while time.monotonic() - start < RUN_S:
                        try:
                            await runtime.coordinator.execute_request("fetch_balance", exchange_id=view.id)
                        except ExchangeError as error:
                            failures[f"{error.kind.value}: {error.message[:60]}"] += 1
                            await asyncio.sleep(0.05)

                async def chaos() -> None:
                    for at, action in ((3, redis.kill), (6, redis.start), (9, redis.stop),
                                       (12, redis.cont), (15, redis.kill), (16, redis.start)):
                        await asyncio.sleep(at - (time.monotonic() - start))
                        await asyncio.to_thread(action)

                await asyncio.gather(chaos(), *(caller() for _ in range(4)))
                breaker = runtime.coordinator.get_connection(view.id).breaker
            arrived = sim.journal.entries(exchange="bybit", endpoint=BALANCE, since_mono=start)
    seconds = sorted({int(e.mono - start) for e in arrived})
    gaps = [(b - a, a) for a, b in zip(seconds, seconds[1:], strict=False) if b - a > 1]
    longest, after = max(gaps, default=(0, 0))
    outcomes = collections.Counter(e.outcome for e in arrived)
    print(f"requests at the exchange: {len(arrived)} in {RUN_S:.0f} s, outcomes {dict(outcomes)}")
    print(f"most in any 1 s: {Journal.max_in_window(arrived, 1.0):.0f} (limit 5); "
          f"in any 60 s: {Journal.max_in_window(arrived, 60.0):.0f} (limit 120)")
    print(f"longest pause: {longest} s, from {after} s to {after + longest} s (the minute budget)")
    print(f"breaker at the end: {breaker}; failures: {dict(failures) or 'none'}")
    resumed = after + longest
    ok = breaker == "closed" and set(outcomes) == {"ok"} and resumed <= 62 and not any(
        kind.startswith(("timeout", "exchange_down")) for kind in failures)
    print(f"verdict: {'PASS' if ok else 'FAIL'} flow resumed at {resumed} s (a minute after the first grants: 60 s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
