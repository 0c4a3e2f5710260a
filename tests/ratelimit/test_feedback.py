"""Responses that tell us to slow down, stop, or that someone else spent our budget."""

from __future__ import annotations

import asyncio
import time

import pytest

from cts_tui.errors import ErrorKind, ExchangeError
from cts_tui.ratelimit import Priority, RateLimiter, ResponseFeedback
from cts_tui.ratelimit.local import LocalBackend
from cts_tui.ratelimit.plan import account_id

from .helpers import make_config

BIG = 10**6


def _feedback(exchange: str, status: int = 200, account: str | None = None,
              endpoint: str = "fetch_ticker", **headers: str) -> ResponseFeedback:
    return ResponseFeedback(exchange, account, endpoint, status,
                            {k.replace("_", "-"): v for k, v in headers.items()}, time.time())


async def test_429_with_retry_after_pauses_the_exchange_for_that_long() -> None:
    limiter = RateLimiter.from_config(make_config(_rl={"acquire_timeout_s": 1.0}))
    limiter.observe(_feedback("binance", 429, Retry_After="30"))
    usage = limiter.usage("binance")
    assert usage.paused_until is not None and 29 < usage.paused_until - time.time() <= 30
    assert usage.banned_until is None
    assert not await limiter.acquire_permit("binance", "fetch_time", Priority.HIGH)
    assert await limiter.get_remaining_requests("binance", "fetch_time") == 0
    with pytest.raises(ExchangeError) as caught:  # fails at once: the pause outlasts the timeout
        async with limiter.acquire("binance", "fetch_time"):
            pass
    assert caught.value.kind is ErrorKind.RATE_LIMITED and caught.value.retry_after > 28
    await limiter.close()


async def test_a_short_pause_is_waited_out() -> None:
    limiter = RateLimiter.from_config(make_config())
    limiter.observe(_feedback("okx", 429, Retry_After="0.2"))
    started = time.monotonic()
    async with asyncio.timeout(5):
        async with limiter.acquire("okx", "fetch_time"):
            waited = time.monotonic() - started
    assert waited >= 0.15
    await limiter.close()


async def test_429_without_retry_after_backs_off_exponentially_with_jitter() -> None:
    limiter = RateLimiter.from_config(make_config())
    pauses = []
    for _ in range(4):
        limiter.observe(_feedback("okx", 429, account="k1"))
        pauses.append(limiter.usage("okx").paused_until - time.time())
    for n, pause in enumerate(pauses):
        assert 2**n * 0.98 <= pause <= 2**n * 1.25 + 0.05
    limiter.observe(_feedback("okx", 200, account="k1"))
    limiter.observe(_feedback("okx", 429, account="k2"))  # another key has its own count
    assert limiter._backoff.pause_for(f"okx|{account_id('k1')}") <= 1.25  # success reset the strikes
    await limiter.close()


async def test_a_per_key_pause_leaves_the_other_keys_of_that_exchange_alone() -> None:
    limiter = RateLimiter.from_config(make_config(_rl={"acquire_timeout_s": 1.0}))
    limiter.observe(_feedback("bybit", 429, account="k1", Retry_After="30"))
    for account, ok in (("k1", False), ("k2", True)):
        try:
            async with limiter.acquire("bybit", "fetch_time", account=account):
                pass
            granted = True
        except ExchangeError:
            granted = False
        assert granted is ok
    await limiter.close()


async def test_418_is_a_hard_stop_for_the_whole_ip_until_its_time() -> None:
    limiter = RateLimiter.from_config(make_config())
    limiter.observe(_feedback("binance", 418, account="k1", Retry_After="120"))
    usage = limiter.usage("binance")
    assert usage.banned_until is not None and 119 < usage.banned_until - time.time() <= 120
    with pytest.raises(ExchangeError) as caught:
        async with limiter.acquire("binance", "fetch_time", account="k2", priority=Priority.HIGH):
            pass
    assert caught.value.kind is ErrorKind.BANNED and caught.value.banned_until is not None
    assert not caught.value.kind.counts_for_breaker
    await limiter.close()


async def test_418_without_a_time_bans_for_two_minutes_then_longer() -> None:
    limiter = RateLimiter.from_config(make_config())
    limiter.observe(_feedback("bingx", 418))
    first = limiter.usage("bingx").banned_until - time.time()
    limiter.observe(_feedback("bingx", 418))
    second = limiter.usage("bingx").banned_until - time.time()
    assert 119 < first <= 120 and 239 < second <= 240
    await limiter.close()


async def test_binance_used_weight_header_raises_our_count_to_the_exchanges() -> None:
    limiter = RateLimiter.from_config(make_config(binance={"per_second": BIG, "per_minute": 100}))
    async with limiter.acquire("binance", "fetch_ticker"):
        pass
    assert limiter.usage("binance").windows[1].used == 2
    limiter.observe(_feedback("binance", X_MBX_USED_WEIGHT_1M="70"))  # another bot on this IP
    assert limiter.usage("binance").windows[1].used == 70
    assert await limiter.get_remaining_requests("binance", "fetch_ticker") == 5  # (81 - 70) // 2
    limiter.observe(_feedback("binance", X_MBX_USED_WEIGHT_1M="10"))  # never lowers ours
    assert limiter.usage("binance").windows[1].used == 70
    await limiter.close()


async def test_bybit_limit_status_headers_raise_the_endpoint_count_and_pause_when_exhausted() -> None:
    limiter = RateLimiter.from_config(make_config(bybit={"per_second": 10, "per_minute": BIG}))
    limiter.observe(_feedback("bybit", account="k1", X_Bapi_Limit_Status="2", X_Bapi_Limit="10"))
    assert limiter.usage("bybit").windows[0].used == 8
    reset_ms = str(int((time.time() + 5) * 1000))
    limiter.observe(_feedback("bybit", account="k1", X_Bapi_Limit_Status="0", X_Bapi_Limit="10",
                              X_Bapi_Limit_Reset_Timestamp=reset_ms))
    paused = limiter.usage("bybit").paused_until
    assert paused is not None and 4 < paused - time.time() <= 5
    assert await limiter.acquire_permit("bybit", "fetch_ticker", Priority.HIGH)  # public scope
    await limiter.close()


async def test_bingx_exhausted_quota_pauses_until_it_expires() -> None:
    limiter = RateLimiter.from_config(make_config())
    limiter.observe(_feedback("bingx", X_RateLimit_Requests_Remain="0",
                              X_RateLimit_Requests_Expire="3"))
    paused = limiter.usage("bingx").paused_until
    assert paused is not None and 2 < paused - time.time() <= 3
    await limiter.close()


async def test_kucoin_pool_headers_raise_that_pools_count_and_pause_when_it_is_spent() -> None:
    """KuCoin counts weight per resource pool: a signed balance read draws on the Management pool
    (2000 per 30 s), the ticker on the Public one; ``gw-ratelimit-reset`` is ms until the reset."""
    limiter = RateLimiter.from_config(make_config(kucoin={"per_second": BIG, "per_minute": BIG}))
    balance = "GET /api/v1/accounts"
    limiter.observe(_feedback("kucoin", account="k1", endpoint=balance, gw_ratelimit_limit="2000",
                              gw_ratelimit_remaining="1500"))
    assert limiter.usage("kucoin").windows[2].used == 500
    limiter.observe(_feedback("kucoin", 429, account="k1", endpoint=balance, gw_ratelimit_limit="2000",
                              gw_ratelimit_remaining="0", gw_ratelimit_reset="4000"))
    paused = limiter.usage("kucoin").paused_until
    assert paused is not None and 3 < paused - time.time() <= 4
    assert await limiter.acquire_permit("kucoin", "GET /api/v1/market/orderbook/level1", Priority.HIGH)  # public
    await limiter.close()


async def test_feedback_for_an_unknown_exchange_is_ignored_and_old_bans_expire() -> None:
    limiter = RateLimiter(make_config(), LocalBackend())
    limiter.observe(_feedback("nosuch", 418))
    limiter.observe(ResponseFeedback("kraken", None, "x", 429, {"Retry-After": "1"},
                                     time.time() - 5))  # already over
    assert limiter.usage("kraken").paused_until is None
    await limiter.close()
