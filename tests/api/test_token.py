"""Where the API token comes from, and that a generated one is private and stable."""

from __future__ import annotations

import stat

import pytest

from cts_tui.api.token import resolve_api_token
from cts_tui.config import Config
from cts_tui.errors import ConfigError, scrub
from cts_tui.paths import api_token_path


def test_first_run_generates_a_private_token_and_reuses_it() -> None:
    first = resolve_api_token(Config())
    assert first.created and first.path == api_token_path()
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600
    assert len(first.value) >= 32
    second = resolve_api_token(Config())
    assert not second.created and second.source == "file" and second.value == first.value


def test_config_wins_over_env_and_env_over_file(monkeypatch: pytest.MonkeyPatch) -> None:
    resolve_api_token(Config())  # a file exists
    monkeypatch.setenv("CTS_API_TOKEN", "env-token-0123456789")
    assert resolve_api_token(Config()).value == "env-token-0123456789"
    config = Config.model_validate({"api": {"token": "config-token-0123456789"}})
    token = resolve_api_token(config)
    assert (token.source, token.value) == ("config", "config-token-0123456789")


def test_a_short_token_is_refused_naming_where_it_came_from(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTS_API_TOKEN", "short")
    with pytest.raises(ConfigError, match="CTS_API_TOKEN"):
        resolve_api_token(Config())


def test_the_token_never_shows_in_a_repr_or_in_scrubbed_text() -> None:
    token = resolve_api_token(Config())
    assert token.value not in repr(token)
    assert token.value not in scrub(f"request with {token.value} failed")


def test_an_ephemeral_token_leaves_no_file() -> None:
    token = resolve_api_token(Config(), ephemeral=True)
    assert token.created and token.path is None and len(token.value) >= 32
    assert not api_token_path().exists()
    assert resolve_api_token(Config(), ephemeral=True).value != token.value
