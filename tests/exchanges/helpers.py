"""Helpers for the client tests: connections built from the simulator's accounts."""

from __future__ import annotations

import pytest

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.models import Connection
from cts_tui.sim import Simulator
from tests.sim_hosts import twin


def need(sim: Simulator, exchange: ExchangeId) -> None:
    if exchange.value not in sim.exchanges:
        pytest.skip(f"the simulator does not serve {exchange.value} yet")


def connection_for(
    sim: Simulator,
    exchange: ExchangeId,
    api_type: ApiType,
    *,
    account: str = "main",
    **overrides: object,
) -> Connection:
    acct = sim.account(exchange.value, account)
    fields: dict[str, object] = {
        "name": f"{exchange.value}-{api_type.value}-{account}",
        "exchange": exchange,
        "api_type": api_type,
        "api_key": acct.api_key,
        "api_secret": acct.secret,
        "api_passphrase": acct.passphrase,
        "base_url": twin(sim, exchange, api_type, acct.passphrase),
        "is_testnet": acct.testnet,
    }
    fields.update(overrides)
    return Connection(**fields)


def credentials_of(connection: Connection) -> list[str]:
    values = [connection.api_key.get_secret_value(), connection.api_secret.get_secret_value()]
    if connection.api_passphrase is not None:
        values.append(connection.api_passphrase.get_secret_value())
    return values
