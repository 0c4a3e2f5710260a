"""Eight processes on two "hosts" share one budget through each Redis topology: one server, a
Sentinel-watched master (a replica, three sentinels) and a 3-master Cluster.

Bybit's wallet-balance endpoint allows 50 requests per UID in any rolling second; the limiter's
budget is 90% of it (45/s). Each topology gets 8 processes (ccxt with our limiter, 4 tasks each,
flat out for RUN_S seconds), started as two process groups that name themselves host-a and
host-b in the fleet. Figures per topology: the most requests the simulator saw in any 1 s window
(must not exceed 50) and its 429s (must be none), utilisation (served / the 45/s budget over the
run, target >= 90%), Redis round trips per request served (sends on the client's connections,
pipelines counted once; target 1), Redis checks per second per process, and the fleet's own
headline as one of the processes saw it.

    python benchmarks/fleet_budgets.py [single] [sentinel] [cluster]   (default: all three)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

import ccxt.async_support as ccxt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).parent))
from ratelimit_support_ccxt import limited_client  # noqa: E402

from cts_tui.config import Config  # noqa: E402
from cts_tui.errors import CtsError  # noqa: E402
from cts_tui.ratelimit import Priority, RateLimiter, request_priority  # noqa: E402
from cts_tui.sim import Journal, Scenario, Simulator  # noqa: E402
from cts_tui.sim.exchanges import discover  # noqa: E402
from cts_tui.sim.scenario import ExchangeScenario  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402
from tests.redis_topologies import RedisClusterTopology, RedisSentinelTopology, running, tools_present  # noqa: E402

RUN_S = 6.0
LIMIT = 50
BUDGET = LIMIT * 0.9
WALLET_PATH = "/v5/account/wallet-balance"
PROCESSES = 8
TASKS = 4
HOSTS = ("host-a", "host-b")


def _config(url: str, prefix: str) -> Config:
    config = Config()
    settings = config.rate_limiting
    settings.backend, settings.redis_url, settings.key_prefix = "redis", url, prefix
    bybit = config.exchanges["bybit"]
    bybit.per_second, bybit.per_minute, bybit.max_concurrent = LIMIT, 10**6, TASKS
    return config


def _count_round_trips() -> dict[str, int]:
    """Every send on a Redis connection is one round trip (a pipeline sends once), named by the
    first script it runs; checks are the limiter's calls of the take script, denials those that
    granted nothing."""
    from redis.asyncio.connection import AbstractConnection

    from cts_tui.ratelimit import fleet, redis_scripts
    from cts_tui.ratelimit.redis_scripts import RedisScripts

    scripts = {"take": redis_scripts._TAKE, "settle": redis_scripts._SETTLE,  # noqa: SLF001
               "raise": redis_scripts._RAISE, "beat": fleet._BEAT}  # noqa: SLF001
    shas = {hashlib.sha1(source.encode()).hexdigest().encode(): name for name, source in scripts.items()}
    counts = {"round_trips": 0, "checks": 0, "denied": 0, "ahead": 0} | {f"rt_{name}": 0 for name in [*scripts, "other"]}
    send, take = AbstractConnection.send_packed_command, RedisScripts.take

    async def counted_send(self, command, check_health=True):  # type: ignore[no-untyped-def]
        packed = command if isinstance(command, bytes) else b"".join(command)
        kind = next((name for sha, name in shas.items() if sha in packed), "other")
        counts["round_trips"] += 1
        counts[f"rt_{kind}"] += 1
        return await send(self, command, check_health)

    async def counted_take(self, plan, priority, dry_run=False, ahead_s=0.0):  # type: ignore[no-untyped-def]
        counts["checks"] += 1
        result = await take(self, plan, priority, dry_run, ahead_s)
        counts["denied"] += not result.granted
        counts["ahead"] += result.granted and result.wait_s > 0
        return result

    AbstractConnection.send_packed_command = counted_send  # type: ignore[method-assign]
    RedisScripts.take = counted_take  # type: ignore[method-assign]
    return counts


class _TripReasons(logging.Handler):
    """What each breaker trip met (the warning's error class), for the report."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__()
        self._reasons = reasons

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("redis unavailable"):
            self._reasons.append(str(record.args[0]) if record.args else "?")


async def child(spec: dict) -> None:
    """One process of the fleet: ccxt with our limiter, calling flat out from "go"."""
    socket.gethostname = lambda: spec["host"]  # the fleet's host label: two groups, one machine
    logging.getLogger("cts_tui").setLevel(logging.ERROR)  # pauses and fallbacks are counted instead
    trip_reasons: list[str] = []
    breaker = logging.getLogger("cts_tui.ratelimit.shared")
    breaker.setLevel(logging.WARNING)
    breaker.propagate = False
    breaker.addHandler(_TripReasons(trip_reasons))
    counts = _count_round_trips()
    limiter = RateLimiter.from_config(_config(spec["url"], spec["prefix"]))
    await limiter.start()
    client = limited_client("bybit", spec["base_url"], spec["api_key"], spec["secret"], limiter)
    await client.load_markets()
    await client.fetch_balance()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    before = dict(counts)
    served = errors = 0

    async def loop() -> None:
        nonlocal served, errors
        while True:
            try:
                await client.fetch_balance()
                served += 1
            except (ccxt.BaseError, CtsError):
                errors += 1

    with request_priority(Priority.HIGH):
        try:
            async with asyncio.timeout(spec["run_s"]):
                await asyncio.gather(*(loop() for _ in range(TASKS)))
        except TimeoutError:
            pass
    result = {key: counts[key] - before[key] for key in counts}
    fleet = limiter.fleet
    trips = getattr(limiter._backend, "trips", 0)  # noqa: SLF001 - the breaker's count, for the report
    result |= {"served": served, "errors": errors, "backend": limiter.backend, "trips": trips,
               "reasons": trip_reasons,
               "headline": fleet.headline() if fleet is not None else ""}
    await client.close()
    await limiter.close()
    print(json.dumps(result), flush=True)


async def _fleet_run(sim: Simulator, url: str, prefix: str) -> dict:
    account = sim.account("bybit", "main")
    spec = {"url": url, "prefix": prefix, "base_url": sim.base_url("bybit"), "api_key": account.api_key,
            "secret": account.secret, "run_s": RUN_S}
    procs = []
    group = {host: 0 for host in HOSTS}  # 0: the host's first process starts its group
    for i in range(PROCESSES):
        host = HOSTS[i % len(HOSTS)]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--child", json.dumps(spec | {"host": host}),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, process_group=group[host])
        group[host] = group[host] or os.getpgid(proc.pid)
        procs.append(proc)
    for proc in procs:
        line = (await proc.stdout.readline()).decode().strip()  # type: ignore[union-attr]
        if line != "ready":
            raise RuntimeError(f"a fleet process failed to start: {line!r}")
    await asyncio.sleep(1.5)  # every heartbeat has named every process
    start = time.monotonic()
    for proc in procs:
        proc.stdin.write(b"go\n")  # type: ignore[union-attr]
        await proc.stdin.drain()  # type: ignore[union-attr]
    outs = [json.loads((await proc.communicate())[0].decode().strip().splitlines()[-1]) for proc in procs]
    entries = [e for e in sim.journal.entries(exchange="bybit", endpoint=WALLET_PATH, since_mono=start)
               if e.mono < start + RUN_S]
    served = sum(o["served"] for o in outs)
    return {
        "peak": Journal.max_in_window(entries, 1.0),  # every arrival, refused ones too
        "rejected": sum(1 for e in entries if e.outcome == "rate_limited"),
        "refusals": sorted({e.outcome for e in entries if e.outcome not in ("ok", "rate_limited")}),
        "utilisation": sum(1 for e in entries if e.outcome == "ok") / (RUN_S * BUDGET),
        "round_trips": sum(o["round_trips"] for o in outs) / max(1, served),
        "checks_per_s": sum(o["checks"] for o in outs) / PROCESSES / RUN_S,
        "by_kind": {key[3:]: sum(o[key] for o in outs) / max(1, served) for key in outs[0] if key.startswith("rt_")},
        "denied": sum(o["denied"] for o in outs) / max(1, served),
        "ahead": sum(o["ahead"] for o in outs) / max(1, served),
        "errors": sum(o["errors"] for o in outs),
        "backends": "/".join(sorted({o["backend"] for o in outs})),
        "trips": sum(o["trips"] for o in outs),
        "reasons": sorted({reason for o in outs for reason in o["reasons"]}),
        "groups": len({group[h] for h in HOSTS}),
        "headline": max((o["headline"] for o in outs), key=len),
    }


async def main(wanted: list[str]) -> int:
    if not tools_present():
        sys.exit("redis-server and redis-cli are needed: install the redis-server package")
    logging.getLogger("cts_tui").setLevel(logging.ERROR)
    scenario = Scenario(exchanges={
        **{name: ExchangeScenario(enabled=False) for name in discover() if name != "bybit"},
        "bybit": ExchangeScenario(markets=20)})
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        single = stack.enter_context(running(RedisServer(Path(tmp))))
        sentinel = stack.enter_context(running(RedisSentinelTopology(Path(tmp) / "sentinel")))
        cluster = stack.enter_context(running(RedisClusterTopology(Path(tmp) / "cluster")))
        async with Simulator(scenario) as sim:
            sim.set_limits("bybit", wallet_balance_per_second=LIMIT)
            for name, url in (("single", single.url), ("sentinel", sentinel.url), ("cluster", cluster.url)):
                if name in wanted:
                    rows[name] = await _fleet_run(sim, url, f"fleet-{name}")
    _print(rows)
    ok = all(r["peak"] <= LIMIT and r["rejected"] == 0 and r["utilisation"] >= 0.9 and r["errors"] == 0
             for r in rows.values())
    print(f"verdict: {'PASS' if ok else 'FAIL'} (every window <= {LIMIT}/s, no 429, utilisation >= 90% "
          f"of the {BUDGET:.0f}/s budget, no errors, on every topology)")
    return 0 if ok else 1


def _print(rows: dict[str, dict]) -> None:
    print(f"Bybit wallet-balance, limit {LIMIT}/s per UID, budget {BUDGET:.0f}/s; {PROCESSES} processes "
          f"x {TASKS} tasks in 2 process groups, {RUN_S:.0f} s per topology")
    lines = (
        ("most in any 1 s (<= 50)", lambda r: f"{r['peak']:.0f}"),
        ("429s at the exchange", lambda r: f"{r['rejected']}"),
        ("utilisation (>= 90%)", lambda r: f"{r['utilisation']:.1%}"),
        ("round trips / request", lambda r: f"{r['round_trips']:.2f}"),
        *((f"  of which {kind}", (lambda r, kind=kind: f"{r['by_kind'][kind]:.2f}"))
          for kind in ("take", "settle", "raise", "beat", "other")),
        ("denied checks / request", lambda r: f"{r['denied']:.2f}"),
        ("granted ahead / request", lambda r: f"{r['ahead']:.2f}"),
        ("checks/s per process", lambda r: f"{r['checks_per_s']:.1f}"),
        ("errors", lambda r: f"{r['errors']}"),
        ("breaker trips", lambda r: f"{r['trips']}"),
        ("backend at the end", lambda r: r["backends"]),
        ("process groups", lambda r: f"{r['groups']}"),
    )
    print(f"  {'':<26}" + "".join(f"{name:>12}" for name in rows))
    for label, cell in lines:
        print(f"  {label:<26}" + "".join(f"{cell(r):>12}" for r in rows.values()))
    for name, row in rows.items():
        print(f"  fleet on {name}: {row['headline']}" + (f"; breaker trips on: {', '.join(row['reasons'])}"
                                                          if row["reasons"] else "")
              + (f"; other refusals at the exchange: {', '.join(row['refusals'])}" if row["refusals"] else ""))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        asyncio.run(child(json.loads(sys.argv[2])))
    else:
        sys.exit(asyncio.run(main(sys.argv[1:] or ["single", "sentinel", "cluster"])))
