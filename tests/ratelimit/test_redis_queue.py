"""Checks a full window turns away are told to come back one after the other, as the window frees,
rather than all at the moment its first unit frees (when one of them would get it and the others
would only ask again: a wasted round trip each)."""

from __future__ import annotations

import pytest

from cts_tui.ratelimit import Priority, RateLimiter, shared
from cts_tui.ratelimit.shared import SharedBackend

from .helpers import make_config

BALANCE = "GET /v5/account/wallet-balance"


@pytest.fixture(autouse=True)
def patient_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared, "SOCKET_TIMEOUT_S", 2.0)  # counting under test, not the breaker


async def test_turned_away_checks_queue_per_priority_spaced_as_the_window_frees(redis_server) -> None:
    config = make_config(bybit={"per_second": 10**6, "per_minute": 10},
                         _rl={"backend": "redis", "redis_url": redis_server.url, "key_prefix": "queue"})
    backend = SharedBackend(config.rate_limiting)
    limiter = RateLimiter(config, backend)
    await limiter.start()
    try:
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
    finally:
        await limiter.close()
