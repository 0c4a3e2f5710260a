"""Where cts-tui keeps its files (platformdirs), each overridable from the environment."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs

APP = "cts-tui"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


def state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP))


def preferences_path() -> Path:
    """What the TUI remembers of how it was last used (theme, refresh interval, sort, columns):
    a user's habits, kept apart from the configuration a team may share."""
    return state_dir() / "tui.json"


def default_db_path() -> Path:
    return Path(os.environ["CTS_DB"]) if os.environ.get("CTS_DB") else data_dir() / "connections.db"


CONFIG_PATH_VARIABLES = ("CTS_CONFIG", "CONFIG_PATH")
"""Where the environment names the config file: ours first, then the specification's."""


def config_path_named() -> bool:
    """Whether the environment names a config file (which then must exist)."""
    return any(os.environ.get(name) for name in CONFIG_PATH_VARIABLES)


def default_config_path() -> Path:
    for name in CONFIG_PATH_VARIABLES:
        if os.environ.get(name):
            return Path(os.environ[name])
    return config_dir() / "cts.yaml"


def master_key_path() -> Path:
    return config_dir() / "master.key"


def api_token_path() -> Path:
    return config_dir() / "api.token"


def create_private_file(path: Path, content: bytes) -> None:
    """Write ``content`` to a new file that only its owner can read (mode 0600 from the start)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


@contextmanager
def staged_private_file(path: Path, content: bytes) -> Iterator[Path]:
    """A private file beside ``path`` holding ``content``, on disk (synced) before the caller
    links or renames it into place, so that no reader and no crash ever sees half of it. Whatever
    the caller did not move is removed afterwards."""
    staging = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    create_private_file(staging, content)
    try:
        fd = os.open(staging, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        yield staging
    finally:
        staging.unlink(missing_ok=True)


def sync_directory(directory: Path) -> None:
    """Make a rename or link in ``directory`` survive a power cut, not only a crash."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
