"""Running the CLI in-process through ``cli.main.main(argv)``, as the console script does."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cts_tui import paths
from cts_tui.cli.main import main
from cts_tui.store import ConnectionStore


@dataclass
class Outcome:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Outcome]:
    """``cli("conn", "list")`` -> exit code, stdout, stderr. stdin is not a terminal, so no
    prompt can wait for input."""

    def run(*argv: str) -> Outcome:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


@pytest.fixture
def api_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {"CTS_API_KEY": "CliKeyCliKey0123456789", "CTS_API_SECRET": "CliSecretCliSecret0123456789"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
async def empty_store() -> Path:
    """A store with no connections at the default location (read-only commands create none)."""
    async with await ConnectionStore.open(paths.default_db_path()) as store:
        return store.path
