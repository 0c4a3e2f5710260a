"""The YAML config: shipped defaults, key-by-key overrides, interpolation, and errors that name
the file, the key path and the line."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from cts_tui.capabilities import ExchangeId
from cts_tui.config import Config, defaults_dict, load_config, parse_config_text
from cts_tui.errors import ConfigError
from cts_tui.paths import default_config_path

SHIPPED = Path(__file__).resolve().parents[1] / "configs" / "cts.yaml"


def test_shipped_file_is_exactly_the_defaults(monkeypatch):
    monkeypatch.delenv("CTS_API_TOKEN", raising=False)
    text = SHIPPED.read_text()
    assert parse_config_text(text, str(SHIPPED)) == Config()
    assert yaml.safe_load(text) == defaults_dict()  # every default is written out, none missing


def test_specification_figures():
    config = Config()
    expected = {
        "bybit": (10, 120, 5), "binance": (10, 1200, 10), "okx": (20, 600, 10),
        "bingx": (5, 100, 3), "pionex": (5, 100, 3), "orangex": (5, 100, 3),
    }
    for exchange, figures in expected.items():
        limits = config.limits(exchange)
        assert (limits.per_second, limits.per_minute, limits.max_concurrent) == figures
    assert set(config.exchanges) == set(ExchangeId)
    assert (config.health.interval_s, config.health.timeout_s, config.health.breaker_threshold) == (300, 10, 3)
    assert (config.batch.max_concurrent, config.batch.max_per_request, config.batch.result_ttl_s) == (10, 50, 3600)
    assert (config.api.host, config.api.port) == ("127.0.0.1", 8000)


@given(
    exchange=st.sampled_from(list(ExchangeId)),
    key=st.sampled_from(["per_second", "per_minute", "max_concurrent", "timeout_ms"]),
    value=st.integers(1, 10**6),
)
def test_partial_override_changes_that_key_only(exchange, key, value):
    config = parse_config_text(f"exchanges:\n  {exchange.value}:\n    {key}: {value}\n")
    expected = defaults_dict()
    expected["exchanges"][exchange.value][key] = value
    assert config.model_dump(mode="json") == expected


@given(
    section=st.sampled_from(["health", "batch", "api", "ui", "rate_limiting", "store", "pool"]),
    key=st.from_regex(r"[a-z][a-z_]{2,15}", fullmatch=True),
)
def test_unknown_key_is_named(section, key):
    if key in defaults_dict()[section]:
        return
    with pytest.raises(ConfigError) as caught:
        parse_config_text(f"{section}:\n  {key}: 1\n", "user.yaml")
    assert f"user.yaml: {section}.{key}: unknown key" in str(caught.value)


@given(value=st.one_of(
    st.integers(max_value=0),
    st.floats(allow_nan=False).filter(lambda number: not number.is_integer()),
    st.text(alphabet=string.ascii_letters + " _-", min_size=1, max_size=5),
))
def test_invalid_value_names_the_key_path(value):
    with pytest.raises(ConfigError, match=r"f\.yaml: batch\.max_concurrent"):
        parse_config_text(yaml.safe_dump({"batch": {"max_concurrent": value}}), "f.yaml")


@given(
    interval=st.floats(1, 10_000, allow_nan=False),
    strategy=st.sampled_from(["round_robin", "weighted_round_robin", "least_latency", "least_connections", "failover"]),
    backend=st.sampled_from(["local", "redis"]),
    port=st.integers(0, 65535),
)
def test_dumped_configs_parse_back_equal(interval, strategy, backend, port):
    config = Config.model_validate(
        {
            "health": {"interval_s": interval},
            "load_balancing": {"strategy": strategy},
            "rate_limiting": {"backend": backend},
            "api": {"port": port},
        }
    )
    assert parse_config_text(yaml.safe_dump(config.model_dump(mode="json"))) == config


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("health:\n  interval_s: [1\n", 3),
        ("api:\n  host: 127.0.0.1\n   port: 1\n", 3),
        ("ui:\n\ttheme: x\n", 2),
    ],
)
def test_yaml_syntax_error_names_file_and_line(text, line):
    with pytest.raises(ConfigError) as caught:
        parse_config_text(text, "bad.yaml")
    message = str(caught.value)
    assert message.startswith("bad.yaml:") and f"line {line}," in message and "\n" not in message


def test_top_level_must_be_a_mapping():
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        parse_config_text("- a\n- b\n", "list.yaml")


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n"])
def test_an_empty_file_is_refused_not_taken_as_the_defaults(text):
    with pytest.raises(ConfigError, match=r"^empty\.yaml: the file is empty"):
        parse_config_text(text, "empty.yaml")
    assert parse_config_text("{}\n", "braces.yaml") == Config()  # "nothing changed", said explicitly


BILLION_LAUGHS = "".join(
    f"{name}: &{name} [{','.join([prev] * 9)}]\n"
    for name, prev in zip("abcdefghi", ['"lol"', "*a", "*b", "*c", "*d", "*e", "*f", "*g", "*h"], strict=True)
)


def test_nested_aliases_are_refused_at_once_with_one_line(tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS)
    assert len(BILLION_LAUGHS) < 400
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: refused") and "aliases expand" in message and "\n" not in message


def test_a_self_referring_alias_and_deep_nesting_are_refused():
    with pytest.raises(ConfigError, match="refers to itself"):
        parse_config_text("a: &a [*a]\n", "self.yaml")
    with pytest.raises(ConfigError, match="nested too deeply"):
        parse_config_text("a: " + "[" * 5000 + "]" * 5000 + "\n", "deep.yaml")


def test_a_few_aliases_still_work():
    text = "exchanges:\n  bybit: &limits {per_second: 5, per_minute: 100, max_concurrent: 2}\n  okx: *limits\n"
    config = parse_config_text(text, "anchors.yaml")
    assert config.exchanges[ExchangeId.OKX].per_second == config.exchanges[ExchangeId.BYBIT].per_second == 5


def test_a_key_given_twice_in_one_section_is_refused_with_its_line():
    text = "store:\n  lease_ttl_s: 5\n  results_kept: 3\n  lease_ttl_s: 9\n"
    with pytest.raises(ConfigError, match=r"twice.yaml: line 4, column 3: 'lease_ttl_s' is given twice"):
        parse_config_text(text, "twice.yaml")
    merged = "exchanges:\n  bybit: &limits {per_second: 5}\n  okx: {<<: *limits, per_second: 3}\n"
    assert parse_config_text(merged, "merge.yaml").exchanges[ExchangeId.OKX].per_second == 3


def test_an_oversized_file_is_refused_before_it_is_parsed(tmp_path):
    from cts_tui.config import MAX_CONFIG_BYTES

    path = tmp_path / "huge.yaml"
    path.write_text("# padding\n" * (MAX_CONFIG_BYTES // 10 + 1))
    with pytest.raises(ConfigError, match="larger than"):
        load_config(path)


def test_interpolation_from_environment(monkeypatch):
    monkeypatch.setenv("CTS_TEST_REDIS", "redis://127.0.0.1:6390/2")
    monkeypatch.delenv("CTS_TEST_UNSET", raising=False)
    config = parse_config_text(
        "rate_limiting:\n  redis_url: ${CTS_TEST_REDIS}\n  key_prefix: ${CTS_TEST_UNSET:bots}-${CTS_TEST_UNSET:}x\n"
    )
    assert config.rate_limiting.redis_url == "redis://127.0.0.1:6390/2"
    assert config.rate_limiting.key_prefix == "bots-x"


def test_interpolated_values_are_validated(monkeypatch):
    monkeypatch.setenv("CTS_TEST_PORT", "not-a-port")
    with pytest.raises(ConfigError, match="api.port"):
        parse_config_text("api:\n  port: ${CTS_TEST_PORT}\n", "env.yaml")


def test_unset_variable_without_default_names_key_and_variable(monkeypatch):
    monkeypatch.delenv("CTS_TEST_TOKEN", raising=False)
    with pytest.raises(ConfigError, match=r"t\.yaml: api\.token uses environment variable CTS_TEST_TOKEN, which is not set"):
        parse_config_text("api:\n  token: ${CTS_TEST_TOKEN}\n", "t.yaml")


def test_load_config_from_the_user_dir_env_and_explicit_path(tmp_path, monkeypatch):
    assert load_config() == Config()  # no user file: the defaults
    user = default_config_path()
    user.parent.mkdir(parents=True)
    user.write_text("ui:\n  theme: nord\n")
    assert load_config().ui.theme == "nord"
    chosen = tmp_path / "chosen.yaml"
    chosen.write_text("ui:\n  theme: gruvbox\n")
    monkeypatch.setenv("CTS_CONFIG", str(chosen))
    assert load_config().ui.theme == "gruvbox"
    assert load_config(user).ui.theme == "nord"
    monkeypatch.setenv("CTS_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="missing.yaml: config file not found"):
        load_config()


def test_unreadable_bytes_are_a_config_error(tmp_path):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path)


def test_changed_settings_are_named_never_valued():
    from cts_tui.config import changed_settings

    old = parse_config_text("api:\n  token: old-token-0123456789\n")
    new = parse_config_text("api:\n  token: new-token-0123456789\nexchanges:\n  bybit: {per_second: 3}\n")
    assert changed_settings(old, new) == ["api.token", "exchanges.bybit.per_second"]
    assert changed_settings(new, new) == []
