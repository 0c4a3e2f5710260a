"""JSON that parses but has the wrong shape (the simulator only breaks bodies, not types): a
small real server on loopback answers it, and the clients report bad_response."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.errors import ErrorKind, ExchangeError
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.models import Connection


async def _pionex_balances(_request: web.Request) -> web.Response:
    return web.json_response({"result": True, "data": {"balances": ["USDT", 5]}, "timestamp": int(time.time() * 1000)})


async def _pionex_tickers(_request: web.Request) -> web.Response:
    return web.json_response({"result": True, "data": {"tickers": [{"symbol": "BTC_USDT", "close": "1"}]},
                              "timestamp": int(time.time() * 1000)})


@pytest.fixture
async def odd_server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/api/v1/account/balances", _pionex_balances)
    app.router.add_get("/api/v1/market/tickers", _pionex_tickers)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_native_client_reports_a_wrongly_typed_answer_as_bad_response(odd_server: str, hub: ExchangeHub) -> None:
    connection = Connection(name="odd", exchange=ExchangeId.PIONEX, api_type=ApiType.SPOT,
                            api_key="odd-key-123456", api_secret="odd-secret-123456", base_url=odd_server)
    client = hub.client_for(connection)
    with pytest.raises(ExchangeError) as caught:
        await client.fetch_balance()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert "unexpected shape" in str(caught.value)
