"""Each strategy's choice sequence over fixed candidates."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from cts_tui.capabilities import ExchangeId
from cts_tui.core.balancer import STRATEGIES, make_strategy
from cts_tui.errors import CtsError


@dataclass
class Cand:
    id: str
    exchange: ExchangeId = ExchangeId.BINANCE
    effective_weight: float = 100
    latency_ms: float | None = None
    in_flight: int = 0
    requests: int = 0


def picks(name: str, candidates: list[Cand], n: int, **kwargs) -> list[str]:
    strategy = make_strategy(name, **kwargs)
    return [strategy.choose(candidates).id for _ in range(n)]


def test_round_robin_takes_each_in_turn():
    assert picks("round_robin", [Cand("b"), Cand("a"), Cand("c")], 7) == list("abcabca")


def test_smooth_weighted_round_robin_interleaves_by_weight():
    cands = [Cand("a", effective_weight=5), Cand("b", effective_weight=1), Cand("c", effective_weight=1)]
    assert picks("weighted_round_robin", cands, 7) == list("aabacaa")


def test_weighted_round_robin_skips_zero_weight_unless_all_zero():
    assert set(picks("weighted_round_robin", [Cand("a", effective_weight=0), Cand("b")], 4)) == {"b"}
    zero = [Cand("a", effective_weight=0), Cand("b", effective_weight=0)]
    assert picks("weighted_round_robin", zero, 4) == list("abab")


def test_least_latency_measures_the_unmeasured_first_then_takes_the_fastest():
    cands = [Cand("a", latency_ms=40), Cand("b", latency_ms=12), Cand("c")]
    assert picks("least_latency", cands, 1) == ["c"]
    cands[2].latency_ms = 90
    assert picks("least_latency", cands, 2) == ["b", "b"]


def test_least_connections_prefers_fewest_in_flight_then_fewest_served():
    cands = [Cand("a", in_flight=3), Cand("b", in_flight=1, requests=9), Cand("c", in_flight=1, requests=2)]
    assert picks("least_connections", cands, 1) == ["c"]
    strategy = make_strategy("least_connections")
    idle = [Cand("a"), Cand("b")]
    order = []
    for _ in range(4):
        chosen = strategy.choose(idle)
        chosen.requests += 1
        order.append(chosen.id)
    assert order == list("abab")


def test_failover_follows_the_configured_exchange_order():
    cands = [
        Cand("k1", ExchangeId.KRAKEN),
        Cand("b1", ExchangeId.BINANCE, effective_weight=50),
        Cand("b2", ExchangeId.BINANCE, effective_weight=80),
        Cand("o1", ExchangeId.OKX),
    ]
    order = [ExchangeId.OKX, ExchangeId.BINANCE]
    assert picks("failover", cands, 3, failover_order=order) == ["o1"] * 3
    assert picks("failover", cands[:3], 1, failover_order=order) == ["b2"]
    assert picks("failover", cands[:1], 1, failover_order=order) == ["k1"]


def test_every_named_strategy_exists_and_unknown_names_are_refused():
    assert {make_strategy(name).name for name in STRATEGIES} == set(STRATEGIES)
    with pytest.raises(CtsError, match="unknown strategy 'fastest'"):
        make_strategy("fastest")
