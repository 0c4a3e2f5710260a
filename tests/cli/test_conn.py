"""`cts-tui conn ...` in-process: exit codes, one-line errors, masked keys, JSON output."""

from __future__ import annotations

import argparse
import asyncio
import json

import pytest

from cts_tui import paths
from cts_tui.cli.context import open_store
from cts_tui.models import ConnectionState
from cts_tui.store import ConnectionStore

from tests.store.helpers import damage

from .helpers import add, one_line_error


def test_add_then_list_shows_the_key_masked(cli, api_env):
    added = add(cli, "main")
    assert added.code == 0, added.err
    created = json.loads(added.out)
    assert created["name"] == "main" and created["state"] == "testing"

    table = cli("conn", "list")
    assert table.code == 0
    assert "main" in table.out and "CliK…6789" in table.out
    as_json = cli("conn", "list", "--json")
    [row] = json.loads(as_json.out)
    assert row["id"] == created["id"] and row["api_key"] == "CliK…6789"
    for outcome in (added, table, as_json):
        for secret in api_env.values():
            assert secret not in outcome.out + outcome.err


def test_list_filters(cli, api_env):
    add(cli, "a")
    add(cli, "b", "--disabled")
    cli("conn", "add", "--name", "c", "--exchange", "binance", "--api-type", "spot")

    def names(*flags: str) -> list[str]:
        outcome = cli("conn", "list", "--json", *flags)
        assert outcome.code == 0, outcome.err
        return [c["name"] for c in json.loads(outcome.out)]

    assert names() == ["a", "b", "c"]
    assert names("--exchange", "bybit") == ["a", "b"]
    assert names("--api-type", "spot") == ["c"]
    assert names("--disabled") == ["b"]
    assert names("--enabled", "--exchange", "bybit") == ["a"]
    assert names("--active") == []
    assert names("--inactive") == ["a", "b", "c"]


def test_store_location_from_env(cli, api_env, tmp_path, monkeypatch):
    chosen = tmp_path / "from-env.db"
    monkeypatch.setenv("CTS_DB", str(chosen))
    assert add(cli, "main").code == 0
    assert chosen.exists()
    assert json.loads(cli("--db", str(chosen), "conn", "list", "--json").out)[0]["name"] == "main"


def test_empty_list_says_so_on_stderr_and_succeeds(cli, empty_store):
    outcome = cli("conn", "list")
    assert (outcome.code, outcome.out, outcome.err.strip()) == (0, "", "no connections")
    assert json.loads(cli("conn", "list", "--json").out) == []


def test_enable_disable_rm_by_id_and_by_name(cli, api_env):
    created = json.loads(add(cli, "main", "--disabled").out)
    enabled = cli("conn", "enable", created["id"], "--json")
    assert enabled.code == 0 and json.loads(enabled.out)["state"] == "testing"
    again = cli("conn", "enable", "main")
    assert again.code == 0 and "already enabled" in again.out
    disabled = cli("conn", "disable", "main")
    assert disabled.code == 0 and "state disabled" in disabled.out
    removed = cli("conn", "rm", "main")
    assert removed.code == 0 and created["id"] in removed.out
    assert json.loads(cli("conn", "list", "--json").out) == []


def test_pause_and_resume_follow_the_lifecycle(cli, api_env):
    created = json.loads(add(cli, "main").out)  # testing: not yet tested, so not pausable
    refused = one_line_error(cli("conn", "pause", "main"))
    assert "cannot pause a connection that is testing" in refused

    async def tested_ok() -> None:  # what a running coordinator's test would record
        async with await ConnectionStore.open(paths.default_db_path()) as store:
            await store.set_state(created["id"], ConnectionState.ACTIVE, source="system")

    asyncio.run(tested_ok())
    paused = cli("conn", "pause", "main", "--json")
    assert paused.code == 0 and json.loads(paused.out)["state"] == "paused"
    resumed = cli("conn", "resume", created["id"])
    assert resumed.code == 0 and "state active" in resumed.out
    assert "cannot resume a connection that is active" in one_line_error(cli("conn", "resume", "main"))


@pytest.mark.parametrize("action", ["rm", "enable", "disable", "pause", "resume"])
def test_unknown_connection_is_exit_2(cli, empty_store, action):
    line = one_line_error(cli("conn", action, "ghost"))
    assert "no connection with id or name 'ghost'" in line


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--exchange", "okx", "--api-type", "unified"], "okx has no unified API (it supports: spot"),
        (["--exchange", "kraken", "--api-type", "spot", "--testnet"], "kraken has no testnet"),
        (["--exchange", "bybit", "--api-type", "spot", "--margin-type", "cross"], "derivatives only"),
        (["--exchange", "bybit", "--api-type", "spot", "--base-url", "http://example.com"], "https"),
        (["--exchange", "bybit", "--api-type", "spot", "--weight", "-1"], "weight"),
        (["--exchange", "mtgox", "--api-type", "spot"], "invalid choice"),
    ],
)
def test_bad_connection_is_exit_2_and_nothing_is_stored(cli, api_env, argv, expected):
    line = one_line_error(cli("conn", "add", "--name", "x", *argv))
    assert expected in line
    assert not paths.default_db_path().exists()


def test_duplicate_name_is_exit_2(cli, api_env):
    add(cli, "main")
    assert "already exists" in one_line_error(add(cli, "main"))


def test_impossible_connection_is_refused_before_asking_for_secrets(cli):
    """No secrets in the environment and no terminal: the refusal is about the connection."""
    for argv, expected in (
        (["--exchange", "pionex", "--api-type", "margin"], "pionex has no margin API"),
        (["--exchange", "bybit", "--api-type", "spot", "--base-url", "http://10.0.0.1"], "https"),
    ):
        assert expected in one_line_error(cli("conn", "add", "--name", "x", *argv))


def test_missing_secret_without_a_terminal_is_exit_2(cli, monkeypatch):
    monkeypatch.setenv("CTS_API_KEY", "OnlyTheKey123456")
    line = one_line_error(cli("conn", "add", "--name", "x", "--exchange", "bybit", "--api-type", "spot"))
    assert "API secret missing: set CTS_API_SECRET" in line


def test_okx_needs_a_passphrase_and_binance_refuses_one(cli, api_env, monkeypatch):
    okx = ["conn", "add", "--name", "o", "--exchange", "okx", "--api-type", "spot"]
    assert "CTS_API_PASSPHRASE" in one_line_error(cli(*okx))
    monkeypatch.setenv("CTS_API_PASSPHRASE", "okx-pass-phrase")
    assert cli(*okx).code == 0
    binance = cli("conn", "add", "--name", "b", "--exchange", "binance", "--api-type", "spot")
    assert "binance keys have no passphrase" in one_line_error(binance)


def test_secrets_are_never_taken_from_argv_nor_echoed(cli, api_env):
    line = one_line_error(
        cli("conn", "add", "--name", "x", "--exchange", "bybit", "--api-type", "spot", "--api-key", "ArgvSecret123")
    )
    assert "--api-key" in line and "ArgvSecret123" not in line


def test_conn_without_action_is_a_usage_error(cli):
    assert "ACTION" in one_line_error(cli("conn"))


def test_foreign_db_file_is_exit_2_naming_it(cli, tmp_path):
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a database\n")
    line = one_line_error(cli("--db", str(foreign), "conn", "list"))
    assert str(foreign) in line and "not an SQLite database" in line
    assert foreign.read_text() == "not a database\n"


def test_wrong_master_key_is_exit_2(cli, api_env, monkeypatch):
    add(cli, "main")
    monkeypatch.setenv("CTS_MASTER_KEY", "A" * 43 + "=")
    assert "does not open store" in one_line_error(cli("conn", "list"))


async def test_store_keeps_as_many_results_as_the_config_says(tmp_path):
    config = tmp_path / "cts.yaml"
    config.write_text("store:\n  results_kept: 7\n")
    async with await open_store(argparse.Namespace(config=config, db=tmp_path / "x.db"), use="create") as store:
        assert store.results_kept == 7


def test_edit_renames_and_reweighs_and_needs_something_to_change(cli, api_env):
    add(cli, "main")
    edited = cli("conn", "edit", "main", "--name", "renamed", "--weight", "7", "--json")
    assert edited.code == 0, edited.err
    assert (json.loads(edited.out)["name"], json.loads(edited.out)["weight"]) == ("renamed", 7)
    assert "nothing to change" in one_line_error(cli("conn", "edit", "renamed"))


def test_an_unreadable_connection_takes_its_keys_again_from_the_environment(cli, api_env, monkeypatch):
    connection_id = json.loads(add(cli, "main").out)["id"]
    damage(paths.default_db_path(), connection_id)
    listed = cli("conn", "list")
    assert "unreadable" in listed.out and "conn edit ID --keys" in listed.err
    assert "enter its API key and secret again" in one_line_error(cli("conn", "edit", "main", "--weight", "3"))
    monkeypatch.setenv("CTS_API_KEY", "FreshKeyFreshKey0123456789")
    monkeypatch.setenv("CTS_API_SECRET", "FreshSecretFreshSecret0123456789")
    edited = cli("conn", "edit", "main", "--keys")
    assert edited.code == 0, edited.err
    assert edited.out.strip() == f"edited {connection_id} (main): keys"
    [row] = json.loads(cli("conn", "list", "--json").out)
    assert (row["id"], row["api_key"], row["state"]) == (connection_id, "Fres…6789", "testing")
    assert "FreshSecret" not in edited.out + edited.err
