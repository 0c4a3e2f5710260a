"""`cts-tui config check|path|defaults` in-process."""

from __future__ import annotations

import json
from pathlib import Path

from cts_tui.config import Config, parse_config_text

from .helpers import one_line_error

SHIPPED = Path(__file__).resolve().parents[2] / "configs" / "cts.yaml"


def test_check_valid_file(cli, tmp_path):
    path = tmp_path / "cts.yaml"
    path.write_text("health:\n  interval_s: 60\n")
    outcome = cli("config", "check", str(path))
    assert (outcome.code, outcome.out.strip()) == (0, f"{path}: ok")


def test_check_without_a_user_file_says_defaults_apply(cli):
    outcome = cli("config", "check")
    assert outcome.code == 0 and "the defaults apply" in outcome.out


def test_check_uses_global_config_option(cli, tmp_path):
    path = tmp_path / "chosen.yaml"
    path.write_text("api:\n  port: 9000\n")
    outcome = cli("--config", str(path), "config", "check")
    assert outcome.code == 0 and str(path) in outcome.out


def test_check_yaml_syntax_error_names_file_and_line(cli, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("health:\n  interval_s: 60\n  timeout_s: [1, 2\nui: {}\n")
    line = one_line_error(cli("config", "check", str(path)))
    assert str(path) in line and "line 4" in line


def test_check_unknown_key_names_its_path(cli, tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("health:\n  intervl_s: 60\n")
    line = one_line_error(cli("config", "check", str(path)))
    assert f"{path}: health.intervl_s: unknown key" in line


def test_check_missing_explicit_file_is_exit_2(cli, tmp_path):
    missing = tmp_path / "nope.yaml"
    assert "not found" in one_line_error(cli("config", "check", str(missing)))


def test_path_lists_every_file(cli, tmp_path):
    outcome = cli("--db", str(tmp_path / "x.db"), "config", "path", "--json")
    assert outcome.code == 0
    where = json.loads(outcome.out)
    assert set(where) == {"config", "database", "master_key", "api_token"}
    assert where["database"] == {"path": str(tmp_path / "x.db"), "exists": False, "note": None}
    text = cli("config", "path")
    assert text.code == 0 and "master_key:" in text.out


def test_path_notes_an_env_master_key(cli, monkeypatch):
    monkeypatch.setenv("CTS_MASTER_KEY", "x")
    where = json.loads(cli("config", "path", "--json").out)
    assert where["master_key"]["note"] == "overridden by env CTS_MASTER_KEY"


def test_defaults_print_the_commented_file_that_parses_back_to_the_defaults(cli, monkeypatch):
    monkeypatch.delenv("CTS_API_TOKEN", raising=False)
    outcome = cli("config", "defaults")
    assert outcome.code == 0
    assert outcome.out == SHIPPED.read_text()
    assert outcome.out.startswith("# cts-tui configuration")
    assert parse_config_text(outcome.out, "defaults") == Config()
