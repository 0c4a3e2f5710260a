"""What the gauges read: each window's fullest instance against that instance's own limit (a
pool's quota, an endpoint's documented limit), not against the window's nominal one."""

from __future__ import annotations

from cts_tui.ratelimit import RateLimiter
from cts_tui.ratelimit.local import LocalBackend
from cts_tui.venues.kucoin import FUTURES_HOST, SPOT_HOST

from .helpers import FakeClock, make_config


def _limiter() -> RateLimiter:
    return RateLimiter(make_config(), LocalBackend(clock=FakeClock()))


async def _spend(limiter: RateLimiter, exchange: str, endpoint: str, times: int = 1, **terms: object) -> None:
    for _ in range(times):
        async with limiter.acquire(exchange, endpoint, account="key", **terms):  # type: ignore[arg-type]
            pass


async def test_a_pool_reads_against_its_own_quota_and_the_fullest_pool_by_share_is_shown() -> None:
    limiter = _limiter()
    # Futures 1500 of its 2000 (75 %) is fuller than Spot's 2000 of 4000 (50 %), though smaller.
    await _spend(limiter, "kucoin", "GET /api/v1/orders", weight=1500, host=FUTURES_HOST)
    await _spend(limiter, "kucoin", "GET /api/v1/orders", weight=2000, host=SPOT_HOST)

    usage = limiter.usage("kucoin")
    pools = next(w for w in usage.windows if w.name == "30s/pool")
    assert (pools.part, pools.used, pools.limit, pools.by_exchange) == ("futures", 1500, 2000, True)
    assert [(w.part, w.used, w.limit) for w in usage.instances] == [("futures", 1500, 2000), ("spot", 2000, 4000)]
    assert usage.tightest_by_exchange == pools
    assert usage.fraction == 0.75


async def test_an_endpoint_window_reads_against_the_endpoints_documented_limit() -> None:
    limiter = _limiter()  # OKX: 40 per 2 s by the config, the balance endpoint 10, the ticker 20
    await _spend(limiter, "okx", "GET /api/v5/account/balance", 6)
    await _spend(limiter, "okx", "GET /api/v5/market/ticker", 10)

    usage = limiter.usage("okx")
    endpoint = usage.windows[0]
    assert (endpoint.label, endpoint.used, endpoint.limit) == ("2s/endpoint get /api/v5/account/balance", 6, 10)
    assert [(w.part, w.limit) for w in usage.instances] == [
        ("get /api/v5/account/balance", 10), ("get /api/v5/market/ticker", 20)]
    assert usage.windows[1].by_exchange is False  # the config's minute is ours


async def test_a_window_of_many_with_nothing_charged_reads_empty_at_its_nominal_limit() -> None:
    usage = _limiter().usage("kucoin")
    pools = next(w for w in usage.windows if w.name == "30s/pool")
    assert (pools.part, pools.used, pools.limit) == (None, 0, 4000)
    assert usage.instances == ()
