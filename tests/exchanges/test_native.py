"""What only the native clients do: OrangeX's grant fallback and token renewal, Pionex's clock
kept from answer timestamps."""

from __future__ import annotations

import asyncio

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.sim import Simulator

from .helpers import connection_for, need


def _auth_outcomes(sim: Simulator) -> list[str]:
    return [e.outcome for e in sim.journal.entries() if e.exchange == "orangex" and e.endpoint.endswith("/public/auth")]


async def test_orangex_falls_back_to_client_credentials_when_the_signature_grant_is_refused(
    sim: Simulator, hub: ExchangeHub
) -> None:
    need(sim, ExchangeId.ORANGEX)
    sim.set_limits("orangex", signature_window_s=0.000001)  # every signed grant is "stale"
    client = hub.client_for(connection_for(sim, ExchangeId.ORANGEX, ApiType.SPOT))
    result = await client.test_connection()
    assert result.success, result.log
    assert client.grant_used == "client_credentials"
    assert _auth_outcomes(sim) == ["invalid_timestamp", "ok"]


async def test_orangex_uses_the_signature_grant_and_renews_the_token_before_expiry(
    sim: Simulator, hub: ExchangeHub
) -> None:
    need(sim, ExchangeId.ORANGEX)
    sim.set_limits("orangex", token_ttl_s=2)
    client = hub.client_for(connection_for(sim, ExchangeId.ORANGEX, ApiType.PERPETUAL_FUTURES))
    assert await client.fetch_balance()
    assert client.grant_used == "client_signature"
    await client.fetch_balance()  # a fresh token is reused: no second auth
    assert len(_auth_outcomes(sim)) == 1
    await asyncio.sleep(1.1)  # past half of the token's life
    assert await client.fetch_balance()
    assert client.grant_used == "refresh_token"
    assert _auth_outcomes(sim) == ["ok", "ok"]
    assert not [e for e in sim.journal.entries() if e.outcome == "auth_failed"]


async def test_pionex_keeps_its_clock_from_answer_timestamps(sim: Simulator, hub: ExchangeHub) -> None:
    need(sim, ExchangeId.PIONEX)
    await sim.set_fault("pionex", clock_skew_ms=-15_000)
    client = hub.client_for(connection_for(sim, ExchangeId.PIONEX, ApiType.SPOT))
    await client.load_markets()
    requests_before = len(sim.journal)
    offset = hub.clock_offset_ms(ExchangeId.PIONEX)
    assert offset is not None and abs(offset + 15_000) < 1_000
    assert abs(await client.fetch_time() - (await client.fetch_time())) < 1_000
    assert len(sim.journal) == requests_before  # a fresh sample answers fetch_time
    assert await client.fetch_balance()
