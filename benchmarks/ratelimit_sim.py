"""The limiter judged by the simulator's journal (what arrived at the exchange, when).

1. Accuracy and utilisation: Bybit's wallet-balance endpoint allows 50 requests per UID in any
   rolling second. One process alone (local limiter), then 4 processes sharing the key through
   Redis, each with 8 tasks calling fetch_balance as fast as they can for RUN_S seconds. Figures:
   the most requests the simulator saw in any 1 s window (must not exceed 50), rejections, and
   utilisation (requests served / the limit over the run).
2. Bans: Binance with 300 request weight per clock minute and a ban after 10 rejections. 16 tasks
   call fetch_ticker as fast as they can, far more than 10x the budget: a bare ccxt client (its own
   throttle on), ccxt with our limiter, and 4 processes of it sharing the IP's budget through
   Redis. Figures: 429s and 418 bans in the journal.

    python benchmarks/ratelimit_sim.py
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from pathlib import Path

import ccxt.async_support as ccxt

from cts_tui.config import Config
from cts_tui.errors import CtsError
from cts_tui.ratelimit import Priority, RateLimiter, request_priority
from cts_tui.sim import Journal, Scenario, Simulator
from cts_tui.sim.exchanges import discover
from cts_tui.sim.scenario import ExchangeScenario

sys.path.insert(0, str(Path(__file__).parent))
from ratelimit_support_redis import RedisProcess  # noqa: E402
from ratelimit_support_ccxt import bare_client, limited_client  # noqa: E402

RUN_S = 8.0
WALLET_LIMIT = 50
WALLET_PATH = "/v5/account/wallet-balance"
TASKS = 8
BAN_RUN_S = 15.0
BINANCE_WEIGHT_PER_MINUTE = 300
BAN_TASKS = 16


def _limiter_config(backend: str, redis_url: str) -> Config:
    config = Config()
    config.rate_limiting.backend = backend  # type: ignore[assignment]
    config.rate_limiting.redis_url = redis_url
    config.rate_limiting.key_prefix = "simbench"
    bybit = config.exchanges["bybit"]
    bybit.per_second, bybit.per_minute, bybit.max_concurrent = WALLET_LIMIT, 10**6, 10
    binance = config.exchanges["binance"]
    binance.per_minute = BINANCE_WEIGHT_PER_MINUTE
    return config


# --- processes -------------------------------------------------------------------------------

async def child(spec: dict) -> None:
    """One process: ccxt with our limiter, calling flat out from "go" for run_s seconds."""
    exchange = spec["exchange"]
    limiter = RateLimiter.from_config(_limiter_config(spec["backend"], spec["redis_url"]))
    await limiter.start()
    client = limited_client(exchange, spec["base_url"], spec["api_key"], spec["secret"], limiter)
    await client.load_markets()
    if exchange == "bybit":
        await client.fetch_balance()
        call = client.fetch_balance
    else:
        symbol = client.symbols[0]

        async def call() -> None:
            await client.fetch_ticker(symbol)

    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    counts = {"ok": 0, "errors": 0}

    async def loop() -> None:
        while True:
            try:
                await call()
                counts["ok"] += 1
            except (ccxt.BaseError, CtsError):
                counts["errors"] += 1

    with request_priority(Priority[spec["priority"]]):
        try:
            async with asyncio.timeout(spec["run_s"]):
                await asyncio.gather(*(loop() for _ in range(spec["tasks"])))
        except TimeoutError:
            pass
    backend = limiter.backend
    await client.close()
    await limiter.close()
    print(json.dumps(counts | {"backend": backend}), flush=True)


async def _processes(sim: Simulator, n: int, **spec: object) -> tuple[float, list[dict]]:
    """Start n children, let them all go at once; (the start, their counts)."""
    account = sim.account(str(spec["exchange"]), "main")
    spec |= {"base_url": sim.base_url(str(spec["exchange"])), "api_key": account.api_key,
             "secret": account.secret}
    procs = [await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--child", json.dumps(spec),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE) for _ in range(n)]
    for proc in procs:
        line = (await proc.stdout.readline()).decode().strip()  # type: ignore[union-attr]
        if line != "ready":
            raise RuntimeError(f"child failed to start: {line!r}")
    start = time.monotonic()
    for proc in procs:
        proc.stdin.write(b"go\n")  # type: ignore[union-attr]
        await proc.stdin.drain()  # type: ignore[union-attr]
    outs = [json.loads((await proc.communicate())[0].decode().strip().splitlines()[-1]) for proc in procs]
    return start, outs


async def _accuracy_run(sim: Simulator, n: int, backend: str, redis_url: str) -> dict:
    sim.set_limits("bybit", wallet_balance_per_second=WALLET_LIMIT)
    start, outs = await _processes(sim, n, exchange="bybit", backend=backend, redis_url=redis_url,
                                   run_s=RUN_S, priority="HIGH", tasks=TASKS)
    entries = [e for e in sim.journal.entries(exchange="bybit", endpoint=WALLET_PATH, since_mono=start)
               if e.mono < start + RUN_S]
    served = sum(1 for e in entries if e.outcome == "ok")
    return {
        "peak": Journal.max_in_window([e for e in entries if e.outcome == "ok"], 1.0),
        "rejected": sum(1 for e in entries if e.outcome == "rate_limited"),
        "served": served,
        "utilisation": served / (RUN_S * WALLET_LIMIT),
        "errors": sum(o["errors"] for o in outs),
        "backends": sorted({o["backend"] for o in outs}),
    }


async def accuracy(sim: Simulator, redis_url: str) -> list[dict]:
    print(f"1. Bybit wallet-balance, limit {WALLET_LIMIT}/s per UID (rolling 1 s), {TASKS} tasks per "
          f"process, {RUN_S:.0f} s; HIGH priority (ceiling 100% of the 90% headroom budget)")
    print(f"   {'run':<32}{'peak/1s':>8}{'limit':>6}{'429s':>6}{'served':>8}{'util':>7}"
          f"{'of budget':>10}{'errors':>7}  backend")
    rows = []
    for label, n, backend in (("alone (1 process, local)", 1, "local"),
                              ("4 processes through Redis", 4, "redis")):
        r = await _accuracy_run(sim, n, backend, redis_url)
        r["label"] = label
        rows.append(r)
        print(f"   {label:<32}{r['peak']:>8.0f}{WALLET_LIMIT:>6}{r['rejected']:>6}{r['served']:>8}"
              f"{r['utilisation']:>7.1%}{r['utilisation'] / 0.9:>10.1%}{r['errors']:>7}  "
              f"{','.join(r['backends'])}")
    return rows


# --- bans -------------------------------------------------------------------------------------

async def _hammer(client, symbol: str, seconds: float, sim: Simulator, stop_on_ban: bool) -> None:
    """Flat-out callers until a ban (when asked) or the time is up; waiters are then cancelled."""

    async def loop() -> None:
        while not (stop_on_ban and sim.journal.entries(exchange="binance", outcome="banned")):
            try:
                await client.fetch_ticker(symbol)
            except (ccxt.BaseError, CtsError):
                await asyncio.sleep(0)

    try:
        async with asyncio.timeout(seconds):
            await asyncio.gather(*(loop() for _ in range(BAN_TASKS)))
    except TimeoutError:
        pass


def _minute_peak(entries) -> float:
    minutes: dict[int, float] = {}
    for e in entries:
        if e.outcome == "ok":
            minutes[int(e.wall // 60)] = minutes.get(int(e.wall // 60), 0) + e.weight
    return max(minutes.values(), default=0)


async def _in_process(sim: Simulator, limited: bool) -> float:
    """One process, BAN_TASKS callers; returns when it started calling."""
    account = sim.account("binance", "main")
    limiter = None
    if limited:
        limiter = RateLimiter.from_config(_limiter_config("local", ""))
        await limiter.start()
        client = limited_client("binance", sim.base_url("binance"), account.api_key, account.secret,
                                limiter)
    else:
        client = bare_client("binance", sim.base_url("binance"), account.api_key, account.secret)
    await client.load_markets()
    start = time.monotonic()
    await _hammer(client, client.symbols[0], BAN_RUN_S, sim, stop_on_ban=not limited)
    await client.close()
    if limiter is not None:
        await limiter.close()
    return start


async def bans(sim: Simulator, redis_url: str) -> dict[str, dict]:
    print(f"2. Binance, {BINANCE_WEIGHT_PER_MINUTE} weight per clock minute, ban after 10 rejections;"
          f" {BAN_TASKS} tasks in all calling fetch_ticker (weight 2) flat out, up to {BAN_RUN_S:.0f} s")
    print(f"   {'client':<44}{'seconds':>8}{'served':>8}{'429s':>6}{'418s':>6}{'peak weight/min':>17}")
    results = {}
    for label in ("bare ccxt (its own throttle), 1 process", "ccxt + cts limiter, 1 process",
                  "ccxt + cts limiter, 4 processes via Redis"):
        sim.set_limits("binance", spot_weight_per_minute=BINANCE_WEIGHT_PER_MINUTE)
        if "4 processes" in label:
            start, _outs = await _processes(sim, 4, exchange="binance", backend="redis",
                                            redis_url=redis_url, run_s=BAN_RUN_S, priority="NORMAL",
                                            tasks=BAN_TASKS // 4)
        else:
            start = await _in_process(sim, limited="cts" in label)
        entries = sim.journal.entries(exchange="binance", since_mono=start)
        r = results[label] = {
            "seconds": max((e.mono for e in entries), default=start) - start,
            "served": sum(1 for e in entries if e.outcome == "ok"),
            "rejected": sum(1 for e in entries if e.outcome == "rate_limited"),
            "banned": sum(1 for e in entries if e.outcome == "banned"),
            "peak": _minute_peak(entries),
        }
        print(f"   {label:<44}{r['seconds']:>8.1f}{r['served']:>8}{r['rejected']:>6}{r['banned']:>6}"
              f"{r['peak']:>17.0f}")
    return results


async def main() -> None:
    logging.getLogger("cts_tui").setLevel(logging.ERROR)
    scenario = Scenario(exchanges={
        **{name: ExchangeScenario(enabled=False) for name in discover() if name not in ("bybit", "binance")},
        "bybit": ExchangeScenario(markets=40), "binance": ExchangeScenario(markets=40)})
    with RedisProcess() as redis:
        async with Simulator(scenario) as sim:
            rows = await accuracy(sim, redis.url)
            ban_rows = await bans(sim, redis.url)
    accurate = all(r["peak"] <= WALLET_LIMIT and r["rejected"] == 0 for r in rows)
    utilised = all(r["utilisation"] / 0.9 >= 0.9 for r in rows)
    bare = ban_rows.pop("bare ccxt (its own throttle), 1 process")
    ours_banned = sum(r["banned"] + r["rejected"] for r in ban_rows.values())
    print(f"verdict: accuracy {'PASS' if accurate else 'FAIL'} (peak <= limit, no 429 in either run); "
          f"utilisation {'PASS' if utilised else 'FAIL'} (>= 90% of the headroom budget: "
          + ", ".join(f"{r['utilisation'] / 0.9:.1%}" for r in rows)
          + f"); bans {'PASS' if ours_banned == 0 and bare['banned'] > 0 else 'FAIL'} "
          f"(ours: {ours_banned} 429s or 418s in both runs; bare ccxt: {bare['banned']} 418s)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        asyncio.run(child(json.loads(sys.argv[2])))
    else:
        asyncio.run(main())
