"""A stored connection whose keys no longer decrypt (a damaged row, another master key) is left
out by the coordinator; over REST it can be given its keys again (PATCH) or removed (DELETE)."""

from __future__ import annotations

import asyncio

from tests.core.helpers import eventually
from tests.store.helpers import damage

from .world import World


async def _damaged(world: World, name: str) -> str:
    conn_id = world.ids[name]
    # From a thread: a live store's write transaction may need this loop to finish.
    await asyncio.to_thread(damage, world.demo.db_path, conn_id)
    await eventually(lambda: conn_id not in world.ids.values())  # the change feed left it out
    return conn_id


async def test_an_unreadable_connection_is_whole_again_with_its_keys_entered(world: World) -> None:
    conn_id = await _damaged(world, "binance-spot")
    path = f"/api/settings/connections/{conn_id}"
    status, body = await world.call("PATCH", path, body={"weight": 5})
    assert status == 409 and "unreadable" in body["error"] and "API key and secret again" in body["error"]
    account = world.demo.simulator.account("binance")
    status, body = await world.call("PATCH", path, body={"api_key": account.api_key, "api_secret": account.secret})
    assert status == 200, body
    assert body["connection"]["id"] == conn_id and body["connection"]["state"] == "active"  # tested with them
    assert account.api_key not in str(body) and account.secret not in str(body)
    status, listed = await world.call("GET", "/api/settings/connections")
    assert conn_id in [c["id"] for c in listed["connections"]]


async def test_an_unreadable_connection_can_be_deleted(world: World) -> None:
    conn_id = await _damaged(world, "htx-spot")
    status, body = await world.call("DELETE", f"/api/settings/connections/{conn_id}")
    assert status == 200 and body["id"] == conn_id
    assert await world.runtime.store.unreadable() == []
    status, _ = await world.call("DELETE", f"/api/settings/connections/{conn_id}")
    assert status == 404


async def test_keys_entered_while_the_damage_is_being_noticed_still_make_it_whole(world: World) -> None:
    """The PATCH may meet the connection still managed, or left out while it waited: either way
    the keys are stored and the connection is managed and tested with them."""
    conn_id = world.ids["okx-spot"]
    await asyncio.to_thread(damage, world.demo.db_path, conn_id)
    account = world.demo.simulator.account("okx")
    status, body = await world.call(
        "PATCH", f"/api/settings/connections/{conn_id}",
        body={"api_key": account.api_key, "api_secret": account.secret, "api_passphrase": account.passphrase},
    )
    assert status == 200, body
    await eventually(lambda: conn_id in world.ids.values())
    assert world.runtime.coordinator.connection_model(conn_id).api_key.get_secret_value() == account.api_key
    assert await world.runtime.store.unreadable() == []
