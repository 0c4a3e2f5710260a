"""The limiter with its in-process backend: budgets, priorities, waiting and cancellation."""

from __future__ import annotations

import asyncio
import time

import pytest

from cts_tui.errors import ErrorKind, ExchangeError
from cts_tui.ratelimit import Priority, RateLimiter, request_priority
from cts_tui.ratelimit.local import LocalBackend

from .helpers import FakeClock, make_config

BIG = 10**6


async def _grants(limiter: RateLimiter, exchange: str, endpoint: str, priority: Priority,
                  tries: int = 100) -> int:
    granted = 0
    for _ in range(tries):
        granted += await limiter.acquire_permit(exchange, endpoint, priority)
    return granted


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _limiter(clock: FakeClock, **exchanges: dict) -> RateLimiter:
    return RateLimiter(make_config(**exchanges), LocalBackend(clock=clock))


async def test_each_priority_fills_its_ceiling_of_the_headroomed_budget(clock: FakeClock) -> None:
    # per second 10, headroom 0.9: HIGH 9, NORMAL 8.1, LOW 6.3 -> 6 / 8 / 9 whole requests
    for priority, expected in ((Priority.LOW, 6), (Priority.NORMAL, 8), (Priority.HIGH, 9)):
        limiter = _limiter(clock, kraken={"per_second": 10, "per_minute": BIG})
        assert await _grants(limiter, "kraken", "fetch_time", priority) == expected
        await limiter.close()


async def test_high_still_has_room_when_low_has_filled_its_ceiling(clock: FakeClock) -> None:
    limiter = _limiter(clock, kraken={"per_second": 10, "per_minute": BIG})
    assert await _grants(limiter, "kraken", "fetch_time", Priority.LOW) == 6
    assert await _grants(limiter, "kraken", "fetch_time", Priority.HIGH) == 3
    clock.advance(1.0)
    assert await _grants(limiter, "kraken", "fetch_time", Priority.LOW) == 6
    await limiter.close()


async def test_high_is_never_starved_by_low_waiters(clock: FakeClock) -> None:
    limiter = _limiter(clock, kraken={"per_second": 10, "per_minute": BIG})
    assert await _grants(limiter, "kraken", "fetch_time", Priority.LOW) == 6
    lows = [asyncio.create_task(_enter_and_hold(limiter, "kraken", Priority.LOW)) for _ in range(20)]
    await asyncio.sleep(0.01)
    assert limiter.usage("kraken").queued == (0, 0, 20)
    for _ in range(3):  # the room above LOW's ceiling is HIGH's, at once, whoever waits
        async with asyncio.timeout(1):
            async with limiter.acquire("kraken", "fetch_time", priority=Priority.HIGH):
                pass
    assert limiter.usage("kraken").queued == (0, 0, 20)
    await limiter.close()
    await asyncio.gather(*lows, return_exceptions=True)


async def test_binance_minute_counts_weight_and_resets_on_the_clock_minute(clock: FakeClock) -> None:
    clock.wall = 1_700_000_000.0 - 1_700_000_000.0 % 60 + 30  # mid-minute
    limiter = _limiter(clock, binance={"per_second": BIG, "per_minute": 100})
    # NORMAL cap 100 * 0.9 * 0.9 = 81: four fetch_balance (20 each), then a ticker (2) fits
    assert await _grants(limiter, "binance", "fetch_balance", Priority.NORMAL) == 4
    assert await _grants(limiter, "binance", "fetch_ticker", Priority.NORMAL) == 0
    assert limiter.usage("binance").windows[1].used == 80
    clock.advance(30.0)  # the next UTC minute, only 30 s after the first grant
    assert await _grants(limiter, "binance", "fetch_ticker", Priority.NORMAL) == 40
    await limiter.close()


async def test_binance_second_window_counts_requests_not_weight(clock: FakeClock) -> None:
    limiter = _limiter(clock, binance={"per_second": 10, "per_minute": BIG})
    assert await _grants(limiter, "binance", "fetch_balance", Priority.HIGH) == 9
    await limiter.close()


async def test_bybit_counts_each_endpoint_and_each_key_on_its_own(clock: FakeClock) -> None:
    limiter = _limiter(clock, bybit={"per_second": 10, "per_minute": BIG})
    async def grants(endpoint: str, account: str | None) -> int:
        granted = 0
        for _ in range(30):
            try:
                async with asyncio.timeout(0.05):
                    async with limiter.acquire("bybit", endpoint, priority=Priority.HIGH,
                                               account=account):
                        granted += 1
            except TimeoutError:
                break
        return granted
    assert await grants("fetch_ticker", "k1") == 9
    assert await grants("fetch_balance", "k1") == 9
    assert await grants("fetch_ticker", "k2") == 9
    clock.advance(1.0)
    assert await grants("fetch_ticker", "k1") == 9
    await limiter.close()


async def test_okx_endpoint_window_is_two_seconds_of_twice_the_per_second(clock: FakeClock) -> None:
    limiter = _limiter(clock, okx={"per_second": 5, "per_minute": BIG})
    assert await _grants(limiter, "okx", "fetch_ticker", Priority.HIGH) == 9  # 10 * 0.9
    clock.advance(1.5)
    assert await _grants(limiter, "okx", "fetch_ticker", Priority.HIGH) == 0
    clock.advance(0.5)
    assert await _grants(limiter, "okx", "fetch_ticker", Priority.HIGH) == 9
    assert await _grants(limiter, "okx", "fetch_balance", Priority.HIGH) == 9
    await limiter.close()


async def test_rolling_minute_applies_to_every_simple_exchange(clock: FakeClock) -> None:
    limiter = _limiter(clock, htx={"per_second": BIG, "per_minute": 20})
    assert await _grants(limiter, "htx", "fetch_time", Priority.HIGH) == 18
    clock.advance(59.0)
    assert await _grants(limiter, "htx", "fetch_time", Priority.HIGH) == 0
    clock.advance(1.0)
    assert await _grants(limiter, "htx", "fetch_time", Priority.HIGH) == 18
    await limiter.close()


async def test_a_slot_is_held_until_exit_and_low_cannot_take_the_last_ones() -> None:
    limiter = RateLimiter.from_config(
        make_config(bingx={"per_second": BIG, "per_minute": BIG, "max_concurrent": 3}))
    async with limiter.acquire("bingx", "a", priority=Priority.LOW):
        async with limiter.acquire("bingx", "a", priority=Priority.LOW):
            assert limiter.usage("bingx").concurrent_in_use == 2
            low = asyncio.create_task(_enter_and_hold(limiter, "bingx", Priority.LOW))
            await asyncio.sleep(0.05)
            assert not low.done() and limiter.usage("bingx").queued == (0, 0, 1)
            async with asyncio.timeout(5):
                async with limiter.acquire("bingx", "a", priority=Priority.HIGH):
                    assert limiter.usage("bingx").concurrent_in_use == 3
        async with asyncio.timeout(5):
            await low
    assert limiter.usage("bingx").concurrent_in_use == 0
    await limiter.close()


async def _enter_and_hold(limiter: RateLimiter, exchange: str, priority: Priority,
                          order: list[str] | None = None, tag: str = "") -> None:
    async with limiter.acquire(exchange, "fetch_time", priority=priority):
        if order is not None:
            order.append(tag)


async def test_waiters_are_served_by_priority_then_first_come_first_served() -> None:
    limiter = RateLimiter.from_config(
        make_config(kraken={"per_second": BIG, "per_minute": BIG, "max_concurrent": 1}))
    order: list[str] = []
    tasks = []
    async with limiter.acquire("kraken", "fetch_time", priority=Priority.HIGH):
        for tag, priority in (("low1", Priority.LOW), ("normal1", Priority.NORMAL),
                              ("low2", Priority.LOW), ("high", Priority.HIGH),
                              ("normal2", Priority.NORMAL)):
            tasks.append(asyncio.create_task(_enter_and_hold(limiter, "kraken", priority, order, tag)))
            await asyncio.sleep(0)
        await asyncio.sleep(0.01)
        assert limiter.usage("kraken").queued == (1, 2, 2)
    async with asyncio.timeout(5):
        await asyncio.gather(*tasks)
    assert order == ["high", "normal1", "normal2", "low1", "low2"]
    await limiter.close()


async def test_a_waiter_for_a_full_window_is_granted_when_the_window_frees_up() -> None:
    limiter = RateLimiter.from_config(make_config(kraken={"per_second": 5, "per_minute": BIG}))
    started = time.monotonic()
    async with asyncio.timeout(10):
        for _ in range(5):  # 4 fit in the first second (5 * 0.9 * 0.9), the fifth waits for it
            async with limiter.acquire("kraken", "fetch_time"):
                pass
    assert time.monotonic() - started >= 0.9
    await limiter.close()


async def test_priority_comes_from_the_context_when_not_given(clock: FakeClock) -> None:
    limiter = _limiter(clock, kraken={"per_second": 10, "per_minute": BIG})
    granted = 0
    with request_priority(Priority.LOW):
        for _ in range(20):
            try:
                async with asyncio.timeout(0.05):
                    async with limiter.acquire("kraken", "fetch_time"):
                        granted += 1
            except TimeoutError:
                break
    assert granted == 6
    await limiter.close()


async def test_a_cancelled_waiter_leaves_the_queue_and_spends_nothing(clock: FakeClock) -> None:
    limiter = _limiter(clock, kraken={"per_second": 1, "per_minute": BIG})
    assert await limiter.acquire_permit("kraken", "x", Priority.HIGH)
    waiters = [asyncio.create_task(_enter_and_hold(limiter, "kraken", Priority.NORMAL))
               for _ in range(3)]
    await asyncio.sleep(0.02)
    assert limiter.usage("kraken").queued == (0, 3, 0)
    waiters[0].cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiters[0]
    assert limiter.usage("kraken").queued == (0, 2, 0)
    clock.advance(1.0)
    async with asyncio.timeout(5):
        await waiters[1]
    assert not waiters[2].done()
    waiters[2].cancel()
    await asyncio.gather(waiters[2], return_exceptions=True)
    usage = limiter.usage("kraken")
    assert usage.queued == (0, 0, 0) and usage.concurrent_in_use == 0
    assert usage.windows[0].used == 1
    await limiter.close()


async def test_waiting_past_the_timeout_is_a_rate_limited_error(clock: FakeClock) -> None:
    limiter = _limiter(clock, kraken={"per_second": 1, "per_minute": BIG,
                                      }, _rl={"acquire_timeout_s": 0.1})
    assert await limiter.acquire_permit("kraken", "x", Priority.HIGH)
    with pytest.raises(ExchangeError) as caught:
        async with limiter.acquire("kraken", "x"):
            pass
    assert caught.value.kind is ErrorKind.RATE_LIMITED
    assert limiter.usage("kraken").queued == (0, 0, 0)
    await limiter.close()


async def test_close_fails_whoever_still_waits(clock: FakeClock) -> None:
    limiter = _limiter(clock, kraken={"per_second": 1, "per_minute": BIG})
    assert await limiter.acquire_permit("kraken", "x", Priority.HIGH)
    waiter = asyncio.create_task(_enter_and_hold(limiter, "kraken", Priority.NORMAL))
    await asyncio.sleep(0.01)
    await limiter.close()
    with pytest.raises(ExchangeError):
        await waiter


async def test_remaining_requests_follow_the_tightest_window(clock: FakeClock) -> None:
    limiter = _limiter(clock, binance={"per_second": 10, "per_minute": 100})
    assert await limiter.get_remaining_requests("binance", "fetch_ticker") == 8
    assert await limiter.get_remaining_requests("binance", "fetch_balance") == 4
    with request_priority(Priority.HIGH):
        assert await limiter.get_remaining_requests("binance", "fetch_balance") == 4
        assert await limiter.get_remaining_requests("binance", "fetch_ticker") == 9
    await limiter.close()


async def test_reconfigure_applies_new_limits_live(clock: FakeClock) -> None:
    config = make_config(kraken={"per_second": 10, "per_minute": BIG})
    limiter = RateLimiter(config, LocalBackend(clock=clock))
    assert await _grants(limiter, "kraken", "x", Priority.HIGH) == 9
    config = make_config(kraken={"per_second": 20, "per_minute": BIG})
    limiter.reconfigure(config)
    assert await _grants(limiter, "kraken", "x", Priority.HIGH) == 9  # 18 in all now
    assert limiter.usage("kraken").windows[0].limit == 20
    await limiter.close()


async def test_an_unknown_or_disabled_exchange_is_a_clear_error() -> None:
    limiter = RateLimiter.from_config(make_config(kraken={"enabled": False}))
    for name in ("kraken", "nosuch"):
        with pytest.raises(ExchangeError, match="no rate limits configured"):
            limiter.acquire(name, "x")
    await limiter.close()
