"""`cts-tui serve` as a user runs it: a real process, real signals, real HTTP on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.fernet import Fernet

from cts_tui.capabilities import ExchangeId
from cts_tui.config import Config
from cts_tui.core.runtime import open_runtime
from cts_tui.demo import load_demo_scenario
from cts_tui.models import Connection, ConnectionPatch
from cts_tui.paths import api_token_path
from cts_tui.sim import Simulator
from cts_tui.store.store import ConnectionStore

TOKEN = "serve-test-token-0123456789"
START_S = 60


@dataclass
class Served:
    process: asyncio.subprocess.Process
    url: str
    lines: list[str]  # stdout up to the ready line
    errors: bytearray  # stderr, drained all along so the server never blocks on a full pipe


@asynccontextmanager
async def serving(*args: str, env: dict[str, str] | None = None, preexec_fn: Any = None) -> AsyncIterator[Served]:
    """Start ``cts-tui serve --port 0 ...`` and wait for its ready line."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cts_tui", *args, "serve", "--port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, **(env or {})},
        preexec_fn=preexec_fn,
    )
    assert process.stdout is not None and process.stderr is not None
    errors = bytearray()

    async def drain(stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            errors.extend(chunk)

    drainer = asyncio.create_task(drain(process.stderr))
    lines: list[str] = []
    try:
        while not lines or "serving on" not in lines[-1]:
            raw = await asyncio.wait_for(process.stdout.readline(), START_S)
            assert raw, errors.decode()
            lines.append(raw.decode().rstrip())
        yield Served(process, lines[-1].split("serving on ", 1)[1].split()[0], lines, errors)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await drainer


async def seeded_store(sim: Simulator, path: Path, key: str) -> None:
    account = sim.account("binance", "main")
    async with await ConnectionStore.open(path, key) as store:
        await store.add(Connection(
            name="binance", exchange="binance", api_type="spot", api_key=account.api_key,
            api_secret=account.secret, base_url=sim.base_url("binance"),
        ))


async def test_sigterm_lets_the_request_in_flight_finish_and_exits_0(sim: Simulator, tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    db = tmp_path / "serve.db"
    await seeded_store(sim, db, key)
    env = {"CTS_MASTER_KEY": key, "CTS_API_TOKEN": TOKEN}
    async with serving("--db", str(db), env=env) as served:
        process, url, lines = served.process, served.url, served.lines
        assert url.startswith("http://127.0.0.1:")
        assert not [line for line in lines if TOKEN in line]  # a token from the env is never printed
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            async with http.get(f"{url}/api/settings/connections") as response:
                connection_id = (await response.json())["connections"][0]["id"]
            await sim.set_fault("binance", latency_ms=400)
            seen = len(sim.journal)
            in_flight = asyncio.create_task(http.post(f"{url}/api/settings/connections/{connection_id}/test"))
            while len(sim.journal) == seen:  # the test has reached the exchange: it is in flight
                await asyncio.sleep(0.01)
            process.send_signal(signal.SIGTERM)
            response = await in_flight
            async with response:
                assert response.status == 200
                assert (await response.json())["success"] is True
        assert await asyncio.wait_for(process.wait(), 30) == 0
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as http, http.get(f"{url}/health"):
            pass


async def test_first_run_prints_the_generated_token_once(sim: Simulator, tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    db = tmp_path / "serve.db"
    await seeded_store(sim, db, key)
    async with serving("--db", str(db), env={"CTS_MASTER_KEY": key}) as served:
        process, url, lines = served.process, served.url, served.lines
        printed = [line for line in lines if line.startswith("API token (shown once")]
        assert len(printed) == 1
        token = printed[0].rsplit(": ", 1)[1]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/api/settings/connections", headers={"Authorization": f"Bearer {token}"}) as r:
                assert r.status == 200
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    async with serving("--db", str(db), env={"CTS_MASTER_KEY": key}) as served:
        process, lines = served.process, served.lines
        assert not [line for line in lines if token in line]
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0


async def test_serve_demo_answers_with_the_demo_world() -> None:
    async with serving("--demo") as served:
        process, url, lines = served.process, served.url, served.lines
        assert "(demo)" in lines[-1]
        token = next(line for line in lines if line.startswith("API token (this run only)")).rsplit(": ", 1)[1]
        assert not api_token_path().exists()  # the demo leaves no token behind
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
            async with http.get(f"{url}/api/v1/exchanges/dashboard") as response:
                assert response.status == 200
            async with http.get(f"{url}/api/system/status") as response:
                status = await response.json()
            async with http.get(f"{url}/health") as response:
                assert response.status == 200
        assert status["connections"]["total"] == len(load_demo_scenario().connections)
        assert set(status["connections"]["byExchange"]) == {member.value for member in ExchangeId}
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0


async def test_serve_and_a_screen_write_to_one_database_at_once(sim: Simulator, tmp_path: Path) -> None:
    """`serve` in its own process and a second coordinator here (as the TUI runs it)."""
    key = Fernet.generate_key().decode()
    db = tmp_path / "shared.db"
    await seeded_store(sim, db, key)
    account = sim.account("binance", "main")
    draft = {"exchange": "binance", "api_type": "spot", "api_key": account.api_key,
             "api_secret": account.secret, "base_url": sim.base_url("binance")}
    env = {"CTS_MASTER_KEY": key, "CTS_API_TOKEN": TOKEN}
    async with serving("--db", str(db), env=env) as served:
        process, url = served.process, served.url
        async with (
            open_runtime(Config(), db, master_key=key) as screen,
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http,
        ):
            seeded = screen.coordinator.get_all_connections()[0].id
            statuses: list[int] = []

            async def rest_side() -> None:
                for i in range(6):
                    async with http.post(f"{url}/api/settings/connections", json={**draft, "name": f"rest-{i}"}) as r:
                        statuses.append(r.status)
                        created = (await r.json())["connection"]["id"]
                    async with http.delete(f"{url}/api/settings/connections/{created}") as r:
                        statuses.append(r.status)

            async def screen_side() -> None:
                for i in range(6):
                    await screen.coordinator.update_connection(seeded, ConnectionPatch(tags=[f"t{i}"]), "tui")
                    await screen.coordinator.test_connection(seeded)

            await asyncio.gather(rest_side(), screen_side())
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    assert statuses == [201, 200] * 6
    assert b"locked" not in served.errors
