"""Classification by status and exchange code, on answers as the exchanges send them (the
cases the simulator cannot produce, such as an OKX 429 with an empty body)."""

from __future__ import annotations

import time

import pytest

from cts_tui.capabilities import ExchangeId
from cts_tui.errors import ErrorKind, ExchangeError, register_secret
from cts_tui.exchanges.classify import HttpReply, classify_reply, is_timestamp_rejection, library_kind
from cts_tui.exchanges.clock import ServerClock

X = ExchangeId
CASES = [
    (X.BINANCE, HttpReply(429, {"Retry-After": "7"}, '{"code":-1003,"msg":"Too many requests"}'), ErrorKind.RATE_LIMITED),
    (X.OKX, HttpReply(429, {}, ""), ErrorKind.RATE_LIMITED),
    (X.OKX, HttpReply(200, {}, '{"code":"50001","msg":"Service temporarily unavailable","data":[]}'), ErrorKind.MAINTENANCE),
    (X.OKX, HttpReply(401, {}, '{"code":"50105","msg":"Your OK-ACCESS-PASSPHRASE is incorrect"}'), ErrorKind.AUTH),
    (X.BYBIT, HttpReply(200, {}, '{"retCode":10006,"retMsg":"Too many visits!"}'), ErrorKind.RATE_LIMITED),
    (X.BYBIT, HttpReply(200, {}, '{"retCode":10005,"retMsg":"Permission denied"}'), ErrorKind.PERMISSION),
    (X.BYBIT, HttpReply(403, {}, "access too frequent"), ErrorKind.RATE_LIMITED),
    (X.KRAKEN, HttpReply(200, {}, '{"error":["EAPI:Invalid key"],"result":{}}'), ErrorKind.AUTH),
    (X.HTX, HttpReply(200, {}, '{"status":"error","err-code":"api-signature-not-valid","err-msg":"x"}'), ErrorKind.AUTH),
    (X.PIONEX, HttpReply(401, {}, '{"result":false,"code":"INVALID_SIGNATURE","message":"x"}'), ErrorKind.AUTH),
    (X.ORANGEX, HttpReply(200, {}, '{"jsonrpc":"2.0","error":{"code":10000,"message":"Authentication Failure"}}'), ErrorKind.AUTH),
    (X.BINANCE, HttpReply(200, {}, "<html><body>502 Bad Gateway</body></html>"), ErrorKind.BAD_RESPONSE),
    (X.BINANCE, HttpReply(200, {}, '{"symbol":"BTCUSDT","pri'), ErrorKind.BAD_RESPONSE),
    (X.COINBASE, HttpReply(502, {}, "<html>bad gateway</html>"), ErrorKind.EXCHANGE_DOWN),
    (X.KRAKEN, HttpReply(503, {}, "<html>We are down for maintenance</html>"), ErrorKind.MAINTENANCE),
    (X.BINANCE, HttpReply(503, {}, '{"code":1,"msg":"System is under maintenance."}'), ErrorKind.MAINTENANCE),
    (X.KUCOIN, HttpReply(401, {}, '{"code":"400004","msg":"Invalid KC-API-PASSPHRASE"}'), ErrorKind.AUTH),
    (X.KUCOIN, HttpReply(429, {"gw-ratelimit-remaining": "0"}, '{"code":"429000","msg":"Too Many Requests"}'),
     ErrorKind.RATE_LIMITED),
    (X.KUCOIN, HttpReply(403, {}, '{"code":"400007","msg":"Access Denied"}'), ErrorKind.PERMISSION),
    (X.KUCOIN, HttpReply(400, {}, '{"code":"400100","msg":"Parameter error"}'), ErrorKind.INVALID_REQUEST),
]


@pytest.mark.parametrize(("exchange", "reply", "kind"), CASES)
def test_answers_are_classified_by_status_and_code(exchange: ExchangeId, reply: HttpReply, kind: ErrorKind) -> None:
    error = classify_reply(exchange, reply)
    assert error is not None and error.kind is kind, error
    assert error.status == reply.status


def test_success_is_not_an_error() -> None:
    assert classify_reply(X.BINANCE, HttpReply(200, {}, '{"serverTime": 1}')) is None
    assert classify_reply(X.OKX, HttpReply(200, {}, '{"code":"0","data":[]}')) is None
    assert classify_reply(X.BINANCE, HttpReply(200, {}, "[]")) is None


def test_rate_limit_carries_retry_after_and_a_ban_its_end() -> None:
    limited = classify_reply(X.BINANCE, HttpReply(429, {"retry-after": "7"}, '{"code":-1003,"msg":"slow down"}'))
    assert limited is not None and limited.retry_after == 7.0
    until_ms = int((time.time() + 120) * 1000)
    banned = classify_reply(
        X.BINANCE, HttpReply(418, {"Retry-After": "120"}, f'{{"code":-1003,"msg":"IP banned until {until_ms}."}}')
    )
    assert banned is not None and banned.kind is ErrorKind.BANNED
    assert banned.banned_until == pytest.approx(until_ms / 1000)
    bingx = classify_reply(X.BINGX, HttpReply(418, {"Retry-After": "60"}, "{}"))
    assert bingx is not None and bingx.banned_until == pytest.approx(time.time() + 60, abs=2)


def test_timestamp_rejections_are_recognised() -> None:
    for exchange, body in (
        (X.BINANCE, '{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}'),
        (X.BYBIT, '{"retCode":10002,"retMsg":"invalid request, please check your server timestamp"}'),
        (X.OKX, '{"code":"50102","msg":"Timestamp request expired"}'),
        (X.PIONEX, '{"result":false,"code":"INVALID_TIMESTAMP","message":"Invalid timestamp"}'),
    ):
        error = classify_reply(exchange, HttpReply(400, {}, body))
        assert error is not None and is_timestamp_rejection(exchange, error)


def test_messages_never_carry_a_registered_secret() -> None:
    secret = "s3cr3t-value-for-classify"
    register_secret(secret)
    error = classify_reply(X.BINANCE, HttpReply(400, {}, f'{{"code":-1022,"msg":"bad signature for {secret}"}}'))
    assert error is not None and secret not in str(error) and secret not in repr(error)


def test_library_classes_map_by_hierarchy() -> None:
    import ccxt

    assert library_kind(ccxt.OnMaintenance("x")) is ErrorKind.MAINTENANCE
    assert library_kind(ccxt.DDoSProtection("x")) is ErrorKind.RATE_LIMITED
    assert library_kind(ccxt.RequestTimeout("x")) is ErrorKind.TIMEOUT
    assert library_kind(ccxt.PermissionDenied("x")) is ErrorKind.PERMISSION
    assert library_kind(ccxt.AuthenticationError("x")) is ErrorKind.AUTH
    assert isinstance(ExchangeError(ErrorKind.AUTH, "x"), Exception)


def test_clock_offset_is_the_median_of_recent_round_trips() -> None:
    clock = ServerClock(samples_kept=3)
    assert not clock.synced and clock.offset_ms == 0
    for offset in (15_000, 15_010, 99_000):  # one sample distorted by a slow round trip
        clock.observe(1000.0, 1000.2, 1000.1 * 1000 + offset)
    assert clock.offset_ms == pytest.approx(15_010)
    assert abs(clock.now_ms() - (time.time() * 1000 + 15_010)) < 50
    clock.forget()
    assert not clock.synced
