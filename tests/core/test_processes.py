"""Real processes on one store: a ``serve`` holding the scheduler's lease and this test's
coordinator beside it. Exactly one of them runs the scheduled health checks (counted from the
simulator's side), and when the holder is killed with SIGKILL the other takes over."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import yaml

from cts_tui.core.runtime import open_runtime
from cts_tui.models import ConnectionDraft

from .helpers import eventually, fast_config

SCRIPT = Path(sys.executable).with_name("cts-tui")
CONNECTIONS = ("binance", "htx", "kraken")
INTERVAL_S = 0.5
LEASE_TTL_S = 3.0


def shared_config():
    config = fast_config()
    config.health.interval_s, config.health.jitter = INTERVAL_S, 0.1
    config.store.lease_ttl_s = LEASE_TTL_S
    config.streams.enabled = False
    return config


async def start_serve(db: Path, config_file: Path) -> asyncio.subprocess.Process:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "cts_tui"]
    process = await asyncio.create_subprocess_exec(
        *command, "--db", str(db), "--config", str(config_file), "serve", "--port", "0",
        env={**os.environ, "CTS_API_TOKEN": "t" * 32}, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(30):
        while b"serving on" not in (line := await process.stdout.readline()):
            assert line, (await process.stderr.read()).decode()
    return process


def checks_in(sim, since: float) -> int:
    """Health checks are balance reads; nothing else reads balances here."""
    return sum(
        1 for entry in sim.journal.entries(since_mono=since)
        if "balance" in entry.endpoint.lower() or "account" in entry.endpoint.lower()
    )


async def test_one_process_runs_the_checks_and_another_takes_over_when_it_is_killed(sim, tmp_path):
    db, config_file = tmp_path / "cts.sqlite", tmp_path / "cts.yaml"
    config = shared_config()
    config_file.write_text(yaml.safe_dump(config.model_dump(mode="json")))
    async with open_runtime(config, db, scheduled=False) as setup:
        for exchange in CONNECTIONS:
            account = sim.account(exchange, "main")
            draft = ConnectionDraft(
                name=exchange, exchange=exchange, api_type="spot", api_key=account.api_key,
                api_secret=account.secret, api_passphrase=account.passphrase, base_url=sim.base_url(exchange),
            )
            await setup.coordinator.add_connection(draft, "cli")
    serve = await start_serve(db, config_file)
    try:
        async with open_runtime(config, db, kind="tui") as watcher:
            coordinator = watcher.coordinator
            assert not coordinator.scheduler().here
            assert coordinator.scheduler().holder.startswith(f"serve pid {serve.pid} ")
            since = time.monotonic()
            await asyncio.sleep(4 * INTERVAL_S)
            assert not coordinator.parts.health.scheduling
            one_scheduler = len(CONNECTIONS) * 4  # four intervals, each connection once
            assert 0 < checks_in(sim, since) <= one_scheduler * 1.5
            # The watcher shows the holder's checks without running any.
            assert all(v.last_check is not None for v in coordinator.get_all_connections())

            serve.send_signal(signal.SIGKILL)
            await serve.wait()
            await eventually(lambda: coordinator.scheduler().here, LEASE_TTL_S)
            since = time.monotonic()
            await asyncio.sleep(4 * INTERVAL_S)
            assert 0 < checks_in(sim, since) <= one_scheduler * 1.5
    finally:
        if serve.returncode is None:
            serve.kill()
            await serve.wait()
