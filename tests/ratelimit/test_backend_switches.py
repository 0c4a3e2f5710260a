"""The shared limiter while its Redis dies, comes back, freezes and thaws: budgets keep their
real timestamps across every switch, signed requests keep flowing at the budget and are signed
after their permit, and a wait for a permit is never taken for the exchange's silence.

Real redis-server, real simulator, the whole stack (store, limiter, hub, ccxt, coordinator).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.config import Config
from cts_tui.core.runtime import open_runtime
from cts_tui.errors import ErrorKind
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.models import Connection, ConnectionState
from cts_tui.ratelimit import Priority, RateLimiter, shared
from cts_tui.ratelimit.local import LocalBackend
from cts_tui.ratelimit.shared import SharedBackend
from cts_tui.ratelimit.waiting import tracking_waits
from cts_tui.sim import Journal, Simulator
from cts_tui.sim.exchanges import pionex as sim_pionex
from tests.core.helpers import eventually, fast_config
from tests.ratelimit.budget_load import BALANCE, PER_SECOND, balance_callers, bybit_at_five_per_second, draft
from tests.ratelimit.helpers import FakeClock, make_config, shared_limiter
from tests.redis_server import RedisServer

NORMAL = int(Priority.NORMAL)


def _shared(config: Config, redis_server: RedisServer) -> Config:
    config.rate_limiting.backend = "redis"
    config.rate_limiting.redis_url = redis_server.url
    config.rate_limiting.key_prefix = f"switch{redis_server.port}"
    return config


async def _until(predicate: Callable[[], bool]) -> None:
    await eventually(predicate, timeout=15.0)


# --- no re-dating ---------------------------------------------------------------------------


def test_a_count_learnt_earlier_frees_when_its_own_window_ends() -> None:
    """A count observed 40 s ago in a minute window frees 20 s from now, not a minute from now
    (what the fallback starts from when Redis goes away)."""
    clock = FakeClock()
    backend = LocalBackend(clock=clock)
    limiter = RateLimiter(make_config(bybit={"per_second": 100, "per_minute": 10}), backend)
    plan = limiter.plan_for("bybit", f"GET {BALANCE}")
    minute = next(c for c in plan.charges if c.spec.period_s == 60)
    backend.raise_usage("bybit", minute, 1_000, clock.time() - 40)
    assert backend.take_now(plan, NORMAL)[1] == minute.key
    assert 19 < backend.wait_now(plan, NORMAL) <= 20
    clock.advance(20.01)
    assert backend.take_now(plan, NORMAL)[1] is None


async def _fill(backend: SharedBackend, limiter: RateLimiter) -> tuple[object, int]:
    """Spend a minute budget to the last permit; returns the plan and how many were granted."""
    plan = limiter.plan_for("bybit", f"GET {BALANCE}", account="acct")
    granted = 0
    while True:
        wait, blocking, receipt = await backend.take(plan, NORMAL)
        if blocking is not None:
            return plan, granted
        backend.settle(receipt)
        granted += 1


async def test_spent_budget_keeps_its_timestamps_through_a_kill_and_a_restart(redis_server) -> None:
    config = _shared(make_config(bybit={"per_second": 1_000, "per_minute": 6}), redis_server)
    async with shared_limiter(config) as (backend, limiter):
        plan, granted = await _fill(backend, limiter)
        spent_at = time.monotonic()
        assert granted >= 1
        await asyncio.sleep(1.0)  # the age the spent budget must keep
        redis_server.kill()
        wait, blocking, _ = await backend.take(plan, NORMAL)  # decided locally
        assert backend.state.name == "fallback" and blocking is not None
        assert wait <= 60 - (time.monotonic() - spent_at) + 0.05
        await asyncio.to_thread(redis_server.start)  # empty: only the write-back refills it
        await _until(lambda: backend.state.name == "redis")
        wait, blocking, _ = await backend.take(plan, NORMAL)
        assert blocking is not None  # the budget is still spent in Redis...
        assert wait <= 60 - (time.monotonic() - spent_at) + 0.05  # ...as of when it was spent


async def test_a_request_that_ends_after_redis_died_counts_locally_from_its_end(
    redis_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exchange may count a request as late as it ended (a request granted ahead is sent when
    its hold ends, after the moment Redis granted it for): the local count that takes over must
    not free it earlier, or one more request goes in the exchange's window."""
    monkeypatch.setattr(shared, "HOLD_S", 0.0)  # straight to the fair share, which this test reads
    config = _shared(make_config(bybit={"per_second": 1_000, "per_minute": 6}), redis_server)
    async with shared_limiter(config) as (backend, limiter):
        plan = limiter.plan_for("bybit", f"GET {BALANCE}", account="acct")
        first = (await backend.take(plan, NORMAL))[2]  # its request is still on its way...
        await asyncio.sleep(1.0)
        await _fill(backend, limiter)
        redis_server.kill()
        backend.settle(first)  # ...and ends only now, Redis gone
        ended_at = time.monotonic()
        wait, blocking, _ = await backend.take(plan, NORMAL)
        assert backend.state.name == "fallback" and blocking is not None
        assert wait >= 60 - (time.monotonic() - ended_at) - 0.05  # not 59: its end is what counts


SPENT = 20
QUEUED_WHILE_FROZEN = 3


async def test_a_thawed_redis_keeps_its_count_and_gains_only_what_was_spent_meanwhile(
    redis_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared, "SUSPECT_S", 0.0)  # the first timeout opens the breaker here
    config = _shared(make_config(bybit={"per_second": 1_000, "per_minute": 60}), redis_server)
    async with shared_limiter(config) as (backend, limiter):
        plan = limiter.plan_for("bybit", f"GET {BALANCE}", account="acct")
        before = await backend.remaining(plan, NORMAL)
        for _ in range(SPENT):
            backend.settle((await backend.take(plan, NORMAL))[2])
        redis_server.stop()
        try:
            _wait, blocking, receipt = await backend.take(plan, NORMAL)
            assert backend.state.name == "fallback" and blocking is None
            backend.settle(receipt)
        finally:
            redis_server.cont()
        await _until(lambda: backend.state.name == "redis")
        # Spent: SPENT + 1. A thawed server also runs what was queued while it was frozen (the
        # take that timed out; on a loaded machine a few more): allowed. SPENT counted twice is not.
        left = await backend.remaining(plan, NORMAL)
        assert before - (SPENT + 1) - QUEUED_WHILE_FROZEN <= left <= before - (SPENT + 1)


# --- under load, against the simulator ------------------------------------------------------


async def test_signed_requests_flow_at_the_budget_while_redis_dies_returns_freezes_and_thaws(
    sim: Simulator, redis_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared, "HOLD_TIMED_OUT_S", 0.5)  # the freeze's first moments, shortened
    monkeypatch.setattr(shared, "SUSPECT_S", 0.2)  # and the timeouts before the breaker opens
    config = bybit_at_five_per_second(sim, _shared(fast_config(), redis_server))
    async with open_runtime(config, tmp_path / "cts.sqlite") as runtime:
        coordinator, limiter = runtime.coordinator, runtime.limiter
        view = await coordinator.add_connection(draft(sim, "bybit"), "cli")

        def arrived() -> list:
            return sim.journal.entries(exchange="bybit", endpoint=BALANCE, since_mono=start)

        start = time.monotonic()
        seen = [limiter.backend_state]
        async with balance_callers(coordinator, view.id) as failures:
            for action, backend in ((None, "redis"), (redis_server.kill, "fallback"), (redis_server.start, "redis"),
                                    (redis_server.stop, "fallback"), (redis_server.cont, "redis")):
                if action is not None:
                    await asyncio.to_thread(action)
                await _until(lambda backend=backend: limiter.backend == backend)
                seen.append(limiter.backend_state)
                flowed = len(arrived())
                await _until(lambda flowed=flowed: len(arrived()) >= flowed + PER_SECOND)  # the budget is spent again
        entries = arrived()
        assert {e.outcome for e in entries} == {"ok"}  # no 429, no stale timestamp
        assert Journal.max_in_window(entries, 1.0) <= PER_SECOND
        assert failures == []
        after = coordinator.get_connection(view.id)
        assert after.breaker == "closed" and after.state is ConnectionState.ACTIVE
        assert [s.name for s in seen] == ["redis", "redis", "fallback", "redis", "fallback", "redis"]
        assert seen[2].reason == "redis unreachable (ConnectionError)"
        assert seen[4].reason == "redis unreachable (TimeoutError)"
        assert all(earlier.since <= later.since for earlier, later in zip(seen, seen[1:]))


async def test_a_wait_for_a_permit_that_runs_out_of_time_is_a_rate_limit_wait(
    sim: Simulator, redis_server, tmp_path: Path
) -> None:
    """Redis is gone, the local share has no permit left: the test and the health checks run
    out of time in the limiter's queue. The exchange never saw them: not its timeout, and its
    breaker stays closed however often it happens."""
    config = _shared(fast_config(), redis_server)
    limits = config.limits("bybit")
    limits.per_second, limits.per_minute = 5, 1
    config.batch.task_timeout_s = config.health.timeout_s = 0.3
    redis_server.kill()
    async with open_runtime(config, tmp_path / "cts.sqlite") as runtime:
        coordinator = runtime.coordinator
        assert runtime.limiter.backend_state.name == "fallback"
        view = await coordinator.add_connection(draft(sim, "bybit"), "cli")
        result = await coordinator.test_connection(view.id)
        assert result.error_kind is ErrorKind.RATE_LIMITED
        assert result.error is not None and result.error.startswith("rate limit wait: ")
        assert "bybit's rate-limit budget" in result.error
        assert "no answer within" not in result.error
        for _ in range(config.health.breaker_threshold + 1):
            assert await coordinator.run_health_checks([view.id]) == {view.id: False}
        after = coordinator.get_connection(view.id)
        assert after.breaker == "closed"
        assert after.last_error is not None and after.last_error.startswith("rate limit wait: ")


# --- signed after the permit ----------------------------------------------------------------


def _connection(sim: Simulator, exchange: ExchangeId) -> Connection:
    account = sim.account(exchange.value, "main")
    return Connection(name=f"{exchange.value}-main", exchange=exchange, api_type=ApiType.SPOT,
                      api_key=account.api_key, api_secret=account.secret,
                      api_passphrase=account.passphrase, base_url=sim.base_url(exchange.value))


async def _two_after_a_wait(sim: Simulator, exchange: ExchangeId, tolerance_s: float,
                            tune: Callable[[object], object] | None = None) -> None:
    """A signed call waits longer than the exchange's timestamp tolerance for its permit and is
    still accepted: it was signed after the wait."""
    config = Config()
    config.exchanges[exchange.value].per_second = 1
    limiter = RateLimiter.from_config(config)
    async with ExchangeHub(config, limiter) as hub:
        client = hub.client_for(_connection(sim, exchange))
        await client.fetch_balance()  # markets and clock synced, this second's permit spent
        if tune is not None:
            await tune(client)
        start = time.monotonic()
        with tracking_waits() as waits:
            await client.fetch_balance()
        assert waits.waited_s > tolerance_s
    await limiter.close()
    entries = [e for e in sim.journal.entries(exchange=exchange.value, since_mono=start)]
    assert entries and {e.outcome for e in entries} == {"ok"}


async def test_a_ccxt_request_is_signed_after_its_permit(sim: Simulator) -> None:
    async def short_recv_window(client) -> None:
        instance = await client._ccxt()
        instance.options["recvWindow"] = 300  # Bybit refuses a timestamp older than this

    await _two_after_a_wait(sim, ExchangeId.BYBIT, 0.3, short_recv_window)


async def test_a_native_request_is_signed_after_its_permit(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sim_pionex, "TIMESTAMP_WINDOW_MS", 300)
    await _two_after_a_wait(sim, ExchangeId.PIONEX, 0.3)
