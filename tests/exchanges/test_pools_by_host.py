"""A path two hosts of an exchange share is charged to the pool of the host the request goes to
(KuCoin's /api/v1/orders: the Spot pool's on api.kucoin.com, the Futures pool's on
api-futures.kucoin.com), in our limiter as at the simulated exchange."""

from __future__ import annotations

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.config import Config
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.ratelimit import RateLimiter
from cts_tui.sim import Simulator

from .helpers import connection_for


async def test_futures_traffic_fills_the_futures_pool_and_not_spot(sim: Simulator, config: Config) -> None:
    limiter = RateLimiter.from_config(config)
    hub = ExchangeHub(config, limiter)
    try:
        client = hub.client_for(connection_for(sim, ExchangeId.KUCOIN, ApiType.PERPETUAL_FUTURES))
        for _ in range(3):
            assert await client.call("fetch_open_orders", "BTC/USDT:USDT") == []
    finally:
        await hub.close()
        await limiter.close()
    pools = {w.part: w for w in limiter.usage("kucoin").instances}
    assert "spot" not in pools
    assert pools["futures"].used >= 6 and pools["futures"].limit == 2000  # three lists of weight 2
    orders = [e for e in sim.journal.entries(exchange="kucoin") if e.endpoint == "/api/v1/orders"]
    assert [(e.status, e.weight) for e in orders] == [(200, 2)] * 3
