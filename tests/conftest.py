"""Suite-wide isolation: no test reads or writes the user's real config, data or keys."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for var in ("CTS_DB", "CTS_CONFIG", "CTS_MASTER_KEY", "CTS_API_KEY", "CTS_API_SECRET",
                "CTS_API_PASSPHRASE", "CTS_API_TOKEN", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    return home
