"""Routing that never waits on a sick or saturated exchange: in-flight suspicion (a connection
that stops answering is out of rotation long before its timeout, and back through the probe),
hedged reads, and budget-aware choices. Two simulators give one exchange two independent
servers, so that one connection can hang while another of the same exchange keeps serving."""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client import generate_latest

from cts_tui.config import Config, ExchangeRouting
from cts_tui.core.hedging import HedgeBudget, delay_s
from cts_tui.core.suspicion import NOT_ANSWERING, WatchState, is_suspect, threshold_s, unanswered
from cts_tui.errors import ExchangeError
from cts_tui.models import ConnectionDraft
from cts_tui.ratelimit.waiting import tracking_waits

from .helpers import eventually, fast_config


@pytest.fixture
def config() -> Config:
    config = fast_config()
    config.limits("binance").timeout_ms = 10_000  # the shipped timeout: detection must not wait for it
    config.health.timeout_s = 0.5  # the probe's own bound, so that a probe into a hang ends soon
    return config


@pytest.fixture
async def other_sim():
    from cts_tui.sim import Simulator

    async with Simulator() as simulator:
        yield simulator


def draft_on(simulator, exchange: str, name: str) -> ConnectionDraft:
    acct = simulator.account(exchange, "main")
    return ConnectionDraft(
        name=name, exchange=exchange, api_type="spot", api_key=acct.api_key, api_secret=acct.secret,
        api_passphrase=acct.passphrase, base_url=simulator.base_url(exchange),
    )


async def two_binance(coordinator, sim, other_sim) -> tuple[str, str]:
    first = await coordinator.add_connection(draft_on(sim, "binance", "binance-a"), "cli")
    second = await coordinator.add_connection(draft_on(other_sim, "binance", "binance-b"), "cli")
    return first.id, second.id


async def callers(coordinator, n: int, rounds: int, **kwargs) -> list[float]:
    """``n`` callers, ``rounds`` reads each; every read's duration in seconds."""
    durations: list[float] = []

    async def one() -> None:
        for _ in range(rounds):
            started = time.perf_counter()
            ticker = await coordinator.execute_request("fetch_ticker", "BTC/USDT", **kwargs)
            assert ticker["symbol"] == "BTC/USDT"
            durations.append(time.perf_counter() - started)

    await asyncio.gather(*(one() for _ in range(n)))
    return durations


# --- the rules on their own ------------------------------------------------------------------


def test_suspicion_rules():
    assert threshold_s(None, 4, 250) == 0.25  # nothing measured yet: the floor
    assert threshold_s(20, 4, 250) == 0.25 and threshold_s(100, 4, 250) == pytest.approx(0.4)
    assert unanswered([0.0, 0.5, 0.9], 1.0, 0.25) == 2
    assert is_suspect(0.3, 2, 0.25, 2) and not is_suspect(0.2, 5, 0.25, 2) and not is_suspect(1.0, 1, 0.25, 2)
    watch = WatchState()
    assert watch.observe(5, True, 10.0) == 0.0  # first look
    assert watch.observe(5, True, 10.4) == pytest.approx(0.4)  # busy and nothing answered
    assert watch.observe(6, True, 10.5) == 0.0  # an answer restarts the quiet time
    assert watch.observe(6, False, 11.5) == 0.0  # idle is not quiet


def test_hedge_delay_and_budget():
    assert delay_s(None, 100, 1000) == 1.0 and delay_s(30, 100, 1000) == 0.1 and delay_s(400, 100, 1000) == 0.4
    budget = HedgeBudget()
    assert not budget.allows("okx", 0.0, 10, 0.05)  # 1 hedge would be 10% of 10 requests
    assert budget.allows("okx", 0.0, 20, 0.05)
    budget.spend("okx", 0.0)
    assert not budget.allows("okx", 1.0, 20, 0.05) and budget.allows("okx", 61.0, 20, 0.05)  # a minute later


def test_per_exchange_routing_settings():
    config = Config()
    config.routing.exchanges = {"okx": ExchangeRouting(hedge=False, suspect_floor_ms=500)}
    okx, binance = config.routing.for_exchange("okx"), config.routing.for_exchange("binance")
    assert (okx.hedge, okx.suspect_floor_ms, okx.suspect_factor) == (False, 500, 4.0)
    assert (binance.hedge, binance.suspect_floor_ms) == (True, 250)


# --- against the simulator -------------------------------------------------------------------


async def test_a_hung_connection_is_suspect_while_its_peer_serves_and_the_probe_brings_it_back(
    coordinator, sim, other_sim
):
    healthy, hung = await two_binance(coordinator, sim, other_sim)
    coordinator.set_strategy("round_robin")
    await callers(coordinator, 4, 5, exchange_id="binance")  # both answer: a usual latency is known
    await other_sim.set_fault("binance", outage="hang")

    durations = await callers(coordinator, 8, 6, exchange_id="binance")

    view = coordinator.get_connection(hung)
    assert view.suspect and view.breaker != "closed" and view.breaker_reason == NOT_ANSWERING
    assert view.suspects == 1 and view.last_error.startswith(NOT_ANSWERING)
    assert view.in_flight == 0  # its reads were taken back and served elsewhere
    assert coordinator.get_connection(healthy).breaker == "closed"
    assert max(durations) < 5  # nobody waited for the 10 s timeout
    assert 'cts_suspect_total{connection="%s",exchange="binance"} 1.0' % hung in generate_latest(
        coordinator.metrics.registry
    ).decode()

    await other_sim.clear_faults()
    await eventually(lambda: coordinator.get_connection(hung).breaker == "closed")
    assert not coordinator.get_connection(hung).suspect
    assert coordinator.get_connection(hung).breaker_reason is None


async def test_a_slow_but_answering_exchange_is_never_suspect_and_hedges_stay_under_the_cap(
    coordinator, sim, other_sim
):
    first, second = await two_binance(coordinator, sim, other_sim)
    coordinator.set_strategy("round_robin")
    await sim.set_fault("binance", latency_ms=100)
    await other_sim.set_fault("binance", latency_ms=100)
    await callers(coordinator, 8, 2, exchange_id="binance")
    await other_sim.set_fault("binance", latency_ms=300)  # three times slower, still answering

    await callers(coordinator, 8, 4, exchange_id="binance")

    views = [coordinator.get_connection(cid) for cid in (first, second)]
    assert [(v.suspects, v.breaker) for v in views] == [(0, "closed"), (0, "closed")]
    requests = sum(v.requests for v in views)
    hedges = sum(v.hedges_sent for v in views)
    assert hedges <= 0.05 * requests


async def test_a_slow_read_is_hedged_on_another_connection_and_the_first_answer_wins(
    coordinator, sim, other_sim, config
):
    config.routing.exchanges = {
        "binance": ExchangeRouting(hedge_min_ms=50, hedge_max_ms=50, hedge_max_share=1.0, suspect=False)
    }
    await coordinator.reload_config(config)
    fast, slow = await two_binance(coordinator, sim, other_sim)
    coordinator.set_strategy("round_robin")
    await callers(coordinator, 1, 4, exchange_id="binance")  # the cap counts the last minute's requests
    await other_sim.set_fault("binance", latency_ms=1500)

    durations = await callers(coordinator, 1, 4, exchange_id="binance")

    view = coordinator.get_connection(slow)
    assert view.hedges_sent >= 1 and view.hedges_won == view.hedges_sent
    assert max(durations) < 1.0  # the hedge's answer, not the slow one's
    await eventually(lambda: coordinator.get_connection(slow).in_flight == 0, 2)  # the loser was cancelled
    exposition = generate_latest(coordinator.metrics.registry).decode()
    assert 'cts_hedged_requests_total{exchange="binance",outcome="won"}' in exposition


async def test_a_state_changing_call_is_never_hedged_rescued_or_retried(coordinator, sim, other_sim, config):
    config.limits("binance").timeout_ms = 800
    config.routing.hedge_min_ms = config.routing.hedge_max_ms = 50
    config.routing.hedge_max_share = 1.0
    await coordinator.reload_config(config)
    await two_binance(coordinator, sim, other_sim)
    await sim.set_fault("binance", outage="hang")
    await other_sim.set_fault("binance", outage="hang")
    before = sum(v.requests for v in coordinator.get_all_connections())

    with pytest.raises(ExchangeError) as failure:
        await coordinator.execute_request("create_order", "BTC/USDT", "limit", "buy", 0.001, 10_000)

    assert failure.value.kind.value == "timeout"  # waited out its own timeout: never cancelled
    views = coordinator.get_all_connections()
    assert sum(v.requests for v in views) - before == 1  # one attempt on one connection
    assert sum(v.hedges_sent for v in views) == 0 and sum(v.suspects for v in views) == 0


async def test_a_spent_budget_sends_reads_elsewhere_and_no_caller_waits(coordinator, draft):
    okx = await coordinator.add_connection(draft("okx"), "cli")
    binance = await coordinator.add_connection(draft("binance"), "cli")
    coordinator.set_strategy("round_robin")
    waited: list[str | None] = []

    async def one() -> None:
        for _ in range(10):
            with tracking_waits() as waits:
                await coordinator.execute_request("fetch_ticker", "BTC/USDT")
            waited.append(waits.waited_for)

    await asyncio.gather(*(one() for _ in range(6)))  # 60 reads; OKX's ticker budget is 16 per 2 s

    assert waited == [None] * 60
    okx_reads = coordinator.get_connection(okx.id).requests
    assert 0 < okx_reads <= 17 and coordinator.get_connection(binance.id).requests >= 43


async def test_a_reload_applies_routing_settings_per_exchange(coordinator, draft, config, caplog):
    okx = await coordinator.add_connection(draft("okx"), "cli")
    new = config.model_copy(deep=True)
    new.routing.exchanges = {"okx": ExchangeRouting(hedge=False, budget_aware=False)}
    new.limits("okx").per_second = 1_000_000
    await coordinator.reload_config(new)
    entry = coordinator.parts.table[okx.id]
    assert (entry.routing.hedge, entry.budget_aware, entry.routing.suspect) == (False, False, True)
    assert "exchanges.okx.per_second is 1,000,000, above the 20" in caplog.text
    assert "20 per 2 s for /api/v5/market/ticker" in caplog.text  # what stays in force


def test_settings_beyond_what_the_exchange_documents_are_named():
    from cts_tui.core.documented import beyond_documented

    config = Config()
    assert beyond_documented(config) == []
    config.limits("binance").per_minute = 5000
    config.limits("bybit").per_second = 5  # below: fine
    (note,) = beyond_documented(config)
    assert note.startswith("exchanges.binance.per_minute is 5,000, above the 1,200") and "5,000 is in force" in note


async def test_a_suspect_connection_raises_the_not_answering_alert(coordinator, sim, other_sim):
    _healthy, hung = await two_binance(coordinator, sim, other_sim)
    coordinator.set_strategy("round_robin")
    await callers(coordinator, 4, 3, exchange_id="binance")
    await other_sim.set_fault("binance", outage="hang")
    await callers(coordinator, 8, 4, exchange_id="binance")
    await eventually(lambda: any(a.rule == "not answering" for a in coordinator.alerts.firing()))
    (alert,) = [a for a in coordinator.alerts.firing() if a.rule == "not answering"]
    assert alert.subject == f"binance/{hung}"


async def test_failover_keeps_its_order_among_those_that_can_send_now(coordinator, draft, config):
    config.load_balancing.failover_order = ["okx", "binance", "htx"]
    await coordinator.reload_config(config)
    ids = {ex: (await coordinator.add_connection(draft(ex), "cli")).id for ex in ("okx", "binance", "htx")}
    coordinator.set_strategy("failover")
    waited: list[str | None] = []

    async def one() -> None:
        for _ in range(8):
            with tracking_waits() as waits:
                await coordinator.execute_request("fetch_ticker", "BTC/USDT")
            waited.append(waits.waited_for)

    await asyncio.gather(*(one() for _ in range(5)))  # 40 reads; OKX (first) can take 16 per 2 s

    served = {ex: coordinator.get_connection(cid).requests for ex, cid in ids.items()}
    assert waited == [None] * 40
    assert 0 < served["okx"] <= 17 and served["binance"] == 40 - served["okx"] and served["htx"] == 0
