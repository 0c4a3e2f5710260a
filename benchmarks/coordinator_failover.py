"""Failover: one of three exchanges dies under load; how fast is it marked unhealthy, and how
many reads still succeed?

Three exchanges (Binance, Bybit, HTX), one connection each, round-robin; 50 callers read
tickers through ``execute_request`` without naming an exchange. After 2 s Binance dies (first
refusing connections, then, in a second run, hanging), the load goes on for 4 s more. Measured:
reads that failed, the time from the fault to the coordinator reporting Binance unhealthy (a
watcher polling ``exchange_health`` every 2 ms) and to the first pushed snapshot that shows it
(what the TUI sees). The simulator runs in its own process; its rate limits are lifted, ours too
(50 concurrent per exchange): this is about failure. The HTTP pool keeps its default of 20
connections per host, which the hub raises to the limiter's 50 (``exchanges.hub.pool_settings``):
a pool tighter than the limiter made about one read in a thousand time out on a healthy exchange,
waiting for a connection in aiohttp's unfair per-host queue. Request timeouts are the shipped
10 s: a hang is found by the coordinator's in-flight suspicion, not by a timeout tuned for the
benchmark (it used to run with 500 ms).

    python benchmarks/coordinator_failover.py [--callers 50]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this tree, whatever is installed

from cts_tui.config import Config
from cts_tui.core.coordinator import ConnectionCoordinator
from cts_tui.core.events import Event, SnapshotReady
from cts_tui.core.runtime import open_runtime
from cts_tui.exchanges.hub import pool_settings
from cts_tui.models import ConnectionDraft
from _sim_process import clear_faults, set_fault, simulator_process
from _watch import mark_detection

EXCHANGES = ("binance", "bybit", "htx")
VICTIM = "binance"
BEFORE_S, AFTER_S = 2.0, 4.0


def _scenario() -> dict:
    lifted = {
        "binance": {"spot_weight_per_minute": 10**9, "sapi_weight_per_minute": 10**9},
        "bybit": {"ip_requests_per_5s": 10**9, "private_per_second": 10**6, "wallet_balance_per_second": 10**6},
        "htx": {"public_limit": 10**9, "spot_private_limit": 10**9},
    }
    return {"exchanges": {ex: {"limits": limits} for ex, limits in lifted.items()}}


def _config() -> Config:
    config = Config()
    for exchange in EXCHANGES:
        limits = config.limits(exchange)
        limits.per_second, limits.per_minute, limits.max_concurrent = 10**6, 10**9, 50
        limits.ip_limit = None  # Bybit's 600 per 5 s too: the simulator's limits are lifted
        # timeout_ms stays the shipped 10 s: a hang is noticed by suspicion (core/suspicion.py),
        # not by the timeout
    config.health.interval_s = 3600
    config.load_balancing.strategy = "round_robin"
    return config


async def _scenario_run(sim: dict, coordinator: ConnectionCoordinator, outage: str, callers: int) -> dict:
    ok = failed = 0
    errors: Counter[str] = Counter()
    stop = asyncio.Event()
    marks: dict[str, float] = {}
    pushed: list[float] = []

    def on_event(event: Event) -> None:
        if isinstance(event, SnapshotReady) and "fault" in marks and "snapshot" not in marks:
            if event.snapshot.exchanges[VICTIM].healthy == 0:
                marks["snapshot"] = time.perf_counter()
        if isinstance(event, SnapshotReady):
            pushed.append(time.perf_counter())

    unsubscribe = coordinator.subscribe(on_event)

    async def reader() -> None:
        nonlocal ok, failed
        while not stop.is_set():
            try:
                await coordinator.execute_request("fetch_ticker", "BTC/USDT")
                ok += 1
            except Exception as exc:  # counted: the figure is how many failed
                failed += 1
                errors[str(exc)] += 1

    tasks = [asyncio.create_task(reader()) for _ in range(callers)]
    watch = asyncio.create_task(mark_detection(coordinator, VICTIM, marks))
    await asyncio.sleep(BEFORE_S)
    ok_before = ok
    marks["fault"] = time.perf_counter()
    await set_fault(sim, VICTIM, outage=outage)
    await asyncio.sleep(AFTER_S)
    stop.set()
    await asyncio.gather(*tasks)
    await asyncio.wait_for(watch, 1)
    unsubscribe()
    await clear_faults(sim)
    return {
        "reads": ok + failed, "failed": failed, "ok_before": ok_before,
        "detected_ms": (marks["detected"] - marks["fault"]) * 1000,
        "snapshot_ms": (marks["snapshot"] - marks["fault"]) * 1000 if "snapshot" in marks else float("nan"),
        "served": {v.exchange.value: v.requests for v in coordinator.get_all_connections()},
        "errors": dict(errors),
    }


async def run(sim: dict, callers: int) -> None:
    config = _config()
    print(f"limiter: {config.limits(VICTIM).max_concurrent} concurrent per exchange; HTTP pool: "
          f"{config.pool.per_host_limit} per host configured, {pool_settings(config).per_host_limit} in force")
    for outage in ("refused", "hang"):
        with tempfile.TemporaryDirectory() as tmp:
            async with open_runtime(_config(), Path(tmp) / "f.sqlite", master_key=Fernet.generate_key()) as rt:
                coordinator = rt.coordinator
                for exchange in EXCHANGES:
                    site = sim["exchanges"][exchange]
                    account = site["accounts"][0]
                    draft = ConnectionDraft(
                        name=exchange, exchange=exchange, api_type="spot", api_key=account["api_key"],
                        api_secret=account["secret"], base_url=site["base_url"],
                    )
                    view = await coordinator.add_connection(draft, "cli")
                    assert view.state.value == "active", view.last_test
                result = await _scenario_run(sim, coordinator, outage, callers)
        rate = 100 * (result["reads"] - result["failed"]) / result["reads"]
        print(f"{VICTIM} {outage} after {BEFORE_S:g} s, {callers} callers, {AFTER_S:g} s more "
              f"(request timeout {_config().limits(VICTIM).timeout_ms} ms, the default):")
        print(f"  reads {result['reads']}, failed {result['failed']}, success {rate:.3f}% (target 100%)")
        print(f"  marked unhealthy after {result['detected_ms']:.0f} ms (target <= 1000 ms); "
              f"first snapshot showing it after {result['snapshot_ms']:.0f} ms")
        print(f"  requests per exchange (incl. failures and tests): {result['served']}")
        if result["errors"]:
            print(f"  errors of the failed reads: {result['errors']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=50)
    callers = parser.parse_args().callers
    with simulator_process(_scenario()) as sim:
        asyncio.run(run(sim, callers))


if __name__ == "__main__":
    main()
