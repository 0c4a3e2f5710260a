"""Each exchange's key facts (permissions, IP whitelist, expiry) read from the simulator's real
endpoints by the client, and what each exchange does not report kept apart from "none"."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.errors import ExchangeError
from cts_tui.exchanges.hosts import rest_hosts
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.key_facts import KeyProfile
from cts_tui.ratelimit import RateLimiter

from .helpers import connection_for

RISKY = frozenset({"read", "trade", "withdraw", "transfer"})

# exchange: (reports permissions, transfers apart from withdrawals, IP whitelist, its addresses, expiry)
REPORTS = {
    "binance": (True, True, True, False, True),
    "bybit": (True, True, True, True, True),
    "okx": (True, False, True, True, False),
    "bingx": (True, True, True, True, False),
    "htx": (True, False, True, True, True),
    "coinbase": (True, False, False, False, False),
    "orangex": (True, False, False, False, False),
    "pionex": (False, False, False, False, False),
    "kraken": (False, False, False, False, False),
    "kucoin": (True, True, True, True, False),
}


def _client(sim, hub, exchange: str):
    return hub.client_for(connection_for(sim, ExchangeId(exchange), ApiType.SPOT))


@pytest.mark.parametrize("exchange", sorted(REPORTS))
async def test_a_risky_key_is_reported_as_far_as_the_exchange_tells(sim, sim_key, hub, exchange):
    perms, transfers, whitelist, _, expiry = REPORTS[exchange]
    expires = datetime.now(UTC) + timedelta(days=5)
    sim_key(exchange, permissions=RISKY, ip_whitelist=(), expires_at_ms=int(expires.timestamp() * 1000))

    facts = await _client(sim, hub, exchange).fetch_key_facts()

    if perms:
        assert {"read", "trade", "withdraw"} <= set(facts.permissions)
        assert ("transfer" in facts.permissions) is transfers
    else:
        assert facts.permissions is None
    assert facts.ip_restricted is (False if whitelist else None)
    assert facts.expiry_reported is expiry
    if expiry:
        assert abs(facts.expires_at - expires) < timedelta(days=1)
    else:
        assert facts.expires_at is None


@pytest.mark.parametrize("exchange", sorted(REPORTS))
async def test_a_whitelisted_key_that_never_expires(sim, sim_key, hub, exchange):
    perms, _, whitelist, addresses, expiry = REPORTS[exchange]
    sim_key(exchange, permissions=frozenset({"read"}), ip_whitelist=("127.0.0.1", "10.0.0.7"), expires_at_ms=None)

    facts = await _client(sim, hub, exchange).fetch_key_facts()

    assert facts.permissions == (["read"] if perms else None)
    assert facts.ip_restricted is (True if whitelist else None)
    assert facts.ips == (["127.0.0.1", "10.0.0.7"] if addresses else [])
    assert facts.expires_at is None and facts.expiry_reported is expiry


@pytest.mark.parametrize("exchange", sorted(REPORTS))
async def test_a_connection_test_carries_the_key_facts_and_logs_them(sim, hub, exchange):
    result = await _client(sim, hub, exchange).test_connection()

    assert result.success, result.log
    assert result.key is not None
    assert result.permissions == (result.key.permissions or [])
    assert any(line.split("] ", 1)[1].startswith("Key: ") for line in result.log)


@pytest.mark.parametrize(
    ("exchange", "note"),
    [
        ("kraken", "permissions, IP whitelist, expiry not reported by Kraken"),
        ("okx", "expiry not reported by OKX"),
        ("coinbase", "IP whitelist, expiry not reported by Coinbase"),
        ("bybit", None),
    ],
)
async def test_what_an_exchange_does_not_report_is_said_plainly(sim, hub, exchange, note):
    facts = await _client(sim, hub, exchange).fetch_key_facts()
    profile = KeyProfile(**facts.model_dump(), connection_id="c1", exchange=exchange, read_at=datetime.now(UTC))
    assert profile.unreported_note() == note


async def test_htx_counts_the_days_a_key_has_left(sim, sim_key, hub):
    sim_key("htx", expires_at_ms=int((time.time() + 3 * 86_400) * 1000))
    facts = await _client(sim, hub, "htx").fetch_key_facts()
    assert timedelta(days=2) < facts.expires_at - datetime.now(UTC) <= timedelta(days=3, minutes=1)


@pytest.mark.parametrize(("exchange", "endpoint"), [("kucoin", "/api/v1/user/api-key"),
                                                    ("binance", "/sapi/v1/account/apiRestrictions")])
async def test_a_futures_key_is_read_on_the_main_host(sim, sim_key, config, exchange, endpoint) -> None:
    """One key serves every host and only the main one says what it may do: read there, at the
    twin the config's host map names beside the futures connection's base URL."""
    sim_key(exchange, permissions=frozenset({"read", "trade"}), ip_whitelist=("127.0.0.1",))
    futures = connection_for(sim, ExchangeId(exchange), ApiType.PERPETUAL_FUTURES)
    config.exchanges[ExchangeId(exchange)].hosts = rest_hosts(sim.hosts(exchange))
    limiter = RateLimiter.from_config(config)
    hub = ExchangeHub(config, limiter)
    try:
        facts = await hub.client_for(futures).fetch_key_facts()
    finally:
        await hub.close()
        await limiter.close()
    assert {"read", "trade"} <= set(facts.permissions) and "withdraw" not in facts.permissions
    assert facts.ip_restricted is True
    key_reads = [e for e in sim.journal.entries(exchange=exchange) if e.endpoint == endpoint]
    assert [(e.status, e.account) for e in key_reads] == [(200, "main")]


async def test_without_the_spot_hosts_url_a_futures_key_says_where_its_facts_are(sim, hub) -> None:
    futures = connection_for(sim, ExchangeId.KUCOIN, ApiType.PERPETUAL_FUTURES)
    with pytest.raises(ExchangeError, match=r"api\.kucoin\.com.*exchanges\.kucoin\.hosts"):
        await hub.client_for(futures).fetch_key_facts()
