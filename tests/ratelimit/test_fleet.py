"""The fleet of processes sharing the budgets through a real Redis: each registers itself with its
heartbeat, reports its requests per exchange, and drops out when its heartbeat stops."""

from __future__ import annotations

import asyncio
import os
import socket

import pytest

from cts_tui import __version__
from cts_tui.ratelimit import Priority, RateLimiter, shared
from cts_tui.ratelimit.fleet import FleetRegistry
from cts_tui.views.fleet import Fleet, FleetMember
from cts_tui.ratelimit.redis_client import connect
from cts_tui.ratelimit.shared import SharedBackend
from tests.core.helpers import eventually

from .helpers import make_config


@pytest.fixture(autouse=True)
def quick_beats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared, "SOCKET_TIMEOUT_S", 2.0)
    monkeypatch.setattr(shared, "HEARTBEAT_S", 0.05)
    monkeypatch.setattr(shared, "LIVE_S", 0.5)  # who beat last more than this ago is gone
    monkeypatch.setattr(shared, "BEAT_RIDE_S", 0.01)  # no check carries these beats: alone at once


def _config(url: str):
    return make_config(htx={"per_second": 10**6, "per_minute": 1000},
                       _rl={"backend": "redis", "redis_url": url, "key_prefix": "fleet"})


async def test_each_process_registers_with_its_identity_and_its_requests(redis_server) -> None:
    a = RateLimiter.from_config(_config(redis_server.url), kind="serve")
    b = RateLimiter.from_config(_config(redis_server.url), kind="tui")
    await a.start()
    await b.start()
    try:
        for _ in range(3):
            assert await a.acquire_permit("htx", "fetch_ticker", Priority.HIGH)
        assert await b.acquire_permit("htx", "fetch_ticker", Priority.HIGH)
        await eventually(lambda: b.fleet is not None and b.fleet.spent("htx") == 4)
        fleet = b.fleet
        assert fleet is not None
        assert sorted(m.kind for m in fleet.members) == ["serve", "tui"]
        assert {(m.host, m.pid, m.version) for m in fleet.members} == {(socket.gethostname(), os.getpid(), __version__)}
        assert sorted(m.spent["htx"] for m in fleet.members) == [1, 3]
        assert fleet.me in {m.id for m in fleet.members}
        assert fleet.headline() == "2 processes on 1 host share these budgets"
    finally:
        await a.close()
        await b.close()


async def test_a_process_that_stops_beating_drops_out_and_a_closed_one_leaves_at_once(redis_server) -> None:
    connection = connect(_config(redis_server.url).rate_limiting, 2.0)
    silent = FleetRegistry(connection.client, "fleet", "silent", "library")
    a = RateLimiter.from_config(_config(redis_server.url))
    await a.start()
    try:
        assert a.fleet is not None
        listed = await silent.beat(60_000, {})  # beats once (removing nobody), then never again
        assert {m.id for m in listed.members} == {"silent", a.fleet.me}
        await eventually(lambda: a.fleet is not None and [m.id for m in a.fleet.members] == [a.fleet.me])
        closing = RateLimiter.from_config(_config(redis_server.url))
        await closing.start()
        await eventually(lambda: a.fleet is not None and len(a.fleet.members) == 2)
        gone = closing.fleet.me if closing.fleet is not None else ""
        await closing.close()
        listed = await silent.beat(60_000, {})  # a long liveness: only leaving removes it now
        assert gone and gone not in {m.id for m in listed.members}
    finally:
        await a.close()
        await connection.aclose()


async def test_a_close_ends_wherever_it_meets_the_heartbeat(redis_server, monkeypatch: pytest.MonkeyPatch) -> None:
    # On Python 3.11 redis-py loses a cancellation that lands as a command's send completes; the
    # heartbeat then ran on and close() waited for it for good (the CI hang of this file).
    monkeypatch.setattr(shared, "HEARTBEAT_S", 0)  # one beat after another: every close meets one
    settings = _config(redis_server.url).rate_limiting
    for steps in range(12):
        backend = SharedBackend(settings)
        await backend.start()
        for _ in range(steps):  # close at each step of the next beat in turn
            await asyncio.sleep(0)
        async with asyncio.timeout(5):
            await backend.close()


async def test_registering_beating_and_leaving_never_wait_on_a_frozen_or_dead_redis(
    redis_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared, "SOCKET_TIMEOUT_S", 0.05)
    monkeypatch.setattr(shared, "HEARTBEAT_S", 0)
    settings = _config(redis_server.url).rate_limiting
    beating = SharedBackend(settings)
    await beating.start()
    redis_server.stop()  # frozen under a beat in flight
    try:
        registering = SharedBackend(settings)
        async with asyncio.timeout(5):
            await registering.start()
            assert registering.name == "fallback"
            await registering.close()
            await beating.close()
    finally:
        redis_server.cont()
    killed = SharedBackend(settings)
    await killed.start()
    redis_server.kill()
    async with asyncio.timeout(5):
        await killed.close()


def test_the_headline_counts_processes_and_hosts() -> None:
    def member(host: str, n: int) -> FleetMember:
        return FleetMember(f"{host}{n}", host, n, "serve", "1", 0.0, 0.0, {"okx": n})

    fleet = Fleet("a1", (member("a", 1), member("a", 2), member("b", 3)), 0.0)
    assert fleet.headline() == "3 processes on 2 hosts share these budgets"
    assert Fleet("a1", (member("a", 1),), 0.0).headline() == "1 process on 1 host shares these budgets"
    assert fleet.spent("okx") == 6 and fleet.spent("htx") == 0


async def test_a_heartbeat_rides_in_the_pipeline_of_the_next_check(redis_server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared, "BEAT_RIDE_S", 60.0)  # alone only after a minute
    limiter = RateLimiter.from_config(_config(redis_server.url))
    await limiter.start()
    backend = limiter._backend  # noqa: SLF001
    assert isinstance(backend, SharedBackend)
    try:
        await eventually(lambda: backend._scripts.deferred)  # noqa: SLF001 - a beat waits for a carrier
        before = limiter.fleet
        assert await limiter.acquire_permit("htx", "fetch_ticker", Priority.HIGH)
        await eventually(lambda: limiter.fleet is not before)  # answered with the check
    finally:
        async with asyncio.timeout(5):
            await limiter.close()  # a beat still waiting for a carrier does not hold it
