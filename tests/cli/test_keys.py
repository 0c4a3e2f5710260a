"""`cts-tui keys rotate` in-process."""

from __future__ import annotations

import json

from cts_tui import paths

from .helpers import add, one_line_error


def test_rotate_says_where_the_new_key_is_and_the_store_still_opens(cli, api_env):
    add(cli, "main")
    old = paths.master_key_path().read_bytes()
    outcome = cli("keys", "rotate")
    assert outcome.code == 0, outcome.err
    assert f"the new master key is in {paths.master_key_path()}" in outcome.out
    assert "re-encrypted 1 connection(s)" in outcome.out
    assert paths.master_key_path().read_bytes() != old
    listed = cli("conn", "list", "--json")
    assert listed.code == 0 and json.loads(listed.out)[0]["name"] == "main"


def test_rotate_json(cli, api_env, tmp_path):
    db = str(tmp_path / "other.db")
    cli("--db", db, "conn", "add", "--name", "m", "--exchange", "bybit", "--api-type", "spot")
    report = json.loads(cli("--db", db, "keys", "rotate", "--json").out)
    assert report == {
        "store": db,
        "connections": 1,
        "new_key_path": str(paths.master_key_path()),
        "old_key_source": f"key file {paths.master_key_path()}",
    }


def test_rotate_with_a_wrong_key_is_exit_2_and_changes_nothing(cli, api_env, monkeypatch):
    add(cli, "main")
    before = paths.master_key_path().read_bytes()
    monkeypatch.setenv("CTS_MASTER_KEY", "B" * 43 + "=")
    monkeypatch.delenv("CTS_API_KEY")
    line = one_line_error(cli("keys", "rotate", "--key-out", str(paths.config_dir() / "fresh.key")))
    assert "does not open store" in line
    assert paths.master_key_path().read_bytes() == before
    assert not (paths.config_dir() / "fresh.key").exists()
