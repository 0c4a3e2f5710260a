"""The bearer token that guards the REST API.

Resolved from, in order: the config's ``api.token``, env ``CTS_API_TOKEN``, the token file. When
none exists a random token is generated and written to the token file with mode 0600, and the
caller is told it was created so it can print it exactly once.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cts_tui.config import Config
from cts_tui.errors import ConfigError, register_secret
from cts_tui.paths import api_token_path, create_private_file

_MIN_TOKEN_LEN = 16


@dataclass(frozen=True)
class ApiToken:
    value: str
    source: str  # "config", "env", "file", "generated" (and stored) or "ephemeral" (not stored)
    path: Path | None = None

    def __repr__(self) -> str:  # the value never shows up in a repr or a log line
        return f"ApiToken(source={self.source!r}, path={self.path})"

    @property
    def created(self) -> bool:
        """New this run: the caller prints it, once."""
        return self.source in ("generated", "ephemeral")


def _checked(value: str, where: str) -> str:
    value = value.strip()
    if len(value) < _MIN_TOKEN_LEN or any(c.isspace() for c in value):
        raise ConfigError(f"{where}: the API token must be at least {_MIN_TOKEN_LEN} characters, no spaces")
    register_secret(value)
    return value


def resolve_api_token(config: Config, path: Path | None = None, *, ephemeral: bool = False) -> ApiToken:
    """The token to require; generates and stores one on first run. ``ephemeral`` (the demo):
    a token made for this run only, leaving no file behind."""
    if config.api.token:
        return ApiToken(_checked(config.api.token, "api.token"), "config")
    if os.environ.get("CTS_API_TOKEN"):
        return ApiToken(_checked(os.environ["CTS_API_TOKEN"], "CTS_API_TOKEN"), "env")
    if ephemeral:
        value = secrets.token_urlsafe(32)
        register_secret(value)
        return ApiToken(value, "ephemeral")
    target = path or api_token_path()
    if target.exists():
        try:
            text = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{target}: cannot read the API token ({exc.__class__.__name__})") from None
        return ApiToken(_checked(text, str(target)), "file", target)
    value = secrets.token_urlsafe(32)
    try:
        create_private_file(target, (value + "\n").encode())
    except FileExistsError:  # another process won the race: use its token
        return resolve_api_token(config, target)
    register_secret(value)
    return ApiToken(value, "generated", target)
