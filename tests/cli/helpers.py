"""Shared checks of CLI outcomes."""

from __future__ import annotations


def one_line_error(outcome, code: int = 2) -> str:
    assert outcome.code == code, outcome
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cts-tui: "), outcome.err
    assert "Traceback" not in outcome.err
    return lines[0]


def add(cli, name: str, *extra: str):
    return cli("conn", "add", "--name", name, "--exchange", "bybit", "--api-type", "unified", "--json", *extra)
