"""Suite-wide isolation: no test reads or writes the user's real config, data or keys."""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import settings

# Bytecode is cached even where the machine says not to (PYTHONDONTWRITEBYTECODE=1 on ours):
# four workers and about fifty CLI and server processes would each compile the package, and
# pytest would rewrite every test module in every worker, from source. Cached, `cts-tui
# --version` starts in 0.31 s instead of 0.56 s and a worker collects in 3.8 s instead of 5.2 s.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# The same examples every run: a suite that finds a new input on its own, in CI, is not
# deterministic. Exploration happens when someone runs with --hypothesis-profile=explore.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", max_examples=1000)
settings.load_profile("deterministic")


def spec_variables() -> list[str]:
    """The specification's variables that cts-tui reads (``spec_config``)."""
    from cts_tui.capabilities import exchange_names
    from cts_tui.spec_config import ENV_SUFFIXES

    keys = [name.upper() + suffix for name in exchange_names() for suffix in ENV_SUFFIXES.values()]
    return [*keys, "REDIS_HOST", "REDIS_PORT", "CONFIG_PATH"]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for var in ("CTS_DB", "CTS_CONFIG", "CTS_MASTER_KEY", "CTS_API_KEY", "CTS_API_SECRET",
                "CTS_API_PASSPHRASE", "CTS_API_TOKEN", "NO_COLOR", *spec_variables()):
        monkeypatch.delenv(var, raising=False)
    return home


# --- a real redis-server for the tests that share state through Redis -------------------------

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

from tests.redis_server import RedisServer  # noqa: E402


@pytest.fixture
def redis_server(tmp_path: Path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server binary not found on PATH (install the redis-server package)")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.shutdown()


# --- the exchange simulator, for any test that needs exchanges to talk to --------------------


@pytest.fixture
async def sim():
    """A started exchange simulator with the default scenario (all exchanges, demo accounts)."""
    from cts_tui.sim import Simulator

    async with Simulator() as simulator:
        yield simulator


@pytest.fixture
def sim_key(sim):
    """``sim_key(exchange, account="main", **fields)`` changes a simulated key's permissions,
    ``ip_whitelist`` or ``expires_at_ms`` for one test; everything is put back afterwards, so a
    simulator shared between tests keeps its scenario's keys."""
    changed = []

    def set_key(exchange: str, account: str = "main", **fields):
        acct = sim.account(exchange, account)
        changed.append((acct, {name: getattr(acct, name) for name in fields}))
        for name, value in fields.items():
            setattr(acct, name, value)
        return acct

    yield set_key
    for acct, before in reversed(changed):
        for name, value in before.items():
            setattr(acct, name, value)
