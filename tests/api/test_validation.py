"""Bad input gets a 4xx whose one line names the field, never a stack trace or a secret."""

from __future__ import annotations

from .world import World

CREATE = "/api/settings/connections"


def draft(world: World, **changes: object) -> dict[str, object]:
    account = world.demo.simulator.account("binance", "main")
    body: dict[str, object] = {
        "name": "new",
        "exchange": "binance",
        "api_type": "spot",
        "api_key": account.api_key,
        "api_secret": account.secret,
        "base_url": world.demo.simulator.base_url("binance"),
        "enabled": False,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


async def test_a_missing_field_is_named(world: World) -> None:
    status, body = await world.call("POST", CREATE, body=draft(world, api_secret=None))
    assert status == 422 and body == {"success": False, "error": "body.api_secret: Field required"}


async def test_an_unknown_field_is_named(world: World) -> None:
    status, body = await world.call("POST", CREATE, body=draft(world, colour="red"))
    assert status == 422 and body["error"] == "body.colour: unknown key"


async def test_an_impossible_combination_says_what_is_possible(world: World) -> None:
    status, body = await world.call("POST", CREATE, body=draft(world, exchange="coinbase", api_type="futures"))
    assert status == 422 and "coinbase has no futures API" in body["error"] and "spot" in body["error"]


async def test_a_secret_in_a_bad_body_is_never_echoed(world: World) -> None:
    secret = "Sup3rS3cretValue-never-echo"
    status, body = await world.call("POST", CREATE, body=draft(world, api_secret=secret, weight="heavy"))
    assert status == 422 and "body.weight" in body["error"] and secret not in str(body)


async def test_a_patch_that_breaks_the_rules_is_refused_and_changes_nothing(world: World) -> None:
    connection_id = world.ids["pionex-ro"]
    status, body = await world.call("PATCH", f"{CREATE}/{connection_id}", body={"api_type": "futures"})
    assert status in (400, 422) and "futures" in body["error"], body
    assert world.runtime.coordinator.get_connection(connection_id).api_type.value == "spot"


async def test_malformed_json_and_non_objects_are_400(world: World) -> None:
    for raw in (b"{not json", b"[1, 2]", b"", b"\xff\xfe"):
        status, body = await world.call("POST", CREATE, raw=raw)
        assert status == 400 and body["error"].startswith("body:"), raw


async def test_a_body_over_the_limit_is_413(world: World) -> None:
    status, body = await world.call("POST", CREATE, body=draft(world, name="x" * 5000))
    assert status == 413 and "4096" in body["error"]


async def test_query_parameters_are_validated(world: World) -> None:
    status, body = await world.call("GET", f"{CREATE}?exchange=nasdaq")
    assert status == 400 and body["error"].startswith("query.exchange")
    status, body = await world.call("GET", f"{CREATE}?enabled=maybe")
    assert status == 400 and body["error"].startswith("query.enabled")
    status, body = await world.call("GET", f"{CREATE}?colour=red")
    assert status == 400 and body["error"] == "query.colour: unknown key"
    status, body = await world.call("GET", "/api/v1/exchanges/dashboard?x=1")
    assert status == 400 and "query.x" in body["error"]


async def test_unknown_paths_and_methods_answer_json(world: World) -> None:
    status, body = await world.call("GET", "/api/nothing-here")
    assert status == 404 and body["success"] is False
    status, body = await world.call("PUT", "/api/settings/connections")
    assert status == 405 and body["success"] is False
