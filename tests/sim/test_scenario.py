"""Scenarios from YAML, seeded repeatability, and the generated world (markets, prices, keys)."""

from __future__ import annotations

import pytest

from cts_tui.sim import Scenario, ScenarioError, Simulator
from cts_tui.sim.exchanges import discover
from cts_tui.sim.markets import generate_markets
from cts_tui.sim.prices import PriceBook

YAML = """
seed: 7
exchanges:
  binance:
    markets: 40
    accounts:
      - name: bot
        permissions: [read]
        balances: {spot: {USDT: 12.5}}
    limits: {spot_weight_per_minute: 100}
    faults: {latency_ms: 5, clock_skew_ms: 250}
  kraken: {enabled: false}
"""


async def test_yaml_scenario_sets_markets_accounts_limits_faults_and_exchanges() -> None:
    async with Simulator(Scenario.from_yaml_text(YAML)) as sim:
        assert "kraken" not in sim.exchanges and "okx" in sim.exchanges
        assert len(sim.exchange("binance").ctx.markets) == 40
        (bot,) = sim.accounts("binance")
        assert bot.name == "bot" and bot.permissions == {"read"} and bot.balance("spot") == {"USDT": 12.5}
        assert sim.limits("binance")["spot_weight_per_minute"] == 100
        assert sim.faults("binance").latency_ms == 5
        assert sim.exchange("binance").ctx.clock.skew_ms == 250


def test_scenario_file_errors_are_one_line(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("exchanges:\n  binance: {markets: 1}\n")
    with pytest.raises(ScenarioError, match=r"exchanges\.binance\.markets") as caught:
        Scenario.from_yaml(bad)
    assert "\n" not in str(caught.value)
    bad.write_text("seed: [")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        Scenario.from_yaml(bad)
    with pytest.raises(ScenarioError, match="cannot read"):
        Scenario.from_yaml(tmp_path / "missing.yaml")


async def test_same_seed_same_world() -> None:
    async with Simulator(Scenario(seed=3)) as one, Simulator(Scenario(seed=3)) as two:
        for name in one.exchanges:
            assert [a.public() for a in one.accounts(name)] == [a.public() for a in two.accounts(name)]
            assert one.exchange(name).ctx.markets == two.exchange(name).ctx.markets
    async with Simulator(Scenario(seed=4)) as other:
        assert other.account("binance").secret != one.account("binance").secret


def test_markets_are_realistic_and_sized_as_asked() -> None:
    for cls in discover().values():
        markets = generate_markets(42, 2000, cls.market_kinds)
        assert len(markets) == 2000 and len({m.key for m in markets}) == 2000
        spot = [(m.base, m.quote) for m in markets if m.is_spot]
        assert spot[:1] == [("BTC", "USDT")] and ("ETH", "USDT") in spot
        btc = next(m for m in markets if m.is_spot and m.base == "BTC" and m.quote == "USDT")
        assert (btc.tick, btc.step, btc.min_notional) == ("0.1", "0.000001", 5.0)


def test_prices_walk_the_same_way_for_the_same_seed() -> None:
    one, two, other = PriceBook(9, 1.0), PriceBook(9, 1.0), PriceBook(10, 1.0)
    walks = [[book.quote("spot:BTC/USDT", 64_000.0, book.start + step).price for step in (0, 5, 50)]
             for book in (one, two, other)]
    assert walks[0][0] == 64_000.0 and walks[0][1] != walks[0][2]
    assert walks[0] == walks[1] and walks[0] != walks[2]
    assert all(0.5 * 64_000 < p < 2 * 64_000 for p in walks[0])
