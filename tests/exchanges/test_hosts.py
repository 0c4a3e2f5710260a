"""Where requests go: the host each API type talks to, and the host swap for a base URL or a map."""

from __future__ import annotations

import pytest

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.exchanges.hosts import api_host, base_url_in, rehost

TWINS = {"stream.binance.com": "http://127.0.0.1:9001", "fstream.binance.com": "https://127.0.0.1:9002"}


@pytest.mark.parametrize(("exchange", "api_type", "passphrase", "host"), [
    (ExchangeId.BINANCE, ApiType.SPOT, False, "api.binance.com"),
    (ExchangeId.BINANCE, ApiType.MARGIN, False, "api.binance.com"),
    (ExchangeId.BINANCE, ApiType.PERPETUAL_FUTURES, False, "fapi.binance.com"),
    (ExchangeId.HTX, ApiType.PERPETUAL_FUTURES, False, "api.hbdm.com"),
    (ExchangeId.COINBASE, ApiType.SPOT, False, "api.coinbase.com"),
    (ExchangeId.COINBASE, ApiType.SPOT, True, "api.exchange.coinbase.com"),  # Coinbase Exchange keys
    (ExchangeId.OKX, None, False, "www.okx.com"),  # no API type chosen yet: the main host
])
def test_each_api_type_talks_to_its_real_host(exchange, api_type, passphrase, host) -> None:
    assert api_host(exchange, api_type, passphrase) == host
    assert base_url_in({host: "http://twin"}, exchange, api_type, passphrase) == "http://twin"


def test_a_base_url_takes_every_host_and_keeps_paths_and_queries() -> None:
    assert rehost("https://fapi.binance.com/fapi/v1/time?x=1", "http://127.0.0.1:9000/") == \
        "http://127.0.0.1:9000/fapi/v1/time?x=1"
    assert rehost("https://api.binance.com/api/v3", None) == "https://api.binance.com/api/v3"


def test_a_host_map_swaps_each_host_for_its_own_twin_and_leaves_others() -> None:
    assert rehost("wss://stream.binance.com:9443/ws", TWINS) == "ws://127.0.0.1:9001/ws"  # stays a WebSocket
    assert rehost("wss://fstream.binance.com/ws", TWINS) == "wss://127.0.0.1:9002/ws"
    assert rehost("wss://dstream.binance.com/ws", TWINS) == "wss://dstream.binance.com/ws"


def test_a_hostname_template_is_filled_before_the_swap() -> None:
    twins = {"stream.bybit.com": "ws://127.0.0.1:9003"}
    assert rehost("wss://stream.{hostname}/v5/public/spot", twins, "bybit.com") == "ws://127.0.0.1:9003/v5/public/spot"
