"""What the TUI remembers between runs: theme, refresh interval, each table's sort and hidden
columns, in a small JSON file in the user's state directory (``paths.preferences_path``).

A preference is a habit, not configuration: it wins over the config's ``ui`` defaults at start,
and a file that cannot be read or parsed is set aside with a log line (the defaults apply), never
a reason not to start. Writes replace the file whole, so a crash never leaves half of it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)

MAX_BYTES = 64 * 1024


class TableSort(BaseModel):
    column: str
    reverse: bool = False


class Preferences(BaseModel):
    model_config = ConfigDict(extra="ignore")

    theme: str | None = None
    refresh_interval_s: float | None = Field(default=None, gt=0)
    sort: dict[str, TableSort] = Field(default_factory=dict)
    """Per table id."""
    hidden_columns: dict[str, list[str]] = Field(default_factory=dict)
    """Per table id: the column keys the user hid."""


def load(path: Path) -> Preferences:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return Preferences()
    except OSError as exc:
        log.warning("preferences not read from %s (%s): defaults apply", path, exc.__class__.__name__)
        return Preferences()
    try:
        if len(data) > MAX_BYTES:
            raise ValueError("too large")
        return Preferences.model_validate_json(data)
    except (ValidationError, ValueError) as exc:
        log.warning("preferences in %s not understood (%s): defaults apply", path, exc.__class__.__name__)
        return Preferences()


def save(path: Path, preferences: Preferences) -> None:
    """Replace the file whole (written beside it, then renamed); a failure is logged, not raised:
    losing a habit must not interrupt the user."""
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        staging.write_text(preferences.model_dump_json(indent=2, exclude_defaults=True), encoding="utf-8")
        staging.replace(path)
    except OSError as exc:
        log.warning("preferences not saved to %s (%s)", path, exc.__class__.__name__)
        staging.unlink(missing_ok=True)
