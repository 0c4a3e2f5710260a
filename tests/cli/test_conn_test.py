"""``cts-tui conn test`` as a real subprocess against the simulator running in the test's loop."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from cts_tui.store import ConnectionStore
from tests.sim_hosts import twin


async def _cts(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cts_tui", *argv,
        env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
def cts_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["CTS_DB"] = str(tmp_path / "conn.db")
    return env


async def _add(env: dict[str, str], sim, name: str, exchange: str, api_type: str, *, secret=None) -> None:
    account = sim.accounts(exchange)[0]
    values = {
        "CTS_API_KEY": account.api_key,
        "CTS_API_SECRET": secret or account.secret,
        "CTS_API_PASSPHRASE": account.passphrase or "",
    }
    code, _, err = await _cts(
        {**env, **values}, "conn", "add", "--name", name, "--exchange", exchange,
        "--api-type", api_type, "--base-url", twin(sim, exchange, api_type, account.passphrase),
    )
    assert code == 0, err


async def test_all_pass_exits_zero_and_json_has_the_batch_shape(sim, cts_env) -> None:
    await _add(cts_env, sim, "bin", "binance", "spot")
    await _add(cts_env, sim, "okx", "okx", "perpetual_futures")
    code, out, err = await _cts(cts_env, "conn", "test", "--all", "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["success"] is True
    assert (body["totalConnections"], body["successful"], body["failed"]) == (2, 2, 0)
    assert all(r["success"] and r["balance"] > 0 for r in body["results"].values())
    assert isinstance(body["duration"], int)


async def test_a_failure_exits_one_and_names_the_kind_without_the_secret(sim, cts_env) -> None:
    wrong = "WrongSecretWrongSecret0123456789"
    await _add(cts_env, sim, "good", "bybit", "unified")
    await _add(cts_env, sim, "bad", "bybit", "unified", secret=wrong)
    code, out, err = await _cts(cts_env, "conn", "test", "good", "bad")
    assert code == 1
    lines = {line.split()[1]: line for line in out.splitlines()[1:-1]}
    assert " ok " in lines["good"]
    assert "FAIL (auth)" in lines["bad"]
    assert out.splitlines()[-1].startswith("1/2 passed")
    assert wrong not in out + err


async def test_unknown_connection_is_a_one_line_error(cts_env) -> None:
    async with await ConnectionStore.open(cts_env["CTS_DB"]):  # conn test creates no store
        pass
    code, out, err = await _cts(cts_env, "conn", "test", "nope")
    assert code == 2
    assert err.strip().count("\n") == 0 and "nope" in err and "Traceback" not in err
