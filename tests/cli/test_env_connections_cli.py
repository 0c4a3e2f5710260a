"""The CLI shows connections from the specification's variables as "env" and will not change
them: they live in the environment, not in the store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from cts_tui.store import ConnectionStore

KEY, SECRET = "EnvBinanceKey0123456789", "EnvBinanceSecret0123456789"


async def _create(db: Path) -> None:
    async with await ConnectionStore.open(db):
        pass


def test_the_cli_lists_them_as_env_and_refuses_to_change_them(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("BINANCE_API_KEY", KEY)
    monkeypatch.setenv("BINANCE_API_SECRET", SECRET)
    db = tmp_path / "store.db"
    asyncio.run(_create(db))
    listed = cli("--db", str(db), "conn", "list", "--json")
    assert listed.code == 0, listed.err
    rows = json.loads(listed.out)
    assert [(r["id"], r["origin"], r["state"]) for r in rows] == [("env-binance", "env", "testing")]
    assert KEY not in listed.out and SECRET not in listed.out
    assert "binance (env)" in cli("--db", str(db), "conn", "list", "--exchange", "binance").out
    for argv in (("rm", "binance (env)"), ("disable", "env-binance")):
        refused = cli("--db", str(db), "conn", *argv)
        assert refused.code == 2 and "env-binance comes from the config or the environment" in refused.err
    assert KEY.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))


def test_huobi_names_htx_on_the_command_line(cli, api_env, tmp_path):
    db = tmp_path / "store.db"
    added = cli("--db", str(db), "conn", "add", "--name", "h", "--exchange", "huobi", "--api-type", "spot",
                "--disabled", "--json")
    assert added.code == 0, added.err
    assert json.loads(added.out)["exchange"] == "htx"
    listed = cli("--db", str(db), "conn", "list", "--exchange", "Huobi", "--json")
    assert [row["name"] for row in json.loads(listed.out)] == ["h"]
