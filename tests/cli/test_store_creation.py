"""Which commands create a store: ``conn add``, and the app or ``serve`` on a first run at the
default location. The others find no store, say so in one line (exit 2) and create nothing, not
even a directory or a key file."""

from __future__ import annotations

import argparse

import pytest

from cts_tui import paths
from cts_tui.cli.context import db_path_from_args
from cts_tui.errors import StoreError

from .helpers import add, names, one_line_error


@pytest.mark.parametrize(
    "argv",
    [
        ["conn", "list"],
        ["conn", "test", "main"],
        ["conn", "rm", "main"],
        ["conn", "enable", "main"],
        ["conn", "disable", "main"],
        ["keys", "rotate"],
        [],  # the app, on an explicit --db
    ],
    ids=lambda argv: " ".join(argv) or "tui",
)
def test_commands_that_read_create_no_store_nor_its_directories(cli, tmp_path, argv):
    missing = tmp_path / "typo" / "deeper" / "store.db"
    line = one_line_error(cli("--db", str(missing), *argv))
    assert line == f"cts-tui: no store at {missing} (cts-tui conn add creates one)"
    assert not (tmp_path / "typo").exists()
    assert not paths.master_key_path().exists()


def test_cts_db_counts_as_explicit_and_the_default_path_is_not_created_by_a_read(cli, tmp_path, monkeypatch):
    assert "no store at" in one_line_error(cli("conn", "list"))
    assert not paths.data_dir().exists()
    monkeypatch.setenv("CTS_DB", str(tmp_path / "env.db"))
    assert f"no store at {tmp_path / 'env.db'}" in one_line_error(cli("conn", "list"))
    assert not (tmp_path / "env.db").exists()


def test_only_a_first_run_on_the_default_path_may_create_it(tmp_path, monkeypatch):
    default = argparse.Namespace(db=None)
    assert db_path_from_args(default, "first-run") == paths.default_db_path()
    with pytest.raises(StoreError, match="no store at"):
        db_path_from_args(argparse.Namespace(db=tmp_path / "x.db"), "first-run")
    monkeypatch.setenv("CTS_DB", str(tmp_path / "x.db"))
    with pytest.raises(StoreError, match="no store at"):
        db_path_from_args(default, "first-run")
    assert db_path_from_args(default, "create") == tmp_path / "x.db"


def test_conn_add_creates_it_wherever_it_is_named(cli, api_env, tmp_path):
    db = tmp_path / "new" / "store.db"
    assert add(cli, "m", db=db).code == 0
    assert names(cli, db) == ["m"]
