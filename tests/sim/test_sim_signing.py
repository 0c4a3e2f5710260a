"""The simulator's signature checks agree with the exchanges' published examples and with ccxt.

ccxt's own `sign()` is pure (it builds the URL, headers and body without touching the network),
so each check below signs a request with unmodified ccxt and verifies it with the simulator's
helper; a tampered byte must then fail.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlsplit

import ccxt
import pytest

from cts_tui.sim.exchanges import _coinbase_auth, _htx_auth, _kraken_auth, _orangex_auth, _pionex_auth

# Pionex's authentication page: secret, timestamp, request and the signature it prints.
PIONEX_DOC_SECRET = "NFqv4MB3hB0SOiEsJNDP9e0jDdKPWbDqS_Z1dbU4"
PIONEX_DOC_QUERY = [("symbol", "BTC_USDT"), ("limit", "1"), ("timestamp", "1655896754515")]
PIONEX_DOC_BODY = '{"symbol": "BTC_USDT"}'
PIONEX_DOC_SIGNATURE = "ec83d21e1237cbe7e0172f79c0e3a4741c86f6b201ba762f21149bf195519be1"
SECRET_B64 = base64.b64encode(b"simulated secret bytes, 32 long!").decode()


def test_pionex_documented_example_verifies() -> None:
    text = _pionex_auth.signed_text("GET", "/api/v1/trade/allOrders", PIONEX_DOC_QUERY, PIONEX_DOC_BODY)
    assert text == 'GET/api/v1/trade/allOrders?limit=1&symbol=BTC_USDT&timestamp=1655896754515{"symbol": "BTC_USDT"}'
    assert _pionex_auth.verify(
        PIONEX_DOC_SECRET, PIONEX_DOC_SIGNATURE, "GET", "/api/v1/trade/allOrders", PIONEX_DOC_QUERY, PIONEX_DOC_BODY
    )


@pytest.mark.parametrize(
    "change",
    [
        {"query": [("symbol", "BTC_USDT"), ("limit", "2"), ("timestamp", "1655896754515")]},
        {"body": '{"symbol": "ETH_USDT"}'},
        {"path": "/api/v1/trade/openOrders"},
        {"method": "POST"},
        {"secret": PIONEX_DOC_SECRET[:-1] + "5"},
    ],
)
def test_pionex_tampered_example_is_refused(change: dict) -> None:
    request = {"secret": PIONEX_DOC_SECRET, "method": "GET", "path": "/api/v1/trade/allOrders",
               "query": PIONEX_DOC_QUERY, "body": PIONEX_DOC_BODY} | change
    assert not _pionex_auth.verify(
        request["secret"], PIONEX_DOC_SIGNATURE, request["method"], request["path"], request["query"], request["body"]
    )


def test_htx_verifies_what_ccxt_signs_for_the_host_it_signed() -> None:
    exchange = ccxt.htx({"apiKey": "htx-key", "secret": "htx-secret"})
    exchange.hostname = "127.0.0.1:8123"
    exchange.urls["hostnames"] = {"spot": "127.0.0.1:8123", "contract": "127.0.0.1:8123"}
    signed = exchange.sign("v1/account/accounts", ["spot", "private"], "GET", {})
    url = urlsplit(signed["url"])
    params = parse_qsl(url.query)
    given = dict(params)["Signature"]
    assert _htx_auth.verify("htx-secret", given, "GET", "127.0.0.1:8123", url.path, params)
    assert not _htx_auth.verify("htx-secret", given, "GET", "api.huobi.pro", url.path, params)
    assert not _htx_auth.verify("htx-secret!", given, "GET", "127.0.0.1:8123", url.path, params)
    assert _htx_auth.parse_timestamp(dict(params)["Timestamp"]) is not None


def test_kraken_verifies_what_ccxt_signs() -> None:
    exchange = ccxt.kraken({"apiKey": "kraken-key", "secret": SECRET_B64})
    signed = exchange.sign("Balance", ["private"], "POST", {})
    nonce = dict(parse_qsl(signed["body"]))["nonce"]
    sign = signed["headers"]["API-Sign"]
    assert _kraken_auth.verify(SECRET_B64, sign, "/0/private/Balance", nonce, signed["body"])
    assert not _kraken_auth.verify(SECRET_B64, sign, "/0/private/BalanceEx", nonce, signed["body"])
    assert not _kraken_auth.verify("not base64!", sign, "/0/private/Balance", nonce, signed["body"])


def test_coinbase_advanced_and_exchange_signatures_match_ccxt() -> None:
    advanced = ccxt.coinbase({"apiKey": "cb-key", "secret": "plain-hmac-secret"})
    signed = advanced.sign("accounts", ["v2", "private"], "GET", {"limit": 250})
    headers = signed["headers"]
    expected = _coinbase_auth.advanced_signature(
        "plain-hmac-secret", headers["CB-ACCESS-TIMESTAMP"], "GET", "/v2/accounts?limit=250", ""
    )
    assert _coinbase_auth.same(expected, headers["CB-ACCESS-SIGN"])

    pro = ccxt.coinbaseexchange({"apiKey": "cbx-key", "secret": SECRET_B64, "password": "pp"})
    signed = pro.sign("accounts", ["private"], "GET", {})
    headers = signed["headers"]
    expected = _coinbase_auth.exchange_signature(SECRET_B64, headers["CB-ACCESS-TIMESTAMP"], "GET", "/accounts", "")
    assert _coinbase_auth.same(expected, headers["CB-ACCESS-SIGN"])
    assert not _coinbase_auth.same(
        _coinbase_auth.exchange_signature(SECRET_B64, headers["CB-ACCESS-TIMESTAMP"], "GET", "/accounts?x=1", ""),
        headers["CB-ACCESS-SIGN"],
    )


def test_orangex_client_signature_is_the_documented_string() -> None:
    sig = _orangex_auth.client_signature("client", "secret", "1700000000000", "abc")
    assert _orangex_auth.verify("client", "secret", "1700000000000", "abc", sig)
    assert not _orangex_auth.verify("client", "secret", "1700000000001", "abc", sig)
    assert not _orangex_auth.verify("client", "secret", "1700000000000", "", sig)
