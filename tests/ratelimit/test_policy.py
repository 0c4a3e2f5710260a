"""Policies and plans: what each exchange counts and what a request costs."""

from __future__ import annotations

from cts_tui.config import Config
from cts_tui.ratelimit.plan import account_id, concurrency_caps, make_plan
from cts_tui.ratelimit.policy import Scope, build_policies
from cts_tui.ratelimit.weights import endpoint_limit, normalize_endpoint, request_weight, weight_of


def test_binance_weights_are_the_documented_ones_by_method_or_path() -> None:
    assert weight_of("binance", "fetch_ticker") == 2
    assert weight_of("binance", "fetchTickers") == 80
    assert weight_of("binance", "fetch_balance") == 20
    assert weight_of("binance", "GET /api/v3/exchangeInfo") == 20
    assert weight_of("binance", "GET /api/v3/order") == 4
    assert weight_of("binance", "POST /api/v3/order") == 1
    assert weight_of("binance", "fetch_something_new") == 1
    assert weight_of("kraken", "fetch_balance") == 1
    assert normalize_endpoint("fetchOHLCV") == "fetch_ohlcv"


def test_each_exchange_gets_its_window_shape() -> None:
    policies = build_policies(Config())
    binance = policies["binance"]
    assert [(w.name, w.aligned, w.counts_weight) for w in binance.windows] == [
        ("1s", False, False), ("1m", True, True)]
    assert not binance.counts_per_key
    bybit = policies["bybit"]
    assert bybit.windows[0].per_endpoint and bybit.windows[0].period_s == 1.0
    assert [(w.name, w.limit, w.scope) for w in bybit.windows if w.scope is Scope.IP] == [("5s/ip", 600, Scope.IP)]
    pionex_ip = [w for w in policies["pionex"].windows if w.scope is Scope.IP]
    assert [(w.period_s, w.limit, w.counts_weight) for w in pionex_ip] == [(1.0, 10, True)]
    okx = policies["okx"]
    assert okx.windows[0].period_s == 2.0 and okx.windows[0].limit == 2 * 20
    assert policies["kraken"].windows[0].limit == 1


def test_plan_caps_apply_headroom_then_the_priority_ceiling() -> None:
    config = Config()
    plan = make_plan(build_policies(config)["bybit"], "fetchTicker", "k1", None, config.rate_limiting)
    second = plan.charges[0]
    assert second.key == f"bybit|{account_id('k1')}|1s/endpoint|fetch_ticker"
    assert "k1" not in account_id("k1")
    assert [round(c, 3) for c in second.caps] == [9.0, 8.1, 6.3]
    assert plan.pause_keys == ("bybit", f"bybit|{account_id('k1')}")
    assert concurrency_caps(10, config.rate_limiting) == (10, 9, 7)
    assert concurrency_caps(1, config.rate_limiting) == (1, 1, 1)


def test_binance_counts_per_ip_so_the_account_does_not_split_its_budget() -> None:
    config = Config()
    policy = build_policies(config)["binance"]
    a = make_plan(policy, "fetch_balance", "key-a", None, config.rate_limiting)
    b = make_plan(policy, "fetch_balance", "key-b", None, config.rate_limiting)
    assert [c.key for c in a.charges] == [c.key for c in b.charges]
    assert [c.units for c in a.charges] == [1, 20]
    assert a.pause_keys == ("binance",)


def test_okx_endpoint_windows_take_the_tighter_of_the_config_and_the_documented_limit() -> None:
    config = Config()  # okx per_second 20: 40 per 2 s, but the balance endpoint allows 10
    policy = build_policies(config)["okx"]
    balance = make_plan(policy, "GET /api/v5/account/balance", "k", None, config.rate_limiting)
    ticker = make_plan(policy, "fetchTicker", None, None, config.rate_limiting)
    assert round(balance.charges[0].caps[0], 3) == 9.0  # 10 x 0.9
    assert round(ticker.charges[0].caps[0], 3) == 18.0  # 20 x 0.9
    assert endpoint_limit("okx", "POST /api/v5/trade/order") == 60
    assert endpoint_limit("binance", "fetch_balance") is None


def test_kucoin_pool_windows_are_one_per_pool_each_held_to_its_quota() -> None:
    config = Config()
    policy = build_policies(config)["kucoin"]
    spot = make_plan(policy, "GET /api/v3/market/orderbook/level2", "k", None, config.rate_limiting)
    futures = make_plan(policy, "GET /api/v1/account-overview", "k", None, config.rate_limiting)
    public = make_plan(policy, "GET /api/v1/market/orderbook/level2_20", None, None, config.rate_limiting)
    assert spot.charges[2].key == f"kucoin|{account_id('k')}|30s/pool|spot"
    assert futures.charges[2].key == f"kucoin|{account_id('k')}|30s/pool|futures"
    assert public.charges[2].key == "kucoin|-|30s/pool|public"
    assert [round(p.charges[2].caps[0]) for p in (spot, futures, public)] == [3600, 1800, 1800]  # quota x 0.9
    assert [p.charges[2].units for p in (spot, futures, public)] == [3, 5, 2]  # the endpoints' weights
    assert public.usage is public.charges[2]  # what gw-ratelimit-remaining speaks of


def test_a_signed_request_counts_against_its_key_and_a_public_one_against_the_ip() -> None:
    config = Config()
    okx = build_policies(config)["okx"]
    public_a = make_plan(okx, "GET /api/v5/market/ticker", None, None, config.rate_limiting)
    private_a = make_plan(okx, "GET /api/v5/account/balance", "key-a", None, config.rate_limiting)
    private_b = make_plan(okx, "GET /api/v5/account/balance", "key-b", None, config.rate_limiting)
    assert public_a.charges[0].key == "okx|-|2s/endpoint|get /api/v5/market/ticker"
    assert private_a.charges[0].key != private_b.charges[0].key
    assert public_a.pause_keys == ("okx",)
    assert private_a.pause_keys == ("okx", f"okx|{account_id('key-a')}")


def test_ip_wide_windows_take_every_key_together() -> None:
    config = Config()
    pionex = build_policies(config)["pionex"]
    a = make_plan(pionex, "GET /uapi/v1/account/balances", "key-a", None, config.rate_limiting)
    b = make_plan(pionex, "GET /uapi/v1/account/balances", "key-b", None, config.rate_limiting)
    by_name = lambda plan: {c.spec.name: c for c in plan.charges}  # noqa: E731
    assert by_name(a)["1s"].key != by_name(b)["1s"].key
    assert by_name(a)["1s/ip"].key == by_name(b)["1s/ip"].key == "pionex|-|1s/ip"
    assert by_name(a)["1s/ip"].units == 5


def test_binance_weights_that_depend_on_naming_a_symbol() -> None:
    assert request_weight("binance", "/api/v3/ticker/24hr", "symbol=BTCUSDT") == 2
    assert request_weight("binance", "/api/v3/ticker/24hr", "") == 80
    assert request_weight("binance", "/api/v3/ticker/24hr", 'symbols=["BTCUSDT"]') == 80
    assert request_weight("binance", "/api/v3/openOrders", "symbol=BTCUSDT&timestamp=1") == 6
    assert request_weight("binance", "/api/v3/account", "") is None
    assert request_weight("okx", "/api/v5/market/tickers", "") is None


def test_the_ip_wide_window_takes_its_limit_from_the_config() -> None:
    config = Config()
    config.exchanges["bybit"].ip_limit = 3000
    config.exchanges["okx"].ip_limit = 50
    config.exchanges["pionex"].ip_limit = None
    policies = build_policies(config)
    ip_windows = {ex: [(w.name, w.period_s, w.limit) for w in p.windows if w.scope is Scope.IP]
                  for ex, p in policies.items()}
    assert ip_windows["bybit"] == [("5s/ip", 5.0, 3000)]
    assert ip_windows["okx"] == [("1s/ip", 1.0, 50)]
    assert ip_windows["pionex"] == []
