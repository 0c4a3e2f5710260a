"""The specification's Python examples, run as written against the simulator: the only
additions are the environment a deployment would give (keys in the specification's variables,
the config file in CONFIG_PATH pointing the exchanges at the simulator, the store in CTS_DB).

The lent exchange is shown with the specification's own ``fetch_ticker`` and with ccxt methods
outside our client interface (``fetch_tickers``, ``fetch_order_book``)."""

from __future__ import annotations

import ccxt
import ccxt.async_support as ccxt_async
import pytest

from cts_tui.errors import ErrorKind, ExchangeError


@pytest.fixture
def deployment(sim, monkeypatch, tmp_path):
    """Binance and Pionex keys in the specification's variables; the config file names the
    simulator as each exchange's host (``credentials.<id>.base_url``)."""
    for exchange in ("binance", "pionex"):
        account = sim.account(exchange)
        monkeypatch.setenv(f"{exchange.upper()}_API_KEY", account.api_key)
        monkeypatch.setenv(f"{exchange.upper()}_API_SECRET", account.secret)
    config = tmp_path / "exchange_manager_config.yaml"
    config.write_text(
        "exchanges:\n"
        f"  binance: {{rate_limit: 1200, timeout: 10000, weight: 100, base_url: {sim.base_url('binance')}}}\n"
        f"  pionex: {{base_url: {sim.base_url('pionex')}}}\n"
        "exchange_manager: {connection_strategy: round_robin}\n"
        "health: {interval_s: 3600, max_ejected_share: 1.0}\n"
    )
    monkeypatch.setenv("CONFIG_PATH", str(config))
    monkeypatch.setenv("CTS_DB", str(tmp_path / "store.db"))


async def test_the_specifications_python_example_as_written(deployment, sim):
    from cts_tui import ConnectionPool, ConnectionStrategy, ExchangeConnection, ExchangeManager, ExchangeStatus, Priority

    # Create exchange manager
    manager = ExchangeManager(ConnectionStrategy.WEIGHTED_ROUND_ROBIN)

    # Initialize
    await manager.initialize()

    # Execute requests
    result = await manager.execute_request('fetch_ticker', 'BTC/USDT')
    assert result["symbol"] == "BTC/USDT"

    # Get status
    status = await manager.get_exchange_status('binance')
    assert status["status"] == ExchangeStatus.HEALTHY and status["exchange_id"] == "binance"

    exchange_manager = manager
    args, kwargs = (), {"symbol": "BTC/USDT"}
    # Execute request with priority
    result = await exchange_manager.execute_request(
        method='fetch_ticker',
        *args,
        exchange_id='binance',  # Optional: specific exchange
        priority=Priority.HIGH,  # Optional: request priority
        **kwargs
    )
    assert result["symbol"] == "BTC/USDT"

    # Get exchange status
    status = await exchange_manager.get_exchange_status(exchange_id='binance')
    assert status["active"] == 1

    # Use context manager for connection management
    async with exchange_manager.get_connection('binance') as connection:
        result = await connection.exchange.fetch_ticker('BTC/USDT')
        assert isinstance(connection, ExchangeConnection) and isinstance(connection.exchange, ccxt_async.Exchange)
        assert (connection.exchange_id, connection.status, connection.origin) == ("binance", "healthy", "env")
        assert connection.health_score > 0 and connection.session is not None
        tickers = await connection.exchange.fetch_tickers(['BTC/USDT', 'ETH/USDT'])  # any ccxt method
        assert set(tickers) == {"BTC/USDT", "ETH/USDT"}
        book = await connection.exchange.fetch_order_book('BTC/USDT')
        assert book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0]
        # Custom health check
        assert await exchange_manager._check_connection_health(connection) is True
    assert result["symbol"] == "BTC/USDT"

    rate_limiter = manager.coordinator.limiter
    # Check if request is allowed
    can_proceed = await rate_limiter.acquire_permit('binance', 'fetch_ticker', Priority.HIGH)
    # Get remaining requests
    remaining = await rate_limiter.get_remaining_requests('binance', 'fetch_ticker')
    assert can_proceed is True and remaining > 0

    pool = ConnectionPool()
    # Get connection from pool
    connection = await pool.get_connection('binance', manager)
    # Return connection to pool
    await pool.return_connection(connection)
    again = await pool.get_connection('binance', manager)
    assert again is connection and pool.stats().reused == 1  # the instance is reused
    await pool.return_connection(again)

    # Force connection reload
    await exchange_manager.close()
    await exchange_manager.initialize()

    # Get available exchanges
    exchanges = await exchange_manager.get_all_exchanges()
    assert exchanges == ["binance", "pionex"]
    await exchange_manager.close()


async def test_a_lent_exchange_goes_through_statistics_and_breaker(deployment, sim):
    from cts_tui import ExchangeManager

    async with ExchangeManager() as manager:
        coordinator = manager.coordinator
        async with manager.get_connection("binance") as connection:
            before = coordinator.get_connection("env-binance").requests
            await connection.exchange.fetch_tickers(["BTC/USDT"])
            assert coordinator.get_connection("env-binance").requests == before + 1
            await sim.set_fault("binance", outage="refused")
            for _ in range(coordinator.config.health.breaker_threshold):
                with pytest.raises(ccxt.NetworkError):
                    await connection.exchange.fetch_tickers(["BTC/USDT"])
            view = coordinator.get_connection("env-binance")
            assert view.breaker == "open" and view.consecutive_errors >= 3
            with pytest.raises(ccxt.ExchangeNotAvailable, match="circuit breaker open"):
                await connection.exchange.fetch_tickers(["BTC/USDT"])
            assert coordinator.get_connection("env-binance").requests == view.requests  # it never left
        async with manager.get_connection("pionex") as native:  # no ccxt class: the native client, observed
            before = coordinator.get_connection("env-pionex").requests
            assert (await native.exchange.fetch_ticker("BTC/USDT"))["symbol"] == "BTC/USDT"
            assert (await native.exchange.call("fetch_time")) > 0
            assert coordinator.get_connection("env-pionex").requests == before + 2


async def test_execute_request_takes_any_ccxt_method_where_it_is_supported(deployment, sim):
    from cts_tui import ExchangeManager

    async with ExchangeManager("round_robin") as manager:
        sim.journal.clear()
        for _ in range(4):  # Pionex's native client has no fetch_tickers: every one goes to Binance
            tickers = await manager.execute_request("fetch_tickers", ["BTC/USDT"])
            assert "BTC/USDT" in tickers
        assert {e.exchange for e in sim.journal.entries()} == {"binance"}
        with pytest.raises(ExchangeError) as missing:
            await manager.execute_request("fetch_ticker", exchange_id="binance")
        assert missing.value.kind is ErrorKind.INVALID_REQUEST
        assert "missing 1 required positional argument: 'symbol'" in missing.value.message
        with pytest.raises(ExchangeError, match="no healthy connection on pionex can fetch_tickers"):
            await manager.execute_request("fetch_tickers", exchange_id="pionex")
