"""Faults the simulator injects, for every exchange: each one ends as the right kind, quickly,
with no credential in any message or log line; a skewed server clock fails nothing."""

from __future__ import annotations

import time

import pytest

from cts_tui.capabilities import SUPPORTED_API_TYPES, ExchangeId
from cts_tui.errors import ErrorKind, ExchangeError
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.ratelimit import RateLimiter
from cts_tui.sim import Simulator

from .conftest import HANG_TIMEOUT_MS
from .helpers import connection_for, credentials_of, need

EXCHANGES = list(ExchangeId)
IDS = [e.value for e in EXCHANGES]


def _connection(sim: Simulator, exchange: ExchangeId):
    return connection_for(sim, exchange, SUPPORTED_API_TYPES[exchange][0])


@pytest.mark.parametrize("exchange", EXCHANGES, ids=IDS)
@pytest.mark.parametrize("skew_ms", [15_000, -15_000])
async def test_skewed_server_clock_fails_no_test(
    sim: Simulator, hub: ExchangeHub, exchange: ExchangeId, skew_ms: int
) -> None:
    need(sim, exchange)
    await sim.set_fault(exchange.value, clock_skew_ms=skew_ms)
    result = await hub.client_for(_connection(sim, exchange)).test_connection()
    assert result.success, result.log
    offset = hub.clock_offset_ms(exchange)
    assert offset is not None and abs(offset - skew_ms) < 1_000


@pytest.mark.parametrize("exchange", EXCHANGES, ids=IDS)
async def test_clock_skew_appearing_later_is_recovered(
    sim: Simulator, hub: ExchangeHub, exchange: ExchangeId
) -> None:
    """The clock was synced while right; the server then jumps 15 s. Exchanges whose window is
    narrower than that reject the next signed request: it re-syncs and goes once more."""
    need(sim, exchange)
    client = hub.client_for(_connection(sim, exchange))
    assert (await client.test_connection()).success
    await sim.set_fault(exchange.value, clock_skew_ms=15_000)
    balances = await client.fetch_balance()
    assert balances
    if exchange in NARROW_WINDOW:
        assert abs((hub.clock_offset_ms(exchange) or 0) - 15_000) < 1_000


# Exchanges that reject a timestamp 15 s off (recvWindow 5-10 s, KuCoin 5 s); OKX and Coinbase allow 30 s,
# Pionex 20 s, OrangeX 60 s, HTX 5 min, and Kraken checks a nonce, not a time.
NARROW_WINDOW = {ExchangeId.BINANCE, ExchangeId.BYBIT, ExchangeId.BINGX, ExchangeId.KUCOIN}


FAULTS = [
    ({"rate_limit_storm": True}, ErrorKind.RATE_LIMITED),
    ({"maintenance": True}, ErrorKind.MAINTENANCE),
    ({"error_rate": 1.0}, ErrorKind.EXCHANGE_DOWN),
    ({"outage": "refused"}, ErrorKind.NETWORK),
    ({"outage": "reset"}, ErrorKind.NETWORK),
    ({"malformed": "html"}, ErrorKind.BAD_RESPONSE),
    ({"malformed": "truncated"}, ErrorKind.BAD_RESPONSE),
]


@pytest.mark.parametrize("exchange", EXCHANGES, ids=IDS)
@pytest.mark.parametrize(("fault", "kind"), FAULTS, ids=[next(iter(f)) + "-" + str(next(iter(f.values()))) for f, _ in FAULTS])
async def test_fault_is_classified(
    sim: Simulator, hub: ExchangeHub, exchange: ExchangeId, fault: dict, kind: ErrorKind, secrets_seen
) -> None:
    need(sim, exchange)
    connection = _connection(sim, exchange)
    client = hub.client_for(connection)
    await client.load_markets()  # markets come first, so the fault hits a signed call
    await sim.set_fault(exchange.value, **fault)
    with pytest.raises(ExchangeError) as caught:
        await client.fetch_balance()
    assert caught.value.kind is kind, str(caught.value)
    result = await client.test_connection()
    assert not result.success and result.error_kind is kind
    secrets_seen(credentials_of(connection), str(caught.value), repr(caught.value), "\n".join(result.log))


@pytest.mark.hangs
@pytest.mark.parametrize("exchange", EXCHANGES, ids=IDS)
async def test_hang_ends_at_the_configured_timeout(
    sim: Simulator, hub: ExchangeHub, exchange: ExchangeId
) -> None:
    need(sim, exchange)
    client = hub.client_for(_connection(sim, exchange))
    await client.load_markets()
    await sim.set_fault(exchange.value, outage="hang")
    started = time.monotonic()
    with pytest.raises(ExchangeError) as caught:
        await client.fetch_balance()
    assert caught.value.kind is ErrorKind.TIMEOUT
    assert f"{HANG_TIMEOUT_MS} ms" in str(caught.value)
    assert time.monotonic() - started < HANG_TIMEOUT_MS / 1000 * 4 + 1
    await sim.clear_faults(exchange.value)


async def test_binance_429_then_418_ban_carries_retry_after_and_until(
    sim: Simulator, hub: ExchangeHub, config
) -> None:
    """Past its weight limit Binance answers 429 with Retry-After; a second process on the same
    IP with its own limiter (no Redis to share the pause) keeps sending and gets the whole IP
    banned with 418 until a stated time."""
    need(sim, ExchangeId.BINANCE)
    sim.set_limits("binance", spot_weight_per_minute=30, ban_after_rejections=2)
    connection = _connection(sim, ExchangeId.BINANCE)
    first = hub.client_for(connection)
    limited: list[ExchangeError] = []
    for _ in range(20):
        try:
            await first.call("fetch_ticker", "BTC/USDT")
        except ExchangeError as exc:
            limited.append(exc)
            break
    assert limited and limited[0].kind is ErrorKind.RATE_LIMITED and limited[0].status == 429
    assert limited[0].retry_after is not None and limited[0].retry_after > 0

    other_limiter = RateLimiter.from_config(config)
    async with ExchangeHub(config, other_limiter) as other:
        second = other.client_for(connection)
        banned: list[ExchangeError] = []
        for _ in range(5):
            try:
                await second.call("fetch_ticker", "BTC/USDT")
            except ExchangeError as exc:
                if exc.kind is ErrorKind.BANNED:
                    banned.append(exc)
                    break
    await other_limiter.close()
    assert banned and banned[0].status == 418
    assert banned[0].banned_until is not None and banned[0].banned_until > time.time()


async def test_kraken_signs_on_after_its_clock_moves_back(sim: Simulator, hub: ExchangeHub) -> None:
    """Signed while Kraken's clock ran a minute ahead; then the clock moves back, we re-sync, and
    a new client for the same key signs (an edited connection, a second connection on the key).
    A nonce that followed the exchange's clock would now fall below the key's last one, and every
    signed call would be refused ("EAPI:Invalid nonce") for that minute."""
    need(sim, ExchangeId.KRAKEN)
    await sim.set_fault("kraken", clock_skew_ms=60_000)
    assert (await hub.client_for(_connection(sim, ExchangeId.KRAKEN)).test_connection()).success
    await sim.set_fault("kraken", clock_skew_ms=0)
    hub._ctx.clocks[ExchangeId.KRAKEN].forget()  # the next signed call re-syncs first
    assert await hub.client_for(_connection(sim, ExchangeId.KRAKEN)).fetch_balance()
    assert abs(hub.clock_offset_ms(ExchangeId.KRAKEN) or 0) < 2_000


async def test_binance_maintenance_is_maintenance_from_the_first_request_on(sim: Simulator, hub: ExchangeHub) -> None:
    """The fault on before anything was loaded: the markets answer a bare 503, which alone reads
    like any outage; Binance's system/status says maintenance, and so does the test."""
    need(sim, ExchangeId.BINANCE)
    await sim.set_fault("binance", maintenance=True)
    result = await hub.client_for(_connection(sim, ExchangeId.BINANCE)).test_connection()
    assert not result.success and result.error_kind is ErrorKind.MAINTENANCE, result.error
    assert [e.endpoint for e in sim.journal.entries(exchange="binance")][-1] == "/sapi/v1/system/status"

