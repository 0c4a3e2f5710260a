"""``GET /api/v1/exchanges/streams`` and the stream metrics in ``/metrics``, against the
simulator's WebSocket side (the world is built with the demo's wiring, streams pointed at it)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cts_tui.capabilities import ExchangeId
from .world import World, running_world, small_scenario

STREAMED = ("binance", "okx")


def streaming_scenario():
    streams: dict[str, object] = {"enabled": True, "stall_after_s": 0.5, "reconnect_after_stall": False}
    for exchange in ExchangeId:
        streams[exchange.value] = {"enabled": exchange.value in STREAMED, "symbols": ["BTC/USDT"]}
    return small_scenario(streams=streams)


@pytest.fixture
async def streaming() -> AsyncIterator[World]:
    async with running_world(streaming_scenario()) as world:
        world.demo.simulator.streams.set_interval(0.05)
        yield world


async def states(world: World, query: str = "") -> dict[str, str]:
    status, body = await world.call("GET", "/api/v1/exchanges/streams" + query, token=None)
    assert status == 200, body
    return {exchange: stream["state"] for exchange, stream in body["streams"].items()}


async def until(world: World, wanted: dict[str, str], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while (seen := await states(world)) != wanted:
        assert time.monotonic() < deadline, f"streams stayed {seen}, wanted {wanted}"
        await asyncio.sleep(0.05)


async def test_streams_off_answer_an_empty_list(world: World) -> None:
    status, body = await world.call("GET", "/api/v1/exchanges/streams", token=None)
    assert status == 200 and body["enabled"] is False and body["streams"] == {}


async def test_live_then_stalled_streams_with_their_figures(streaming: World) -> None:
    await until(streaming, {"binance": "live", "okx": "live"})
    status, body = await streaming.call("GET", "/api/v1/exchanges/streams?exchange=binance", token=None)
    assert status == 200 and body["enabled"] is True and list(body["streams"]) == ["binance"]
    binance = body["streams"]["binance"]
    assert binance["transport"] == "ccxt.pro" and binance["symbols"] == ["BTC/USDT"] and binance["healthy"]
    assert binance["url"].startswith(streaming.demo.simulator.hosts("binance")["stream.binance.com"]) and binance["messages"] >= 1
    assert binance["stall_threshold_s"] == 0.5 and binance["reconnects"] == 0

    streaming.demo.simulator.streams.set_fault("binance", stall=True)
    await until(streaming, {"binance": "stalled", "okx": "live"})
    status, body = await streaming.call("GET", "/api/v1/exchanges/streams?exchange=binance", token=None)
    assert body["streams"]["binance"]["healthy"] is False and body["streams"]["binance"]["stalls"] >= 1
    assert body["streams"]["binance"]["last_message_age_s"] >= 0.5


async def test_an_unknown_exchange_is_a_one_line_400(streaming: World) -> None:
    status, body = await streaming.call("GET", "/api/v1/exchanges/streams?exchange=nasdaq", token=None)
    assert status == 400 and body["success"] is False and body["error"].startswith("query.exchange")


async def test_stream_metrics_in_the_prometheus_exposition(streaming: World) -> None:
    await until(streaming, {"binance": "live", "okx": "live"})
    # A stream is live from its subscription's acknowledgement; its first message may come a
    # moment later on a loaded machine.
    deadline = time.monotonic() + 15
    while True:
        async with streaming.http.get(streaming.url + "/metrics") as response:
            text = await response.text()
        families = {f.name: f for f in text_string_to_metric_families(text)}
        messages = {s.labels["exchange"]: s.value for s in families["cts_stream_messages"].samples
                    if s.name == "cts_stream_messages_total"}
        if set(messages) == set(STREAMED) and min(messages.values()) >= 1 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert set(messages) == set(STREAMED) and min(messages.values()) >= 1
    live = {s.labels["exchange"]: s.value for s in families["cts_stream_state"].samples if s.labels["state"] == "live"}
    assert live == {"binance": 1.0, "okx": 1.0}
    assert {s.labels["exchange"] for s in families["cts_stream_reconnects"].samples} == set(STREAMED)
    quantiles = {s.labels["quantile"] for s in families["cts_stream_lateness_seconds"].samples}
    assert quantiles == {"0.5", "0.99"}
