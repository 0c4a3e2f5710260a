"""The simulator's transport: every real host at the root of its own port, the exchanges' own
headers and unknown-path answers, TLS on demand, and signatures over the host as addressed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import ssl
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import aiohttp
import pytest

from cts_tui.sim import Simulator
from cts_tui.sim.exchanges import discover

from tests.sim._ccxt_point import only


async def get(url: str, **kwargs: object) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as http, http.get(url, **kwargs) as response:
        return response.status, dict(response.headers), await response.text()


async def test_every_host_has_a_port_of_its_own_and_the_json_line_names_them(sim: Simulator) -> None:
    info = sim.info()
    assert info["ca_file"] is None
    ports: set[int] = set()
    for name in sim.exchanges:
        entry = info["exchanges"][name]
        layout = sim.exchange(name).hosts_layout()
        assert set(entry["hosts"]) == {n for h in layout.hosts for n in (h.name, *h.aliases)}
        assert entry["base_url"] == entry["hosts"][layout.hosts[0].name] == sim.base_url(name)
        stream_host, path = layout.ws_url
        assert entry["ws_url"] == entry["hosts"][stream_host].replace("http://", "ws://") + path
        own = {urlsplit(url).port for url in entry["hosts"].values()}
        assert len(own) == len(layout.hosts) and not own & ports  # aliases share, exchanges do not
        ports |= own


@pytest.mark.parametrize(("exchange", "host", "path"), [
    ("binance", "fapi.binance.com", "/fapi/v1/time"),
    ("binance", "dapi.binance.com", "/dapi/v1/time"),
    ("htx", "api.hbdm.com", "/api/v1/timestamp"),
    ("coinbase", "api.exchange.coinbase.com", "/time"),
    ("kucoin", "api-futures.kucoin.com", "/api/v1/contracts/active"),
])
async def test_a_path_is_served_by_its_own_host_only(sim: Simulator, exchange: str, host: str, path: str) -> None:
    status, _, _ = await get(sim.base_url(exchange, host) + path)
    assert status == 200
    status, _, _ = await get(sim.base_url(exchange) + path)
    assert status == 404


async def test_hosts_sharing_a_path_both_serve_it(sim: Simulator) -> None:
    """HTX's spot and contract hosts both have /market/: the path goes to whichever was asked."""
    spot, _, _ = await get(sim.base_url("htx") + "/market/detail/merged?symbol=btcusdt")
    assert spot == 200
    assert sim.journal.entries(exchange="htx")[-1].endpoint == "/market/detail/merged"


# Each exchange's answer to a path it does not have: (status, body; a dict is a subset of the
# JSON body). Sources in docs/SIM_HEADERS.md.
UNKNOWN_PATH: dict[str, tuple[int, str | dict]] = {
    "binance": (404, ""),
    "bybit": (404, "404 page not found"),
    "okx": (404, {"code": "404", "msg": ""}),
    "bingx": (200, {"code": 100400, "msg": "this api is not exist"}),
    "pionex": (404, {"result": False, "code": "NOT_FOUND"}),
    "orangex": (404, {"error": {"code": 1000, "message": "No service found"}}),
    "htx": (404, {"status": "error", "err-code": "invalid-parameter"}),
    "coinbase": (404, {"errors": [{"id": "not_found", "message": "Not found"}]}),
    "api.exchange.coinbase.com": (404, {"message": "NotFound"}),
    "kraken": (404, {"error": ["EGeneral:Unknown method"]}),
    "kucoin": (404, {"code": "404000", "msg": "Url Not Found"}),
}
LAYOUTS = {name: module.hosts_layout() for name, module in discover().items()}
SERVED_HOSTS = [(exchange, host.name) for exchange, layout in LAYOUTS.items() for host in layout.hosts]


def test_the_table_covers_every_exchange(sim: Simulator) -> None:
    assert set(sim.exchanges) <= set(UNKNOWN_PATH)


@pytest.mark.parametrize(("exchange", "host"), SERVED_HOSTS)
async def test_an_unknown_path_answers_as_the_exchange_does_on_every_host(sim: Simulator, exchange: str,
                                                                         host: str) -> None:
    path = f"/{os.urandom(4).hex()}/{os.urandom(3).hex()}"
    url = sim.base_url(exchange, host).replace("ws://", "http://")
    status, headers, text = await get(url + path)
    expected_status, body = UNKNOWN_PATH.get(host) or UNKNOWN_PATH[exchange]
    assert status == expected_status and headers["Server"] == LAYOUTS[exchange].server
    if isinstance(body, dict):
        assert body.items() <= json.loads(text).items()
    else:
        assert text == body
    if exchange == "binance":  # an empty answer without a type, as Binance's front end gives
        assert "Content-Type" not in headers


async def test_kraken_answers_a_public_method_by_post_as_an_unknown_method(sim: Simulator) -> None:
    async with aiohttp.ClientSession() as http, http.post(sim.base_url("kraken") + "/0/public/Time") as response:
        assert (await response.json())["error"] == ["EGeneral:Unknown method"]


@pytest.mark.parametrize(("exchange", "host", "path"), [
    ("binance", "api.binance.com", "/api/v3/time"), ("binance", "fapi.binance.com", "/fapi/v1/time"),
    ("bybit", "api.bybit.com", "/v5/market/time"), ("kraken", "api.kraken.com", "/0/public/Time"),
    ("coinbase", "api.coinbase.com", "/v2/time"), ("okx", "www.okx.com", "/api/v5/public/time"),
    ("htx", "api.huobi.pro", "/v1/common/timestamp"), ("kucoin", "api.kucoin.com", "/api/v1/timestamp"),
])
async def test_answers_carry_the_exchanges_server_and_json_type(sim: Simulator, exchange: str, host: str,
                                                               path: str) -> None:
    status, headers, _ = await get(sim.base_url(exchange, host) + path)
    layout = LAYOUTS[exchange]
    content_type = next(h.content_type for h in layout.hosts if h.name == host) or layout.content_type
    assert status == 200 and headers["Server"] == layout.server and headers["Content-Type"] == content_type


async def test_an_outage_refuses_connections_on_every_host_of_the_exchange() -> None:
    async with Simulator(only("binance")) as sim:
        await sim.set_fault("binance", outage="refused")
        for url in sim.hosts("binance").values():
            with pytest.raises(aiohttp.ClientConnectorError):
                await get(url.replace("ws://", "http://") + "/api/v3/time")
        await sim.clear_faults("binance")
        status, _, _ = await get(sim.base_url("binance", "fapi.binance.com") + "/fapi/v1/time")
        assert status == 200


async def test_tls_serves_https_and_wss_to_clients_that_trust_its_ca() -> None:
    async with Simulator(only("kraken"), tls=True) as sim:
        info = sim.info()
        assert info["ca_file"] == sim.ca_file and info["control_url"].startswith("https://")
        assert all(url.startswith(("https://", "wss://")) for url in sim.hosts("kraken").values())
        trusted = ssl.create_default_context(cafile=sim.ca_file)
        status, _, text = await get(sim.base_url("kraken") + "/0/public/Time", ssl=trusted)
        assert status == 200 and json.loads(text)["error"] == []
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await get(sim.base_url("kraken") + "/0/public/Time", ssl=ssl.create_default_context())
        async with aiohttp.ClientSession() as http, http.ws_connect(sim.ws_url("kraken"), ssl=trusted) as ws:
            status_message = await ws.receive_json(timeout=5)
        assert status_message["channel"] == "status"
    assert not os.path.exists(info["ca_file"])  # throwaway: gone with the simulator


@pytest.mark.parametrize("with_port", [True, False])
async def test_htx_accepts_the_signed_host_with_or_without_its_port(sim: Simulator, with_port: bool) -> None:
    """Real hosts have no port, so SDKs sign the bare name; ccxt signs what it addresses."""
    account = sim.account("htx")
    base = urlsplit(sim.base_url("htx"))
    signed_host = base.netloc if with_port else base.hostname
    params = {"AccessKeyId": account.api_key, "SignatureMethod": "HmacSHA256", "SignatureVersion": "2",
              "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")}
    text = "\n".join(("GET", signed_host, "/v1/account/accounts", urlencode(sorted(params.items()))))
    params["Signature"] = base64.b64encode(hmac.new(account.secret.encode(), text.encode(),
                                                    hashlib.sha256).digest()).decode()
    status, _, body = await get(sim.base_url("htx") + "/v1/account/accounts?" + urlencode(params))
    assert status == 200 and json.loads(body)["status"] == "ok"


async def test_doubled_slashes_are_merged_as_the_exchanges_front_ends_do(sim: Simulator) -> None:
    """pionex-python joins 'https://api.pionex.com/' and '/api/v1/...'."""
    status, _, _ = await get(sim.base_url("pionex") + "//api/v1/common/symbols")
    assert status == 200
