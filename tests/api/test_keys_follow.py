"""Keys go only where they were meant to go: a PATCH that moves a connection to another host
without its secrets is refused with the reason, and nothing is saved or sent there."""

from __future__ import annotations

import pytest

from cts_tui.config import parse_config_text
from cts_tui.errors import ConfigError

from .world import World, running_world, small_scenario


async def test_a_new_host_without_the_secrets_is_refused_and_nothing_changes(world: World) -> None:
    sim = world.demo.simulator
    conn_id = world.ids["binance-spot"]
    before = world.runtime.coordinator.connection_model(conn_id)
    elsewhere = sim.base_url("okx")  # another port: another host as far as keys go
    status, body = await world.call("PATCH", f"/api/settings/connections/{conn_id}", body={"base_url": elsewhere})
    assert status == 422 and body["success"] is False
    assert "base_url" in body["error"] and "api_key, api_secret again" in body["error"]
    after = world.runtime.coordinator.connection_model(conn_id)
    assert after.base_url == before.base_url
    # No request signed with binance's key reached that host (it would fail there as unknown).
    assert not sim.journal.entries("okx", outcome="auth_failed")


async def test_the_same_host_or_the_secrets_again_are_accepted(world: World) -> None:
    sim = world.demo.simulator
    conn_id = world.ids["binance-spot"]
    current = world.runtime.coordinator.connection_model(conn_id)
    status, _ = await world.call("PATCH", f"/api/settings/connections/{conn_id}", body={"base_url": current.base_url + "/"})
    assert status == 200
    account = sim.account("binance")
    status, body = await world.call(
        "PATCH", f"/api/settings/connections/{conn_id}",
        body={"base_url": sim.base_url("binance").replace("127.0.0.1", "localhost"),
              "api_key": account.api_key, "api_secret": account.secret},
    )
    assert status == 200, body
    assert world.runtime.coordinator.connection_model(conn_id).base_url.startswith("http://localhost:")


async def test_a_host_the_config_allows_takes_the_connection_without_its_secrets() -> None:
    """exchanges.binance.allowed_hosts: ["localhost"]: any port there; other hosts still need
    the secrets, and the refusal names the setting."""
    scenario = small_scenario(exchanges={"binance": {"allowed_hosts": ["LocalHost"]}})
    async with running_world(scenario) as world:
        sim = world.demo.simulator
        conn_id = world.ids["binance-spot"]
        proxy = sim.base_url("binance").replace("127.0.0.1", "localhost")
        status, body = await world.call("PATCH", f"/api/settings/connections/{conn_id}", body={"base_url": proxy})
        assert status == 200, body
        assert world.runtime.coordinator.connection_model(conn_id).base_url == proxy
        status, body = await world.call(
            "PATCH", f"/api/settings/connections/{conn_id}", body={"base_url": sim.base_url("okx")}
        )
        assert status == 422 and "exchanges.binance.allowed_hosts" in body["error"]


@pytest.mark.parametrize("entry", ["https://proxy", "proxy/path", "user@proxy", "proxy:99999", "pro xy", ""])
def test_allowed_hosts_are_hosts_or_host_ports_only(entry: str) -> None:
    with pytest.raises(ConfigError, match="allowed_hosts"):
        parse_config_text(f"exchanges:\n  okx: {{allowed_hosts: [{entry!r}]}}\n", "cts.yaml")
