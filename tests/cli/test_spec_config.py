"""The specification's config file and environment variables, read as written: each key lands on
the native setting that does its job, ``config check --explain`` says where, and what maps
nowhere is an error naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cts_tui.capabilities import ExchangeId
from cts_tui.config import Config, explain_config, load_config, parse_config_text
from cts_tui.errors import ConfigError
from tests.cli.helpers import one_line_error

SPEC_FILE = Path(__file__).parents[1] / "fixtures" / "spec" / "exchange_manager_config.yaml"


def test_the_specifications_file_maps_onto_the_native_settings():
    config, mapped = explain_config(SPEC_FILE)
    binance = config.limits("binance")
    assert (binance.enabled, binance.per_minute, binance.timeout_ms, binance.weight) == (True, 1200, 10_000, 100)
    assert config.load_balancing.strategy == "weighted_round_robin"
    assert (config.pool.per_host_limit, config.pool.keepalive_s) == (50, 300)
    assert config.rate_limiting.backend == "redis"
    ceilings = config.rate_limiting.priority_ceilings
    assert (ceilings.high, ceilings.normal, ceilings.low) == (1.0, 0.5, 0.25)  # high gets 2x normal, 4x low
    # default_limit: every exchange without its own rate_limit, never above what it documents
    assert config.limits("bybit").per_minute == 100 and config.limits("htx").per_minute == 100
    assert config.limits("kraken").per_minute == 60
    # ${BINANCE_API_KEY:} with the variable unset: no key, no connection
    assert config.credentials[ExchangeId.BINANCE].complete is False
    lines = [m.line() for m in mapped]
    assert "exchanges.binance.rate_limit -> exchanges.binance.per_minute = 1200" in lines
    assert "exchange_manager.connection_pool.max_size -> pool.per_host_limit = 50" in lines
    assert "rate_limiting.use_redis -> rate_limiting.backend = redis" in lines
    assert "rate_limiting.default_limit -> exchanges.kraken.per_minute = 60 (kraken documents 60)" in lines
    assert "exchanges.binance.api_key -> credentials.binance.api_key = (empty)" in lines


def test_config_check_passes_it_unchanged_and_explains_every_key(cli, monkeypatch):
    monkeypatch.setenv("BINANCE_API_KEY", "SpecKey0123456789abcdef")
    monkeypatch.setenv("BINANCE_API_SECRET", "SpecSecret0123456789abcdef")
    outcome = cli("config", "check", "--explain", str(SPEC_FILE))
    assert outcome.code == 0, outcome.err
    lines = outcome.out.splitlines()
    assert lines[-1] == f"{SPEC_FILE}: ok"
    given = {line.split(" -> ")[0] for line in lines[:-1]}
    assert given == {
        "exchanges.binance.enabled", "exchanges.binance.api_key", "exchanges.binance.api_secret",
        "exchanges.binance.rate_limit", "exchanges.binance.timeout", "exchanges.binance.weight",
        "exchange_manager.connection_strategy", "exchange_manager.connection_pool.max_size",
        "exchange_manager.connection_pool.idle_timeout", "rate_limiting.use_redis",
        "rate_limiting.default_limit", "rate_limiting.priority_multiplier.high",
        "rate_limiting.priority_multiplier.normal", "rate_limiting.priority_multiplier.low",
    }
    assert "SpecKey0123456789abcdef" not in outcome.out and "SpecSecret" not in outcome.out
    assert "exchanges.binance.api_secret -> credentials.binance.api_secret = Spec" in outcome.out  # masked


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("exchange_manager:\n  connection_retries: 3\n", "exchange_manager.connection_retries: unknown key"),
        ("exchange_manager:\n  connection_pool:\n    min_size: 2\n", "exchange_manager.connection_pool.min_size: unknown key"),
        ("exchanges:\n  binance:\n    rate_limitt: 5\n", "exchanges.binance.rate_limitt: unknown key"),
        ("rate_limiting:\n  priority_multiplier:\n    urgent: 1\n", "rate_limiting.priority_multiplier.urgent"),
        ("rate_limiting:\n  use_redis: maybe\n", "rate_limiting.use_redis: must be true or false"),
        ("exchanges:\n  binance:\n    rate_limit: 5\n    per_minute: 6\n", "both set exchanges.binance.per_minute"),
        ("exchanges:\n  huobi: {weight: 5}\n  htx: {weight: 6}\n", "both set exchanges.htx.weight"),
        ("exchanges:\n  binance:\n    api_key: k0123456789\n", "credentials.binance: api_key is set but api_secret is not"),
    ],
)
def test_what_maps_nowhere_is_an_error_naming_the_key(text, named):
    with pytest.raises(ConfigError) as caught:
        parse_config_text(text, "spec.yaml")
    assert named in str(caught.value)


def test_native_and_specification_keys_mix_and_aliases_name_exchanges():
    config = parse_config_text("exchanges:\n  huobi: {rate_limit: 300, per_second: 4}\nhealth: {interval_s: 60}\n")
    assert (config.limits("htx").per_minute, config.limits("htx").per_second) == (300, 4)
    assert config.health.interval_s == 60


def test_the_specifications_variables_are_honoured_where_the_file_is_silent(monkeypatch, tmp_path):
    monkeypatch.setenv("REDIS_HOST", "redis-service")
    monkeypatch.setenv("REDIS_PORT", "6380")
    monkeypatch.setenv("OKX_API_KEY", "OkxKey0123456789")
    monkeypatch.setenv("OKX_API_SECRET", "OkxSecret0123456789")
    monkeypatch.setenv("OKX_PASSPHRASE", "OkxPass0123")
    monkeypatch.setenv("HUOBI_API_KEY", "HtxKey0123456789")
    monkeypatch.setenv("HUOBI_API_SECRET", "HtxSecret0123456789")
    config = load_config()  # no file: the defaults and the environment
    assert config.rate_limiting.redis_url == "redis://redis-service:6380/0"
    okx = config.credentials[ExchangeId.OKX]
    assert okx.api_passphrase is not None and okx.api_passphrase.get_secret_value() == "OkxPass0123"
    assert config.credentials[ExchangeId.HTX].complete
    native = parse_config_text("rate_limiting: {redis_url: 'redis://native:1/0'}\n")
    assert native.rate_limiting.redis_url == "redis://native:1/0"  # the native setting wins

    target = tmp_path / "exchange_manager_config.yaml"
    target.write_text(SPEC_FILE.read_text())
    monkeypatch.setenv("CONFIG_PATH", str(target))
    assert load_config().pool.per_host_limit == 50
    monkeypatch.setenv("CONFIG_PATH", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="missing.yaml: config file not found"):
        load_config()


def test_config_check_names_a_key_that_maps_nowhere(cli, tmp_path):
    target = tmp_path / "c.yaml"
    target.write_text("exchange_manager:\n  cache: true\n")
    line = one_line_error(cli("config", "check", "--explain", str(target)))
    assert "exchange_manager.cache: unknown key" in line


def test_no_credentials_by_default():
    assert Config().credentials == {} and load_config().credentials == {}


@pytest.mark.parametrize(
    ("text", "named"),
    [("credentials: {binance: 5}\n", "credentials.binance"), ("rate_limiting: null\n", "rate_limiting")],
)
def test_the_environment_never_hides_what_the_file_got_wrong(monkeypatch, text, named):
    for name, value in {"BINANCE_API_KEY": "k0123456789", "BINANCE_API_SECRET": "s0123456789",
                        "REDIS_HOST": "redis-service"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"x.yaml: {named}: Input should be a valid dictionary"):
        parse_config_text(text, "x.yaml")
