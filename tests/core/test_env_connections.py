"""Connections from the specification's variables: in memory beside the store, tested and used
like the others, read-only, and their secrets never in the store file (WAL included), the logs
or a REST answer."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import aiohttp
import pytest

from cts_tui.api.app import create_app
from cts_tui.api.server import ApiServer
from cts_tui.api.state import ApiState
from cts_tui.config import load_config
from cts_tui.core.runtime import open_runtime
from cts_tui.errors import ReadOnlyError
from cts_tui.models import Connection, ConnectionDraft, ConnectionPatch, ConnectionState
from cts_tui.store import ConnectionStore
from cts_tui.store.env_connections import env_connections

TOKEN = "env-test-token-0123456789"


@pytest.fixture
def binance_from_env(sim, monkeypatch, tmp_path) -> tuple[str, str, Path]:
    """The specification's variables hold the simulator's Binance key; the config (found through
    the specification's CONFIG_PATH) points Binance at the simulator."""
    account = sim.account("binance")
    monkeypatch.setenv("BINANCE_API_KEY", account.api_key)
    monkeypatch.setenv("BINANCE_API_SECRET", account.secret)
    config = tmp_path / "exchange_manager_config.yaml"
    config.write_text(
        f"exchanges:\n  binance:\n    rate_limit: 1200\n    base_url: {sim.base_url('binance')}\n"
        "health: {interval_s: 3600}\n"
    )
    monkeypatch.setenv("CONFIG_PATH", str(config))
    return account.api_key, account.secret, tmp_path / "store.db"


def _files_of(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


async def test_an_env_connection_is_tested_used_and_never_stored(binance_from_env, caplog, sim):
    key, secret, db = binance_from_env
    caplog.set_level(logging.DEBUG)
    async with await ConnectionStore.open(db) as store:  # a store with a connection of its own
        okx = sim.account("okx")
        await store.add(Connection.from_draft(ConnectionDraft(
            name="okx-stored", exchange="okx", api_type="spot", api_key=okx.api_key, api_secret=okx.secret,
            api_passphrase=okx.passphrase, base_url=sim.base_url("okx"),
        )), source="cli")
    async with open_runtime(load_config(), db) as runtime:
        assert runtime.env_tests is not None
        await runtime.env_tests
        coordinator = runtime.coordinator
        view = coordinator.get_connection("env-binance")
        assert (view.origin, view.state, view.name) == ("env", ConnectionState.ACTIVE, "binance (env)")
        assert coordinator.get_connection_health("env-binance").last_test.success
        ticker = await coordinator.execute_request("fetch_ticker", "BTC/USDT", exchange_id="binance")
        assert ticker["symbol"] == "BTC/USDT"
        assert (await coordinator.run_health_checks(["env-binance"])) == {"env-binance": True}
        with pytest.raises(ReadOnlyError, match="env-binance comes from the config or the environment"):
            await coordinator.update_connection("env-binance", ConnectionPatch(name="renamed"), "api")
        with pytest.raises(ReadOnlyError, match="remove it there"):
            await coordinator.delete_connection("env-binance", "api")
        await coordinator.disable("env-binance", "api")  # a state of this process, not an edit
        assert coordinator.get_connection("env-binance").state is ConnectionState.DISABLED

        async with ApiServer(create_app(ApiState(runtime, TOKEN)), "127.0.0.1", 0, drain_s=1) as server:
            async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
                async with http.get(server.url + "/api/settings/connections") as response:
                    listed = await response.text()
                async with http.patch(server.url + "/api/settings/connections/env-binance",
                                      json={"name": "x"}) as response:
                    refused = (response.status, await response.json())
                async with http.get(server.url + "/api/settings/connections/health?id=env-binance") as response:
                    health = await response.text()
        answer = json.loads(listed)
        env = [c for c in answer["connections"] if c["id"] == "env-binance"]
        assert env and env[0]["origin"] == "env" and env[0]["api_key"] != key
        assert refused[0] == 409 and "read-only" in refused[1]["error"]
        for text in (listed, health, json.dumps(refused[1])):
            assert key not in text and secret not in text
        on_disk_while_open = _files_of(db)
    everything_on_disk = on_disk_while_open + _files_of(db)
    assert key.encode() not in everything_on_disk and secret.encode() not in everything_on_disk
    assert b"env-binance" not in everything_on_disk  # no row, no test result, no check, no balance
    assert key not in caplog.text and secret not in caplog.text
    async with await ConnectionStore.open(db) as store:
        assert [c.name for c in await store.list()] == ["okx-stored"]


def test_a_passphrase_the_exchange_has_no_use_for_is_ignored(monkeypatch, caplog):
    monkeypatch.setenv("BYBIT_API_KEY", "BybitKey0123456789")
    monkeypatch.setenv("BYBIT_API_SECRET", "BybitSecret0123456789")
    monkeypatch.setenv("BYBIT_PASSPHRASE", "NotUsed0123")
    (connection,) = env_connections(load_config())
    assert connection.api_passphrase is None and connection.origin == "env"
    assert "credentials.bybit.api_passphrase ignored" in caplog.text
