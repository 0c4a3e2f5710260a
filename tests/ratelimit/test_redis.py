"""Budgets, pauses and bans shared through a real redis-server; the breaker and its fallback when
Redis is killed or frozen; several OS processes on one budget."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import pytest

from cts_tui.errors import ConfigError, ErrorKind, ExchangeError
from cts_tui.ratelimit import Priority, RateLimiter, ResponseFeedback, shared

from .helpers import make_config

BIG = 10**6


@pytest.fixture(autouse=True)
def patient_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests check the counting, not the breaker's speed: a loaded machine must not trip
    it with the 50 ms production timeout. The test of a frozen Redis puts that timeout back."""
    monkeypatch.setattr(shared, "SOCKET_TIMEOUT_S", 2.0)


def _config(url: str, prefix: str = "t", **exchanges: dict):
    return make_config(**exchanges, _rl={"backend": "redis", "redis_url": url, "key_prefix": prefix,
                                         "acquire_timeout_s": 2.0})


async def _started(*configs) -> list[RateLimiter]:
    limiters = [RateLimiter.from_config(c) for c in configs]
    for limiter in limiters:
        await limiter.start()
    return limiters


async def _close(*limiters: RateLimiter) -> None:
    for limiter in limiters:
        await limiter.close()


async def test_two_limiters_spend_one_budget(redis_server) -> None:
    config = _config(redis_server.url, binance={"per_second": BIG, "per_minute": 100})
    a, b = await _started(config, config)
    granted = 0
    for _ in range(10):
        granted += await a.acquire_permit("binance", "fetch_balance", Priority.HIGH)
        granted += await b.acquire_permit("binance", "fetch_balance", Priority.HIGH)
    assert granted == 4  # 90 of weight at HIGH, 20 a call
    assert a.usage("binance").backend == b.usage("binance").backend == "redis"
    assert b.usage("binance").windows[1].used == 80
    assert await a.get_remaining_requests("binance", "fetch_ticker") == 0  # NORMAL: 81 - 80 < 2
    await _close(a, b)


async def test_concurrent_checks_travel_together_and_still_count_exactly(redis_server) -> None:
    config = _config(redis_server.url, htx={"per_second": BIG, "per_minute": 100})
    a, b = await _started(config, config)
    results = await asyncio.gather(*(limiter.acquire_permit("htx", "fetch_ticker", Priority.HIGH)
                                     for limiter in (a, b) for _ in range(60)))
    assert sum(results) == 90
    await _close(a, b)


async def test_each_window_shape_is_counted_in_redis(redis_server) -> None:
    config = _config(redis_server.url, bybit={"per_second": 10, "per_minute": BIG},
                     okx={"per_second": 5, "per_minute": BIG}, htx={"per_second": BIG, "per_minute": 20})
    a, b = await _started(config, config)

    async def grants(exchange: str, endpoint: str, account: str | None = None) -> int:
        count = 0
        for limiter in (a, b) * 10:
            plan_ok = await limiter.acquire_permit(exchange, endpoint, Priority.HIGH) if account is None \
                else await _try_acquire(limiter, exchange, endpoint, account)
            count += plan_ok
        return count

    assert await grants("bybit", "fetch_ticker") == 9
    assert await grants("bybit", "fetch_balance") == 9  # per endpoint
    assert await grants("okx", "fetch_ticker") == 9  # 2 s window of 10
    assert await grants("htx", "fetch_time") == 18  # rolling minute
    await _close(a, b)


async def _try_acquire(limiter: RateLimiter, exchange: str, endpoint: str, account: str) -> bool:
    try:
        async with asyncio.timeout(0.05):
            async with limiter.acquire(exchange, endpoint, priority=Priority.HIGH, account=account):
                return True
    except TimeoutError:
        return False


async def test_a_429_seen_by_one_process_pauses_them_all(redis_server) -> None:
    config = _config(redis_server.url)
    a, b = await _started(config, config)
    a.observe(ResponseFeedback("okx", None, "fetch_time", 429, {"Retry-After": "30"}, time.time()))
    await asyncio.sleep(0.05)  # the pause is written in the background
    assert not await b.acquire_permit("okx", "fetch_time", Priority.HIGH)
    paused = b.usage("okx").paused_until
    assert paused is not None and 28 < paused - time.time() <= 30
    with pytest.raises(ExchangeError) as caught:
        async with b.acquire("okx", "fetch_time"):
            pass
    assert caught.value.kind is ErrorKind.RATE_LIMITED
    await _close(a, b)


async def test_a_418_seen_by_one_process_bans_them_all(redis_server) -> None:
    config = _config(redis_server.url)
    a, b = await _started(config, config)
    a.observe(ResponseFeedback("binance", "k", "fetch_time", 418, {"Retry-After": "600"}, time.time()))
    await asyncio.sleep(0.05)
    with pytest.raises(ExchangeError) as caught:
        async with b.acquire("binance", "fetch_time", account="other"):
            pass
    assert caught.value.kind is ErrorKind.BANNED
    assert b.usage("binance").banned_until is not None
    await _close(a, b)


async def test_foreign_usage_from_headers_is_shared(redis_server) -> None:
    config = _config(redis_server.url, binance={"per_second": BIG, "per_minute": 100})
    a, b = await _started(config, config)
    a.observe(ResponseFeedback("binance", None, "fetch_ticker", 200,
                               {"X-MBX-USED-WEIGHT-1M": "75"}, time.time()))
    await a.get_remaining_requests("binance", "fetch_ticker")  # a's next check carries the reading
    assert await b.get_remaining_requests("binance", "fetch_ticker") == 3  # (81 - 75) // 2
    await _close(a, b)


async def test_a_reading_no_check_carries_is_sent_alone(redis_server) -> None:
    config = _config(redis_server.url, binance={"per_second": BIG, "per_minute": 100})
    a, b = await _started(config, config)
    a.observe(ResponseFeedback("binance", None, "fetch_ticker", 200,
                               {"X-MBX-USED-WEIGHT-1M": "75"}, time.time()))
    deadline = time.monotonic() + 5
    while await b.get_remaining_requests("binance", "fetch_ticker") != 3:  # a sends it after FLUSH_S
        assert time.monotonic() < deadline, "the reading never reached Redis"
        await asyncio.sleep(0.02)
    await _close(a, b)


async def _hammer(limiter: RateLimiter, stop: asyncio.Event, outcomes: list[str]) -> None:
    while not stop.is_set():
        try:
            async with limiter.acquire("kraken", "fetch_time"):
                outcomes.append(limiter.backend)
        except ExchangeError as error:  # pragma: no cover - what the test forbids
            outcomes.append(f"error: {error}")
        await asyncio.sleep(0)


async def _wait_for(predicate, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_kill_9_falls_back_on_a_fair_share_and_returns_when_redis_is_back(redis_server) -> None:
    config = _config(redis_server.url, kraken={"per_second": BIG, "per_minute": BIG, "max_concurrent": 4})
    a, b = await _started(config, config)
    await a._backend._beat()  # both heartbeats are in: two live processes
    assert a._backend.live_processes == 2
    stop, outcomes = asyncio.Event(), []
    workers = [asyncio.create_task(_hammer(a, stop, outcomes)) for _ in range(3)]
    await _wait_for(lambda: len(outcomes) > 50)
    redis_server.kill()
    await _wait_for(lambda: a.backend == "fallback")
    served_during_outage = len(outcomes)
    await _wait_for(lambda: len(outcomes) > served_during_outage + 50)
    assert a._backend._fallback.share == 0.5
    redis_server.start()
    await _wait_for(lambda: a.backend == "redis")
    back = len(outcomes)
    await _wait_for(lambda: len(outcomes) > back + 50)
    stop.set()
    await asyncio.gather(*workers)
    assert not [o for o in outcomes if o.startswith("error")]  # no request was lost
    assert {"redis", "fallback"} <= set(outcomes)
    assert a._backend.trips >= 1  # more only if a loaded machine made Redis look slow
    await _close(a, b)


async def test_the_fallback_spends_only_its_fair_share(redis_server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared, "HOLD_S", 0.0)  # the share, after the first moments' headroom slice
    config = _config(redis_server.url, kraken={"per_second": BIG, "per_minute": 100})
    a, b, c, d = await _started(config, config, config, config)
    await a._backend._beat()
    assert a._backend.live_processes == 4
    redis_server.kill()
    granted = sum([await a.acquire_permit("kraken", "x", Priority.HIGH) for _ in range(100)])
    assert a.backend == "fallback"
    assert granted == 22  # 100 x 0.9 / 4 live processes = 22.5
    await _close(a, b, c, d)


async def test_the_first_moments_of_a_fallback_spend_only_the_headrooms_slice(
    redis_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis may be away for this process alone while the others fill the caps there: what it
    spends unseen must fit in what the caps leave of the limit (10% here), its slice of it."""
    monkeypatch.setattr(shared, "HOLD_S", 60.0)  # the whole test is the first moments
    config = _config(redis_server.url, kraken={"per_second": BIG, "per_minute": 200})
    a, b = await _started(config, config)
    await a._backend._beat()
    assert a._backend.live_processes == 2
    redis_server.kill()
    granted = sum([await a.acquire_permit("kraken", "x", Priority.HIGH) for _ in range(50)])
    assert a.backend == "fallback"
    assert granted == 10  # 200 x (1 - 0.9) / 2 live processes
    await _close(a, b)


async def test_a_ban_learnt_while_redis_was_away_is_shared_when_it_is_back(redis_server) -> None:
    config = _config(redis_server.url)
    a, b = await _started(config, config)
    redis_server.kill()
    for limiter in (a, b):
        await limiter.acquire_permit("kraken", "x", Priority.HIGH)
        assert limiter.backend == "fallback"
    a.observe(ResponseFeedback("binance", None, "fetch_time", 418, {"Retry-After": "600"}, time.time()))
    await asyncio.sleep(0.05)
    assert b.usage("binance").banned_until is None  # nobody could tell b
    redis_server.start()
    await _wait_for(lambda: a.backend == b.backend == "redis")
    with pytest.raises(ExchangeError) as caught:
        async with b.acquire("binance", "fetch_time"):
            pass
    assert caught.value.kind is ErrorKind.BANNED
    await _close(a, b)


async def test_a_stall_is_ridden_out_within_the_slice_and_a_freeze_opens_the_breaker(
    redis_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loaded host makes Redis's answer late now and then: the request at hand is decided
    within the socket timeout, on the headroom's slice, and the process stays on the shared
    budget. Only timeouts that last ``SUSPECT_S`` open the breaker."""
    monkeypatch.setattr(shared, "SOCKET_TIMEOUT_S", 0.05)
    monkeypatch.setattr(shared, "SUSPECT_S", 0.3)
    config = _config(redis_server.url, kraken={"per_second": BIG, "per_minute": BIG})
    (limiter,) = await _started(config)
    async with limiter.acquire("kraken", "fetch_time"):
        pass
    redis_server.stop()
    try:
        started = time.monotonic()
        async with limiter.acquire("kraken", "fetch_time"):
            took = time.monotonic() - started
        assert took < 1.0  # 50 ms socket timeout; the bound is loose so a busy machine passes
        assert limiter.backend == "redis"  # one late answer: still on the shared budget
        deadline = time.monotonic() + 5
        while limiter.backend == "redis" and time.monotonic() < deadline:
            async with limiter.acquire("kraken", "fetch_time"):
                pass
        assert limiter.backend == "fallback"  # timeouts that last are a frozen server
    finally:
        redis_server.cont()
    await _wait_for(lambda: limiter.backend == "redis")
    assert limiter._backend.trips == 1  # noqa: SLF001
    await _close(limiter)


async def test_a_late_answer_then_a_prompt_one_keeps_the_breaker_closed(
    redis_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared, "SOCKET_TIMEOUT_S", 0.05)
    monkeypatch.setattr(shared, "SUSPECT_S", 60.0)
    config = _config(redis_server.url, kraken={"per_second": BIG, "per_minute": BIG})
    (limiter,) = await _started(config)
    for _ in range(3):
        redis_server.stop()
        try:
            assert await limiter.acquire_permit("kraken", "x", Priority.HIGH)  # decided on the slice
        finally:
            redis_server.cont()
        assert await limiter.acquire_permit("kraken", "x", Priority.HIGH)  # Redis again
    assert limiter.backend == "redis" and limiter._backend.trips == 0  # noqa: SLF001
    await _close(limiter)


async def test_starting_without_redis_counts_locally(redis_server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared, "HOLD_S", 0.0)
    redis_server.kill()
    config = _config(redis_server.url, kraken={"per_second": 10, "per_minute": BIG})
    (limiter,) = await _started(config)
    assert limiter.backend == "fallback"
    assert await limiter.acquire_permit("kraken", "x", Priority.HIGH)
    await _close(limiter)


async def test_a_cluster_no_node_answers_counts_locally_and_comes_back(redis_server) -> None:
    """redis-py's cluster errors are not RedisErrors: one that escaped ended the probe and left
    the process on its local share for good."""
    from tests.redis_server import free_port

    config = _config(f"redis+cluster://127.0.0.1:{free_port()}", kraken={"per_second": 100, "per_minute": BIG})
    (limiter,) = await _started(config)  # nobody listens there: refused
    assert limiter.backend == "fallback"
    assert limiter.backend_state.reason == "redis unreachable (RedisClusterUnreachableError)"
    assert await limiter.acquire_permit("kraken", "x", Priority.HIGH)
    await _close(limiter)


_CHILD = """
import asyncio, json, sys
from cts_tui.config import Config
from cts_tui.ratelimit import Priority, RateLimiter, shared
shared.SOCKET_TIMEOUT_S = 2.0  # a loaded machine must not trip the breaker: this counts
async def main():
    config = Config()
    config.rate_limiting.backend = "redis"
    config.rate_limiting.redis_url = sys.argv[1]
    config.rate_limiting.key_prefix = "multi"
    config.exchanges["kraken"].per_second = 10**6
    config.exchanges["kraken"].per_minute = 200
    limiter = RateLimiter.from_config(config)
    await limiter.start()
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    sys.stdin.readline()
    granted = 0
    for _ in range(200):
        granted += await limiter.acquire_permit("kraken", "fetch_time", Priority.HIGH)
    await limiter.close()
    print(json.dumps({"granted": granted}))
asyncio.run(main())
"""


def test_several_processes_share_one_budget(redis_server) -> None:
    children = [subprocess.Popen([sys.executable, "-c", _CHILD, redis_server.url],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                for _ in range(3)]
    for child in children:
        assert child.stdout.readline().strip() == "ready"
    for child in children:  # all start spending together
        child.stdin.write("go\n")
        child.stdin.flush()
    totals = []
    for child in children:
        out, _ = child.communicate(timeout=60)
        totals.append(json.loads(out.strip().splitlines()[-1])["granted"])
    assert sum(totals) == 180  # 200 x 0.9 at HIGH, whoever got them


def test_a_malformed_redis_url_is_a_config_error_that_hides_the_url() -> None:
    config = _config("redis://:hunter2secret@localhost:notaport/0")
    with pytest.raises(ConfigError) as caught:
        RateLimiter.from_config(config)
    assert "hunter2secret" not in str(caught.value) and "redis_url" in str(caught.value)
