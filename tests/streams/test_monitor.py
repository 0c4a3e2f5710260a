"""StreamMonitor against the simulator: every exchange live, native heartbeats answered, stalls
detected within the threshold, reconnects without duplicate subscriptions, nothing leaked."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import pytest

from cts_tui.streams import StreamMonitor
from cts_tui.views.streams import StreamState

from .conftest import ALL, PUSH_INTERVAL_S, eventually, monitor, stream_settings

STALL_AFTER_S = 0.4


def topics(sim, name: str) -> list[list[str]]:
    """The server's view: per live connection, its subscriptions."""
    return sorted(sorted(s.subscriptions) for s in sim.streams.sessions(name))


async def test_every_exchange_goes_live_with_rate_and_lateness(sim):
    async with monitor(sim, *ALL) as mon:
        await eventually(lambda: all(v.messages >= 20 for v in mon.snapshot()), 20, "messages on every stream")
        views = {v.exchange: v for v in mon.snapshot()}
        subscribed = {name: [len(t) for t in topics(sim, name)] for name in ALL}
    assert set(views) == set(ALL)
    for name, view in views.items():
        assert view.state is StreamState.LIVE, name
        assert view.symbols == ("BTC/USDT", "ETH/USDT")
        assert view.transport == ("native" if name in ("pionex", "orangex") else "ccxt.pro")
        assert view.lateness_p50_ms is not None and 0 <= view.lateness_p50_ms < 1_000, name
        assert view.reconnects == 0 and view.last_error is None, name
        assert urlsplit(view.url).netloc in {urlsplit(url).netloc for url in sim.hosts(name).values()}, name
        assert subscribed[name] in ([2], [1, 1]), name  # each symbol subscribed once


@pytest.mark.parametrize("name", ["pionex", "orangex"])
async def test_native_streams_answer_the_exchange_heartbeat(sim, name):
    sim.streams.set_heartbeat(name, 0.05)
    async with monitor(sim, name) as mon:
        await eventually(lambda: sum(s.pongs for s in sim.streams.sessions(name)) >= 3, what="answered heartbeats")
        assert mon.stream(name).state is StreamState.LIVE
        assert topics(sim, name) == [sorted(_native_topics(name))]


def _native_topics(name: str) -> list[str]:
    if name == "pionex":
        return ["TRADE:BTC_USDT", "TRADE:ETH_USDT"]
    return ["ticker.BTC-USDT-SPOT.raw", "ticker.ETH-USDT-SPOT.raw"]


@pytest.mark.parametrize("name", ["binance", "okx", "pionex"])
async def test_a_silent_open_socket_is_stalled_within_the_threshold(sim, name):
    detected: list[tuple[float, float | None]] = []
    mon = monitor(sim, name, stall_after_s=STALL_AFTER_S, reconnect_after_stall=False)
    mon.subscribe(lambda v: detected.append((time.monotonic(), v.last_message_age_s))
                  if v.state is StreamState.STALLED else None)
    async with mon:
        await eventually(lambda: mon.stream(name).state is StreamState.LIVE, what="live")
        sockets = sim.streams.sessions(name)
        sim.streams.set_fault(name, stall=True)
        await eventually(lambda: bool(detected), what="stalled")
        silence = detected[0][1]
        assert silence is not None and STALL_AFTER_S < silence < STALL_AFTER_S + 0.25 + PUSH_INTERVAL_S
        assert set(sim.streams.sessions(name)) == set(sockets)  # the sockets are still open
        sim.streams.clear_faults(name)
        await eventually(lambda: mon.stream(name).state is StreamState.LIVE, what="live again")
        view = mon.stream(name)
    assert (view.stalls, view.reconnects) == (1, 0)


async def test_a_stream_stalled_too_long_is_reconnected(sim):
    async with monitor(sim, "bybit", stall_after_s=STALL_AFTER_S) as mon:
        await eventually(lambda: mon.stream("bybit").state is StreamState.LIVE, what="live")
        sim.streams.set_fault("bybit", stall=True)
        await eventually(lambda: mon.stream("bybit").reconnects >= 1, what="a reconnect")
        assert "stalled" in (mon.stream("bybit").last_error or "")
        sim.streams.clear_faults("bybit")
        await eventually(lambda: mon.stream("bybit").state is StreamState.LIVE, what="live again")
        assert topics(sim, "bybit") == [["tickers.BTCUSDT", "tickers.ETHUSDT"]]


@pytest.mark.parametrize("name", ["binance", "htx", "kraken", "orangex"])
async def test_reconnect_after_a_drop_subscribes_each_symbol_once(sim, name):
    async with monitor(sim, name) as mon:
        await eventually(lambda: mon.stream(name).state is StreamState.LIVE, what="live")
        before = topics(sim, name)
        assert sim.streams.drop(name) >= 1
        await eventually(lambda: mon.stream(name).reconnects == 1, what="the reconnect")
        await eventually(lambda: mon.stream(name).state is StreamState.LIVE and topics(sim, name) == before,
                         what="live on a new connection")
        sessions = sim.streams.sessions(name)
        assert sum(s.duplicate_subscribes for s in sessions) == 0
        assert sum(s.subscribe_requests for s in sessions) == 2  # one per symbol, on the new socket
        assert sim.streams.connections_opened(name) == 2 * len(sessions)
        assert mon.stream(name).last_error


async def test_refused_reconnects_back_off_then_recover(sim):
    async with monitor(sim, "okx") as mon:
        await eventually(lambda: mon.stream("okx").state is StreamState.LIVE, what="live")
        sim.streams.set_fault("okx", refuse=True)
        sim.streams.drop("okx")
        await eventually(lambda: mon.stream("okx").reconnects >= 4, what="repeated reconnects")
        assert mon.stream("okx").state is StreamState.RECONNECTING
        assert "503" in (mon.stream("okx").last_error or "")
        sim.streams.clear_faults("okx")
        await eventually(lambda: mon.stream("okx").state is StreamState.LIVE, what="live again")


async def test_malformed_frames_are_counted_and_the_stream_recovers(sim):
    async with monitor(sim, "pionex", stall_after_s=STALL_AFTER_S) as mon:
        await eventually(lambda: mon.stream("pionex").state is StreamState.LIVE, what="live")
        sim.streams.set_fault("pionex", malformed=True)
        await eventually(lambda: mon.stream("pionex").malformed >= 5, what="malformed frames counted")
        await eventually(lambda: mon.stream("pionex").state is StreamState.STALLED, what="stalled")
        sim.streams.clear_faults("pionex")
        await eventually(lambda: mon.stream("pionex").state is StreamState.LIVE, what="live again")


async def test_lateness_is_corrected_by_the_clock_offset(sim):
    skew_ms = 5_000
    await sim.set_fault("binance", clock_skew_ms=skew_ms)
    settings = stream_settings("binance")
    urls = {"binance": sim.hosts("binance")}
    async with StreamMonitor(settings, targets=urls) as raw, \
            StreamMonitor(settings, targets=urls, clock_offset_ms=lambda ex: skew_ms) as corrected:
        await eventually(lambda: raw.stream("binance").messages >= 10 and corrected.stream("binance").messages >= 10,
                         what="messages")
        assert raw.stream("binance").lateness_p50_ms < -skew_ms / 2  # the server clock runs ahead
        assert 0 <= corrected.stream("binance").lateness_p50_ms < 1_000


async def test_close_leaves_no_task_and_no_socket(sim):
    baseline = set(asyncio.all_tasks())
    mon = monitor(sim, *ALL)
    await mon.start()
    await eventually(lambda: all(v.state is StreamState.LIVE for v in mon.snapshot()), 20, "all live")
    await mon.close()
    assert {v.state for v in mon.snapshot()} == {StreamState.CLOSED}
    await eventually(lambda: not any(sim.streams.sessions(name) for name in ALL), what="server sockets closed")
    await eventually(lambda: set(asyncio.all_tasks()) <= baseline, what="client tasks gone")
