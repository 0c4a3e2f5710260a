"""Batch test of 100 connections over the specification's six exchanges: how long it takes
against the least time their rate limits allow.

Every connection has its own key (17 or 16 per exchange on Binance, Bybit, OKX, BingX, Pionex and
OrangeX), stored disabled so that nothing is sent before the batch; then one
``test_connections(ids)`` tests all of them (the specification's batch shape). Limits are the
shipped defaults, which match the simulators; ``batch.max_per_request`` is raised to 100 so that
one request can hold them all. The batch runs at LOW priority, whose share of every budget is
``headroom x priority_ceilings.low`` (0.63 by default). A test the exchange answered with 429 goes
back in the queue (``core.batch.RATE_LIMITED_RETRIES``); the requests it cost are in the journal
and so in the minimum.

The minimum: every request the batch made is read back from the simulator's journal (per exchange,
endpoint and key) and charged to the windows our limiter keeps for it, with the limiter's own
plans. A rolling window of period P that may hold C units at LOW priority and is charged U units
needs at least (ceil(U / C) - 1) x P seconds; the minimum is the largest of these over every
window of every exchange (the exchanges run side by side). Clock-aligned windows (Binance's UTC
minute) are left out: when one resets depends on the wall clock, not on the batch.

    python benchmarks/coordinator_batch.py [--connections 100]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this tree, whatever is installed

from cts_tui.config import Config
from cts_tui.core.runtime import open_runtime
from cts_tui.models import ConnectionDraft
from cts_tui.ratelimit.plan import make_plan
from cts_tui.ratelimit.policy import build_policies
from cts_tui.ratelimit.priority import Priority
from _sim_process import simulator_process

EXCHANGES = ("binance", "bybit", "okx", "bingx", "pionex", "orangex")


def _spread(total: int) -> dict[str, int]:
    per, extra = divmod(total, len(EXCHANGES))
    return {ex: per + (1 if i < extra else 0) for i, ex in enumerate(EXCHANGES)}


def _scenario(counts: dict[str, int]) -> dict[str, Any]:
    return {
        "exchanges": {
            ex: {"enabled": ex in counts, "accounts": [{"name": f"k{i:02d}"} for i in range(n)]}
            for ex, n in counts.items()
        }
        | {ex: {"enabled": False} for ex in ("htx", "coinbase", "kraken")}
    }


def _config(connections: int) -> Config:
    config = Config()
    config.batch.max_per_request = max(config.batch.max_per_request, connections)
    config.health.interval_s = 3600
    return config


async def _journal(control_url: str) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{control_url}/journal", params={"limit": "1000000"}) as response:
            response.raise_for_status()
            return (await response.json())["entries"]


def rate_limit_minimum(
    config: Config, entries: list[dict[str, Any]], keys: dict[tuple[str, str], str], share: float | None
) -> tuple[float, str]:
    """The least time, in seconds, the limiter's rolling windows allow for ``entries``, and the
    window that sets it: each window holding its LOW priority cap, or ``share`` of its configured
    limit when given. ``keys`` maps (exchange, simulator account name) to the account our limiter
    charges (the connection's ``account``)."""
    policies = build_policies(config)
    units: Counter[str] = Counter()
    windows: dict[str, Any] = {}
    for entry in entries:
        account = keys.get((entry["exchange"], entry["account"])) if entry["account"] else None
        endpoint = f"{entry['method']} {entry['endpoint']}"
        plan = make_plan(policies[entry["exchange"]], endpoint, account, None, config.rate_limiting)
        for charge in plan.charges:
            if not charge.spec.aligned:
                units[charge.key] += charge.units
                windows[charge.key] = charge
    longest, binding = 0.0, "none"
    for key, used in units.items():
        charge = windows[key]
        cap = charge.caps[Priority.LOW] if share is None else charge.spec.limit * share
        needed = (math.ceil(used / cap) - 1) * charge.spec.period_s if used > cap else 0.0
        if needed > longest:
            longest, binding = needed, f"{key.split('|')[0]} {charge.spec.name}: {used} units, {cap:g} per {charge.spec.period_s:g} s"
    return longest, binding


async def run(sim: dict[str, Any], counts: dict[str, int]) -> None:
    config = _config(sum(counts.values()))
    with tempfile.TemporaryDirectory() as tmp:
        async with open_runtime(config, Path(tmp) / "batch.sqlite", master_key=Fernet.generate_key()) as rt:
            coordinator = rt.coordinator
            keys: dict[tuple[str, str], str] = {}
            for exchange in counts:
                site = sim["exchanges"][exchange]
                for account in site["accounts"]:
                    draft = ConnectionDraft(
                        name=f"{exchange}-{account['name']}", exchange=exchange, api_type="spot",
                        api_key=account["api_key"], api_secret=account["secret"],
                        api_passphrase=account.get("passphrase"), base_url=site["base_url"], enabled=False,
                    )
                    view = await coordinator.add_connection(draft, "cli")
                    keys[(exchange, account["name"])] = coordinator.connection_model(view.id).account
            ids = [view.id for view in coordinator.get_all_connections()]
            started = time.perf_counter()
            result = await coordinator.test_connections(ids)
            elapsed = time.perf_counter() - started
    entries = await _journal(sim["control_url"])
    minimum, binding = rate_limit_minimum(config, entries, keys, None)
    bare, bare_binding = rate_limit_minimum(config, entries, keys, 1.0)
    wire = result.wire()
    per_exchange = Counter(e["exchange"] for e in entries)
    outcomes = Counter(f"{e['exchange']} {e['outcome']}" for e in entries if e["outcome"] != "ok")
    print(f"{wire['totalConnections']} connections over {len(counts)} exchanges ({dict(counts)}), one batch, "
          f"LOW priority, batch.max_concurrent {config.batch.max_concurrent}")
    print(f"  successful {wire['successful']}, failed {wire['failed']}, batch duration {wire['duration']} ms")
    print(f"  requests sent (simulator journal): {len(entries)} {dict(per_exchange)}; not ok {dict(outcomes) or 'none'}")
    by_test = defaultdict(int)
    for (exchange, _), _account in keys.items():
        by_test[exchange] += 1
    print("  requests per connection test: "
          + ", ".join(f"{ex} {per_exchange[ex] / by_test[ex]:.2f}" for ex in counts)
          + " (markets and the clock sync are shared per exchange)")
    low = config.rate_limiting.headroom * config.rate_limiting.priority_ceilings.low
    print(f"  rate-limit minimum {minimum:.2f} s at the LOW share ({low:.2f} of each limit), set by {binding}")
    print(f"  (at the full configured limits it would be {bare:.2f} s, set by {bare_binding}: "
          f"{elapsed / bare if bare else float('inf'):.2f}x)")
    ratio = elapsed / minimum if minimum else float("inf")
    print(f"batch {elapsed:.2f} s / minimum {minimum:.2f} s = {ratio:.2f}x (target <= 1.1x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=100)
    counts = _spread(parser.parse_args().connections)
    logging.getLogger("cts_tui").setLevel(logging.ERROR)  # the 429 pauses are counted below, not logged
    with simulator_process(_scenario(counts)) as sim:
        asyncio.run(run(sim, counts))


if __name__ == "__main__":
    main()
