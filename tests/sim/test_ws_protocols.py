"""Stream protocols as the real services behave, frame by frame, on the real stream hosts."""

from __future__ import annotations

import json

import aiohttp

from cts_tui.sim import Simulator


async def frames(ws: aiohttp.ClientWebSocketResponse, count: int, kind: aiohttp.WSMsgType = aiohttp.WSMsgType.TEXT
                 ) -> list[dict]:
    received = [await ws.receive(timeout=5) for _ in range(count)]
    assert {m.type for m in received} == {kind}
    return [json.loads(m.data) for m in received]


async def test_kraken_says_its_status_first_and_a_snapshot_comes_before_updates(sim: Simulator) -> None:
    sim.streams.set_interval(0.05, "kraken")
    async with aiohttp.ClientSession() as http, http.ws_connect(sim.hosts("kraken")["ws.kraken.com"] + "/v2") as ws:
        (status,) = await frames(ws, 1)
        assert status["channel"] == "status" and status["type"] == "update"
        assert set(status["data"][0]) == {"api_version", "connection_id", "system", "version"}
        assert status["data"][0]["system"] == "online"
        await ws.send_json({"method": "ping"})
        (pong,) = await frames(ws, 1)
        assert set(pong) == {"method", "time_in", "time_out"}  # no req_id when none was sent
        await ws.send_json({"method": "subscribe", "params": {"channel": "ticker", "symbol": ["BTC/USDT"]},
                            "req_id": 7})
        ack, first, second = await frames(ws, 3)
    assert ack["success"] is True and ack["req_id"] == 7 and ack["result"]["snapshot"] is True
    assert (first["channel"], first["type"]) == ("ticker", "snapshot")
    assert (second["channel"], second["type"]) == ("ticker", "update")


async def test_kraken_heartbeats_only_once_subscribed(sim: Simulator) -> None:
    sim.streams.set_heartbeat("kraken", 0.02)
    sim.streams.set_interval(60, "kraken")
    async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url("kraken")) as ws:
        await frames(ws, 1)  # status
        await ws.send_json({"method": "ping", "req_id": 1})
        (pong,) = await frames(ws, 1)
        assert pong["method"] == "pong"  # nothing else came between: no heartbeat while idle
        await ws.send_json({"method": "subscribe", "params": {"channel": "ticker", "symbol": ["BTC/USDT"]}})
        await frames(ws, 2)  # ack, snapshot
        assert await frames(ws, 2) == [{"channel": "heartbeat"}] * 2


async def test_coinbase_sends_the_heartbeats_asked_for_and_a_snapshot_first(sim: Simulator) -> None:
    sim.streams.set_interval(60, "coinbase")
    sim.streams.set_heartbeat("coinbase", 0.02)
    async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url("coinbase")) as ws:
        await ws.send_json({"type": "subscribe", "product_ids": ["BTC-USDT"], "channel": "ticker"})
        subscribed, snapshot = await frames(ws, 2)  # no heartbeat between: none was asked for yet
        await ws.send_json({"type": "subscribe", "channel": "heartbeats"})
        received = await frames(ws, 4)
    assert subscribed["events"] == [{"subscriptions": {"ticker": ["BTC-USDT"]}}]
    assert snapshot["channel"] == "ticker" and snapshot["events"][0]["type"] == "snapshot"
    assert received[0]["events"] == [{"subscriptions": {"ticker": ["BTC-USDT"], "heartbeats": ["heartbeats"]}}]
    beats = received[1:]
    assert {b["channel"] for b in beats} == {"heartbeats"}
    assert [b["events"][0]["heartbeat_counter"] for b in beats] == ["1", "2", "3"]
    assert " +0000 UTC" in beats[0]["events"][0]["current_time"]
    sequence = [m["sequence_num"] for m in [subscribed, snapshot, *received]]
    assert sequence == list(range(len(sequence)))  # no gaps: a gap means a lost message


async def test_coinbase_refuses_an_unknown_product_with_an_error_message(sim: Simulator) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url("coinbase")) as ws:
        await ws.send_json({"type": "subscribe", "product_ids": ["NOPE-USD"], "channel": "ticker"})
        (error,) = await frames(ws, 1)
    assert error["type"] == "error"


async def test_pionex_acknowledges_with_its_real_shape_in_binary_frames(sim: Simulator) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url("pionex")) as ws:
        await ws.send_json({"op": "SUBSCRIBE", "topic": "TRADE", "symbol": "BTC_USDT"})
        (ack,) = await frames(ws, 1, aiohttp.WSMsgType.BINARY)  # Pionex frames JSON in binary frames
        await ws.send_json({"op": "UNSUBSCRIBE", "topic": "TRADE", "symbol": "BTC_USDT"})
        (gone,) = await frames(ws, 1, aiohttp.WSMsgType.BINARY)
    assert ack == {"type": "SUBSCRIBED", "topic": "TRADE", "symbol": "BTC_USDT"}
    assert gone == {"type": "UNSUBSCRIBED", "topic": "TRADE", "symbol": "BTC_USDT"}


async def test_a_stream_path_unknown_to_the_host_is_refused_as_the_exchange_refuses_it(sim: Simulator) -> None:
    async with aiohttp.ClientSession() as http:
        for url in (sim.hosts("binance")["stream.binance.com"] + "/nowhere", sim.base_url("binance") + "/ws"):
            try:
                async with http.ws_connect(url):
                    raise AssertionError(f"{url} upgraded")
            except aiohttp.WSServerHandshakeError as refused:
                assert refused.status == 404


async def test_bybit_pongs_as_each_stream_does(sim: Simulator) -> None:
    hosts = sim.hosts("bybit")
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(hosts["stream.bybit.com"] + "/v5/public/spot") as ws:
            await ws.send_json({"op": "ping"})
            (spot,) = await frames(ws, 1)
        async with http.ws_connect(hosts["stream.bybit.com"] + "/v5/public/linear") as ws:
            await ws.send_json({"op": "ping", "req_id": "9"})
            (linear,) = await frames(ws, 1)
    assert set(spot) == {"success", "ret_msg", "conn_id", "op"} and spot["ret_msg"] == "pong"
    assert set(linear) == {"req_id", "op", "args", "conn_id"} and linear["op"] == "pong"


async def test_reset_puts_the_streams_pacing_and_faults_back(sim: Simulator) -> None:
    interval, heartbeat = sim.streams.interval_s("kraken"), sim.streams.heartbeat_s("kraken", None)
    sim.streams.set_interval(60, "kraken")
    sim.streams.set_heartbeat("kraken", 0.01)
    sim.streams.set_fault("kraken", stall=True)
    await sim.reset()
    assert sim.streams.interval_s("kraken") == interval
    assert sim.streams.heartbeat_s("kraken", None) == heartbeat
    assert not sim.streams.faults("kraken").stall
