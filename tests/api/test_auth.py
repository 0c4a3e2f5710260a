"""Every endpoint that changes something or reveals account data refuses a missing or wrong
token before it looks at the request; the public ones answer without one."""

from __future__ import annotations

import re

from cts_tui.api.app import ENDPOINTS
from .world import World

PUBLIC = {
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),  # the same reference as openapi.json, readable
    ("GET", "/api/system/status"),
    ("GET", "/api/v1/exchanges/status"),
    ("GET", "/api/v1/exchanges/load-balance"),
    ("GET", "/api/v1/exchanges/metrics/performance"),
    ("GET", "/api/v1/exchanges/connection-pool/{id}"),
    ("GET", "/api/v1/exchanges/streams"),
}


def _concrete(path: str, connection_id: str) -> str:
    exchange_scoped = path.startswith("/api/v1/exchanges")
    return re.sub(r"\{id\}", "binance" if exchange_scoped else connection_id, path)


def test_the_public_set_is_exactly_the_endpoints_without_auth() -> None:
    assert {(e.method, e.path) for e in ENDPOINTS if not e.auth} == PUBLIC


async def test_every_guarded_endpoint_refuses_a_missing_or_wrong_token(world: World) -> None:
    connection_id = world.ids["binance-spot"]
    guarded = [e for e in ENDPOINTS if e.auth]
    assert len(guarded) == 19
    for endpoint in guarded:
        path = _concrete(endpoint.path, connection_id)
        for token in (None, "wrong-token-0123456789abcdef", ""):
            status, body = await world.call(endpoint.method, path, token=token, raw=b"{")
            assert status == 401, (endpoint.method, path, token, body)
            assert body["success"] is False and "token" in body["error"]
    status, _ = await world.call("GET", "/api/settings/connections", token=None,
                                 headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert status == 401


async def test_a_refusal_carries_the_bearer_challenge(world: World) -> None:
    async with world.http.get(world.url + "/api/settings/connections") as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.headers["Cache-Control"] == "no-store" and "Server" not in response.headers


async def test_public_endpoints_answer_without_a_token(world: World) -> None:
    for method, path in sorted(PUBLIC):
        status, _ = await world.call(method, _concrete(path, ""), token=None)
        assert status == 200, (method, path)


async def test_the_right_token_is_accepted(world: World) -> None:
    status, body = await world.call("GET", "/api/settings/connections")
    assert status == 200 and body["success"] is True
