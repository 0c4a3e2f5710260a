"""``cts-tui conn test --all`` skips disabled connections (listed, never failed) and names every
connection in its output. Run in-process, in the test's loop, against the simulator: the store is
filled the way ``conn add`` fills it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cts_tui.cli.main import build_parser
from cts_tui.models import Connection, ConnectionDraft
from cts_tui.store import ConnectionStore


async def _add(db: Path, sim, name: str, exchange: str, *, enabled: bool = True, secret: str | None = None) -> str:
    account = sim.account(exchange, "main")
    draft = ConnectionDraft(
        name=name, exchange=exchange, api_type="spot", api_key=account.api_key,
        api_secret=secret or account.secret, api_passphrase=account.passphrase,
        base_url=sim.base_url(exchange), enabled=enabled,
    )
    async with await ConnectionStore.open(db) as store:
        return (await store.add(Connection.from_draft(draft), source="cli")).id


async def _conn_test(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    args = build_parser().parse_args(["--db", str(db), "conn", "test", *argv])
    capsys.readouterr()
    code = await args.func(args)
    return code, capsys.readouterr().out


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "conn.db"


async def test_all_skips_disabled_connections_and_json_names_everyone(sim, db, capsys) -> None:
    live = await _add(db, sim, "live-one", "binance")
    off = await _add(db, sim, "switched-off", "binance", enabled=False, secret="WrongSecretWrongSecret0123456789")
    code, out = await _conn_test(db, capsys, "--all", "--json")
    assert code == 0  # the disabled one, whose key is wrong, was not tested
    body = json.loads(out)
    assert (body["success"], body["totalConnections"], body["successful"], body["failed"]) == (True, 1, 1, 0)
    assert list(body["results"]) == [live]
    assert body["results"][live]["success"] is True and body["results"][live]["name"] == "live-one"
    assert body["skipped"] == [{"id": off, "name": "switched-off", "reason": "disabled"}]


async def test_all_lists_the_skipped_in_the_table_and_the_total(sim, db, capsys) -> None:
    await _add(db, sim, "live-one", "binance")
    await _add(db, sim, "switched-off", "binance", enabled=False)
    code, out = await _conn_test(db, capsys, "--all")
    assert code == 0
    lines = {line.split()[1]: line for line in out.splitlines()[1:-1]}
    assert " ok " in lines["live-one"]
    assert "skipped (disabled)" in lines["switched-off"] and "FAIL" not in lines["switched-off"]
    assert out.splitlines()[-1].startswith("1/1 passed in ") and out.splitlines()[-1].endswith(", 1 skipped (disabled)")


async def test_a_disabled_connection_named_on_its_own_is_tested(sim, db, capsys) -> None:
    off = await _add(db, sim, "switched-off", "binance", enabled=False)
    code, out = await _conn_test(db, capsys, "switched-off", "--json")
    assert code == 0
    body = json.loads(out)
    assert body["results"][off]["success"] is True and body["results"][off]["name"] == "switched-off"
    assert body["skipped"] == []
