"""Exchange answers are untrusted input: every client call, on every exchange, meets answers
the simulator rewrites (``FaultSpec.mutate``: ``{}``, nulls, dropped fields, wrong types, absurd
numbers, a text/html Content-Type, a body that never ends) and either succeeds or fails with a
classified ``ExchangeError`` in our own words: no hang, no TypeError, no library text."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from cts_tui.capabilities import SUPPORTED_API_TYPES, ApiType, ExchangeId
from cts_tui.errors import ErrorKind, ExchangeError
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.models import TestResult
from cts_tui.ratelimit import RateLimiter
from cts_tui.sim import Simulator
from cts_tui.sim.scenario import ExchangeScenario, Scenario

from .conftest import fast_config
from .helpers import connection_for

MUTATIONS = ["empty", "nulls", "drop", "types", "huge", "content_type", "trickle"]
CALLS = ["test_connection", "load_markets", "fetch_time", "fetch_ticker", "fetch_balance", "fetch_permissions"]
# The request timeout leaves a busy machine room to answer: the clients (one per exchange) share one event
# loop, so each one's synchronous work (ccxt parsing a rewritten answer) runs on the others'
# request timers, and the suite runs four workers on two cores. The deadline is far above it:
# reaching that is a hang.
TIMEOUT_MS = 2000
DEADLINE_S = 10.0
# The exchange's own rate limits still apply (Pionex: 10 weight/s) and a market the rewritten
# list lacks is the exchange's "no such market": both classified, neither a crash.
ACCEPTED = {ErrorKind.BAD_RESPONSE, ErrorKind.RATE_LIMITED, ErrorKind.INVALID_REQUEST}


@pytest.fixture
async def small_sim() -> AsyncIterator[Simulator]:
    scenario = Scenario(seed=16, exchanges={e.value: ExchangeScenario(markets=20) for e in ExchangeId})
    async with Simulator(scenario) as simulator:
        yield simulator


def _api_type(exchange: ExchangeId) -> ApiType:
    supported = SUPPORTED_API_TYPES[exchange]
    return ApiType.SPOT if ApiType.SPOT in supported else sorted(supported)[0]


async def _exercise(sim: Simulator, exchange: ExchangeId, calls: list[str]) -> list[tuple[str, object]]:
    """Each call on a fresh hub (nothing cached from a sound answer): its result or error."""
    config = fast_config()
    for limits in config.exchanges.values():
        limits.timeout_ms = TIMEOUT_MS
    limiter = RateLimiter.from_config(config)
    await limiter.start()
    hub = ExchangeHub(config, limiter)
    outcomes: list[tuple[str, object]] = []
    try:
        client = hub.client_for(connection_for(sim, exchange, _api_type(exchange)))
        for call in calls:
            args = (client.connection.exchange is ExchangeId.KRAKEN and "BTC/USD" or "BTC/USDT",) if call == "fetch_ticker" else ()
            try:
                outcomes.append((call, await asyncio.wait_for(getattr(client, call)(*args), DEADLINE_S)))
            except ExchangeError as exc:
                outcomes.append((call, exc))
            except TimeoutError:
                outcomes.append((call, "hang"))
            except Exception as exc:  # noqa: BLE001 - what the test is looking for
                outcomes.append((call, f"unclassified {type(exc).__name__}: {exc}"))
    finally:
        await hub.close()
        await limiter.close()
    return outcomes


def _problem(call: str, outcome: object) -> str | None:
    if isinstance(outcome, str):
        return outcome
    if isinstance(outcome, TestResult):
        if outcome.success:
            return None
        kind, message = outcome.error_kind, outcome.error or ""
    elif isinstance(outcome, ExchangeError):
        kind, message = outcome.kind, str(outcome)
    else:
        return None
    if kind not in ACCEPTED:
        return f"{kind}: {message}"
    if kind is ErrorKind.INVALID_REQUEST and not ("does not have market" in message or "has no market" in message):
        return f"{kind}: {message}"  # only the market the rewritten list lacks
    if "ExchangeError:" in message or "{" in message:
        return f"library text: {message}"
    return None


@pytest.mark.parametrize("mutation", MUTATIONS)
async def test_every_client_call_survives_the_mutation_on_all_nine_exchanges(small_sim: Simulator, mutation: str) -> None:
    for exchange in ExchangeId:
        await small_sim.set_fault(exchange.value, mutate=mutation)
    results = await asyncio.gather(*(_exercise(small_sim, e, CALLS) for e in ExchangeId))
    await small_sim.clear_faults()
    problems = [
        f"{exchange.value} {call}: {problem}"
        for exchange, outcomes in zip(ExchangeId, results, strict=True)
        for call, outcome in outcomes
        if (problem := _problem(call, outcome))
    ]
    assert problems == []
    assert any(entry.outcome.startswith("fault:mutate") for entry in small_sim.journal)


@pytest.mark.parametrize("mutation", ["empty", "trickle"])
async def test_an_empty_or_endless_answer_fails_a_test_as_bad_response_everywhere(
    small_sim: Simulator, mutation: str
) -> None:
    """The issue's repro: ``200 {}`` (and a body that never ends) on every exchange: the test
    ends, failed, bad_response, in our own words (OKX and HTX no longer "okx {}")."""
    for exchange in ExchangeId:
        await small_sim.set_fault(exchange.value, mutate=mutation)
    results = await asyncio.gather(*(_exercise(small_sim, e, ["test_connection"]) for e in ExchangeId))
    for exchange, [(_, result)] in zip(ExchangeId, results, strict=True):
        assert isinstance(result, TestResult), (exchange, result)
        assert not result.success and result.error_kind is ErrorKind.BAD_RESPONSE, (exchange, result.error)
        assert "{" not in (result.error or ""), result.error


async def test_one_endpoint_only_is_mutated_when_named(small_sim: Simulator) -> None:
    await small_sim.set_fault("binance", mutate="nulls", mutate_endpoints=["/api/v3/time"])
    [(_, markets), (_, server_time)] = await _exercise(small_sim, ExchangeId.BINANCE, ["load_markets", "fetch_time"])
    assert isinstance(markets, dict) and markets
    assert isinstance(server_time, ExchangeError) and server_time.kind is ErrorKind.BAD_RESPONSE
    assert "server time that is not a number" in str(server_time)
