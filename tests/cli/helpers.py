"""Shared checks of CLI outcomes."""

from __future__ import annotations

import json
from pathlib import Path


def one_line_error(outcome, code: int = 2) -> str:
    assert outcome.code == code, outcome
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cts-tui: "), outcome.err
    assert "Traceback" not in outcome.err
    return lines[0]


def add(cli, name: str, *extra: str, db: Path | None = None):
    where = ("--db", str(db)) if db is not None else ()
    return cli(*where, "conn", "add", "--name", name, "--exchange", "bybit", "--api-type", "unified", "--json", *extra)


def names(cli, db: Path) -> list[str]:
    """The names of the connections in store ``db``, listed through the CLI."""
    listed = cli("--db", str(db), "conn", "list", "--json")
    assert listed.code == 0, listed.err
    return [c["name"] for c in json.loads(listed.out)]
