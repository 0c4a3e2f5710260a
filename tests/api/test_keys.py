"""``GET /api/v1/keys/audit`` and ``POST /api/v1/keys/read``: each key's facts and risks over
REST, token required, in the OpenAPI document; the intended use set through the PATCH."""

from __future__ import annotations

from .world import World


async def test_audit_needs_the_token_and_is_documented(world: World) -> None:
    status, _ = await world.call("GET", "/api/v1/keys/audit", token=None)
    assert status == 401
    _, document = await world.call("GET", "/openapi.json", token=None)
    for method, path in (("get", "/api/v1/keys/audit"), ("post", "/api/v1/keys/read")):
        operation = document["paths"][path][method]
        assert operation["security"] == [{"bearerAuth": []}]


async def test_a_read_on_demand_fills_the_audit(world: World) -> None:
    sim = world.demo.simulator
    sim.account("binance", "main").permissions = frozenset({"read", "trade", "withdraw"})
    sim.account("binance", "main").ip_whitelist = ()
    ids = world.ids

    status, body = await world.call("POST", "/api/v1/keys/read")
    assert status == 200
    assert set(body["errors"]) == {ids["binance-bad"]}  # its secret is wrong: nothing to read
    audit = {entry["name"]: entry for entry in body["connections"]}
    assert [r["risk"] for r in audit["binance-spot"]["risks"]] == ["withdrawals", "no_ip_whitelist"]
    assert audit["binance-spot"]["worst"] == "high" and audit["binance-spot"]["read_at"]
    assert audit["pionex-ro"]["unknown"] == "permissions, IP whitelist, expiry not reported by Pionex"
    assert audit["okx-spot"]["ip_restricted"] is True and audit["okx-spot"]["ips"] == ["127.0.0.1"]

    status, again = await world.call("GET", "/api/v1/keys/audit")
    assert status == 200 and again["risks"]["high"] == body["risks"]["high"] >= 1


async def test_the_intended_use_is_set_with_the_connection(world: World) -> None:
    okx = world.ids["okx-spot"]
    await world.call("POST", "/api/v1/keys/read")
    status, body = await world.call("PATCH", f"/api/settings/connections/{okx}", body={"intended_use": "monitor"})
    assert status == 200 and body["connection"]["intended_use"] == "monitor"
    _, audit = await world.call("GET", "/api/v1/keys/audit")
    [entry] = [e for e in audit["connections"] if e["id"] == okx]
    assert [r["risk"] for r in entry["risks"]] == ["excess_permissions"]

    status, body = await world.call("PATCH", f"/api/settings/connections/{okx}", body={"intended_use": "spy"})
    assert status == 422 and "intended_use" in body["error"]
