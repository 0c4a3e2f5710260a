"""One process cut off from Redis while another stays on it and spends the whole budget there:
what it spends unseen fits in what the caps leave of the limit, so no window goes over the limit
at the exchange (judged by the simulator's journal): its commands time out, which may be its
alone, so it keeps to its slice of the headroom until Redis answers again. OKX, because it reports no usage in its
headers: with Bybit's, the process on Redis would learn the other's spending from the exchange."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from cts_tui.capabilities import ExchangeId
from cts_tui.config import Config
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.ratelimit import RateLimiter, shared
from cts_tui.sim import Journal, Simulator
from tests.core.helpers import eventually

from .test_against_sim import _connection, _flat_out

LIMIT = 10
"""OKX's balance endpoint: 10 requests per 2 s."""
BALANCE = "/api/v5/account/balance"


class Cut:
    """A loopback TCP relay to Redis that can stop relaying: the one process behind it loses
    Redis (its commands time out) while the server stays up for everyone else."""

    def __init__(self, port: int) -> None:
        self._port = port
        self.cut = False
        self._relays: set[asyncio.Task[None]] = set()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if not self.cut:
                    writer.write(data)
                    await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._port)
        for pair in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._relay(*pair))
            self._relays.add(task)
            task.add_done_callback(self._relays.discard)

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        try:
            yield f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/0"
        finally:
            server.close()
            for task in list(self._relays):
                task.cancel()
            await asyncio.gather(*self._relays, return_exceptions=True)
            await server.wait_closed()


def _config(url: str) -> Config:
    config = Config()
    config.rate_limiting.backend, config.rate_limiting.redis_url = "redis", url
    config.rate_limiting.acquire_timeout_s = 0.3  # a refused caller tries again soon
    config.exchanges["okx"].per_second, config.exchanges["okx"].per_minute = LIMIT // 2, 10_000
    return config


async def test_a_process_cut_off_from_redis_alone_keeps_the_exchange_within_its_limit(
    sim: Simulator, redis_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared, "SOCKET_TIMEOUT_S", 0.2)  # only the cut one trips, even when busy
    sim.set_limits("okx", balance_per_2s=LIMIT)
    cut = Cut(redis_server.port)
    async with cut.serving() as cut_url, contextlib.AsyncExitStack() as stack:
        configs = [_config(url) for url in (cut_url, redis_server.url)]
        limiters = [RateLimiter.from_config(config) for config in configs]
        for limiter in limiters:
            await limiter.start()
            stack.push_async_callback(limiter.close)
        connection = _connection(sim, ExchangeId.OKX)
        async with contextlib.AsyncExitStack() as hubs_open:
            hubs = [await hubs_open.enter_async_context(ExchangeHub(config, limiter))
                    for config, limiter in zip(configs, limiters, strict=True)]
            clients = [hub.client_for(connection) for hub in hubs]
            start = time.monotonic()

            def arrived() -> list:
                return sim.journal.entries(exchange="okx", endpoint=BALANCE, since_mono=start)

            cut_at: list[float] = []

            async def cut_when_busy() -> None:
                await eventually(lambda: len(arrived()) >= 4)
                cut.cut = True
                cut_at.append(time.monotonic())
                await eventually(lambda: limiters[0].backend == "fallback")

            await asyncio.gather(cut_when_busy(), *(_flat_out(c.fetch_balance, tasks=4, seconds=2.6) for c in clients))
        assert limiters[1].backend == "redis"
    entries = arrived()
    assert not [e for e in entries if e.outcome != "ok"]
    assert Journal.max_in_window(entries, 2.0) <= LIMIT
    assert len([e for e in entries if e.mono > cut_at[0]]) >= 6  # the other went on spending
