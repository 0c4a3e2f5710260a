"""Every exchange and API type against the simulator: a passing test with a balance, and the
credential failures classified as auth, with no credential in any text."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from cts_tui.capabilities import SUPPORTED_API_TYPES, ApiType, ExchangeId, PassphrasePolicy, passphrase_policy
from cts_tui.errors import ErrorKind
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.sim import AccountSpec, ExchangeScenario, Scenario, Simulator

from .helpers import connection_for, credentials_of, need

CASES = [(ex, at) for ex in ExchangeId for at in SUPPORTED_API_TYPES[ex]]
STAMP = re.compile(r"^\[\d\d:\d\d:\d\d\.\d{3}\] ")


@pytest.mark.parametrize(("exchange", "api_type"), CASES, ids=[f"{e.value}-{a.value}" for e, a in CASES])
async def test_connection_test_passes_with_balance(
    sim: Simulator, hub: ExchangeHub, exchange: ExchangeId, api_type: ApiType, secrets_seen
) -> None:
    need(sim, exchange)
    connection = connection_for(sim, exchange, api_type)
    result = await hub.client_for(connection).test_connection()
    assert result.success, result.log
    assert result.balance is not None and result.balance > 0
    assert result.quote in result.balances
    assert result.error_kind is None and result.error is None
    assert "fetch_balance" in result.capabilities
    assert all(STAMP.match(line) for line in result.log)
    assert any("Balance" in line for line in result.log)
    secrets_seen(credentials_of(connection), "\n".join(result.log))


def _first_type(exchange: ExchangeId) -> ApiType:
    return SUPPORTED_API_TYPES[exchange][0]


@pytest.mark.parametrize("exchange", list(ExchangeId), ids=[e.value for e in ExchangeId])
@pytest.mark.parametrize("wrong", ["api_key", "api_secret"])
async def test_wrong_credentials_fail_as_auth(
    sim: Simulator, hub: ExchangeHub, exchange: ExchangeId, wrong: str, secrets_seen
) -> None:
    need(sim, exchange)
    good = connection_for(sim, exchange, _first_type(exchange))
    original = getattr(good, wrong).get_secret_value()
    connection = connection_for(sim, exchange, _first_type(exchange), **{wrong: "Zz" + original[2:][::-1]})
    result = await hub.client_for(connection).test_connection()
    assert not result.success
    assert result.error_kind is ErrorKind.AUTH, result.log
    assert result.balance is None
    assert any("Failed at" in line for line in result.log)
    secrets_seen(credentials_of(connection) + credentials_of(good), result.error or "", "\n".join(result.log))


PASSPHRASE_EXCHANGES = [e for e in ExchangeId if passphrase_policy(e) is not PassphrasePolicy.NONE]
# Coinbase keys with a passphrase are Coinbase Exchange keys (ccxt's coinbaseexchange).
EXCHANGE_KEYS = Scenario(exchanges={"coinbase": ExchangeScenario(accounts=[
    AccountSpec(name="main"), AccountSpec(name="exchange-key", passphrase="cb-pass-phrase-7"),
])})


@pytest.fixture
async def sim_with_passphrases() -> AsyncIterator[Simulator]:
    async with Simulator(EXCHANGE_KEYS) as simulator:
        yield simulator


async def test_coinbase_exchange_key_with_passphrase_passes(sim_with_passphrases: Simulator, hub: ExchangeHub) -> None:
    need(sim_with_passphrases, ExchangeId.COINBASE)
    connection = connection_for(sim_with_passphrases, ExchangeId.COINBASE, ApiType.SPOT, account="exchange-key")
    result = await hub.client_for(connection).test_connection()
    assert result.success, result.log
    assert result.balance and result.balance > 0


@pytest.mark.parametrize("exchange", PASSPHRASE_EXCHANGES, ids=[e.value for e in PASSPHRASE_EXCHANGES])
async def test_wrong_passphrase_fails_as_auth(
    sim_with_passphrases: Simulator, hub: ExchangeHub, exchange: ExchangeId, secrets_seen
) -> None:
    sim = sim_with_passphrases
    need(sim, exchange)
    accounts = [a for a in sim.accounts(exchange.value) if a.passphrase]
    if not accounts:
        pytest.skip(f"the simulator's {exchange.value} keys carry no passphrase")
    connection = connection_for(
        sim, exchange, _first_type(exchange), account=accounts[0].name,
        api_passphrase="Wrong-" + accounts[0].passphrase[::-1],
    )
    result = await hub.client_for(connection).test_connection()
    assert not result.success
    assert result.error_kind is ErrorKind.AUTH, result.log
    secrets_seen(credentials_of(connection), result.error or "", "\n".join(result.log))
