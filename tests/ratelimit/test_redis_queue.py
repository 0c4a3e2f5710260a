"""Checks a full window turns away are told to come back one after the other, as the window frees,
rather than all at the moment its first unit frees (when one of them would get it and the others
would only ask again: a wasted round trip each); within the caller's reach they are granted
ahead instead."""

from __future__ import annotations

import pytest

from cts_tui.ratelimit import Priority, shared
from cts_tui.ratelimit.shared import SharedBackend, SharedReceipt

from .helpers import make_config, shared_limiter

BALANCE = "GET /v5/account/wallet-balance"


@pytest.fixture(autouse=True)
def patient_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared, "SOCKET_TIMEOUT_S", 2.0)  # counting under test, not the breaker


async def test_turned_away_checks_queue_per_priority_spaced_as_the_window_frees(redis_server) -> None:
    config = make_config(bybit={"per_second": 10**6, "per_minute": 10},
                         _rl={"backend": "redis", "redis_url": redis_server.url, "key_prefix": "queue"})
    async with shared_limiter(config) as (backend, limiter):
        plan = limiter.plan_for("bybit", BALANCE, account="acct")
        minute = next(c for c in plan.charges if c.spec.period_s == 60)
        step = 60 * minute.units / minute.caps[Priority.NORMAL]  # one unit frees every step
        waits: list[float] = []
        while len(waits) < 3:  # the minute fills at NORMAL's cap, then three are turned away
            wait, blocking, _receipt = await backend.take(plan, Priority.NORMAL)
            if blocking is not None:
                assert blocking == minute.key
                waits.append(wait)
        assert 59 < waits[0] <= 60  # the first comes back when the oldest grant leaves
        assert waits[1] - waits[0] == pytest.approx(step, abs=0.5)
        assert waits[2] - waits[1] == pytest.approx(step, abs=0.5)
        assert await backend.remaining(plan, Priority.NORMAL) == 0  # a dry run joins no queue
        assert (await backend.take(plan, Priority.NORMAL))[0] == pytest.approx(waits[2] + step, abs=0.5)
        high, blocking, _receipt = await backend.take(plan, Priority.HIGH)
        assert blocking is None or high < waits[1]  # HIGH never queues behind NORMAL


async def test_a_full_window_grants_ahead_within_the_callers_reach_and_never_over_its_cap(
    redis_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a saturated budget a check is granted the room as it frees, its request held until
    then (one check per request, no refusal and second check), as far ahead as the caller can
    wait and ``GRANT_AHEAD_S`` allow, and only by grants whose requests ended; no moment holds
    more grants than the cap."""
    monkeypatch.setattr(shared, "FLUSH_S", 60.0)  # settlements ride with the next check, in order
    config = make_config(bybit={"per_second": 10, "per_minute": 10**6},
                         _rl={"backend": "redis", "redis_url": redis_server.url, "key_prefix": "ahead"})
    async with shared_limiter(config) as (backend, limiter):
        plan = limiter.plan_for("bybit", BALANCE, account="acct")
        second = next(c for c in plan.charges if c.spec.period_s == 1)
        cap = int(second.caps[Priority.HIGH])
        holds, at_ms = [], []
        for _ in range(2 * cap):
            hold, blocking, receipt = await backend.take(plan, Priority.HIGH, ahead_s=60)
            assert blocking is None and isinstance(receipt, SharedReceipt)
            holds.append(hold)
            at_ms.append(receipt.redis.granted_ms)
            if not hold:
                backend.settle(receipt)  # its request ended: the next check carries the settlement
        assert holds[:cap] == [0.0] * cap  # room now
        assert all(0 < hold <= shared.GRANT_AHEAD_S for hold in holds[cap:])
        assert all(at_ms[cap + i] >= at_ms[i] + 1000 for i in range(cap))  # each as one of the first leaves
        unsettled = SharedBackend(config.rate_limiting)  # a second process: grants it never settles
        await unsettled.start()
        try:
            other = limiter.plan_for("bybit", BALANCE, account="other")
            for _ in range(cap):
                assert (await unsettled.take(other, Priority.HIGH))[1] is None
            wait, blocking, _receipt = await backend.take(other, Priority.HIGH, ahead_s=60)
            assert blocking is not None  # requests still out may reach the exchange any time before they end
        finally:
            await unsettled.close()
        wait, blocking, _receipt = await backend.take(plan, Priority.HIGH, ahead_s=60)
        assert blocking == second.key and wait > shared.GRANT_AHEAD_S  # room only after the ahead ones
        assert (await backend.take(plan, Priority.HIGH))[1] == second.key  # no patience, no grant ahead
