"""Property-based fuzzing of the API from its own openapi.json: whatever arrives, valid by the
schema or junk, the answer is never a 5xx and an error is always the one-line JSON shape.

Requests are drawn per operation from the document the server serves: path ids (real, or
junk), query values (from the parameter schemas, or junk strings) and bodies (from the request
schemas, or arbitrary JSON). ``base_url`` in any body is pinned to the simulator so that nothing
can leave the loopback interface.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .world import TOKEN, ThreadedWorld

JSON_LEAVES = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | st.text(max_size=20)
ANY_JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
JUNK_TEXT = st.text(alphabet=string.ascii_letters + string.digits + "-_.~%/ é", max_size=24)


def from_schema(schema: dict[str, Any], components: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy for the JSON Schema subset that pydantic emits for the request models."""
    if "$ref" in schema:
        return from_schema(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    if "anyOf" in schema or "oneOf" in schema:
        return st.one_of([from_schema(s, components) for s in schema.get("anyOf", schema.get("oneOf"))])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda s: schema.get("minLength", 0) <= len(s) <= schema.get("maxLength", 10**6)
            )
        return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 40))
    if kind == "integer":
        return st.integers(schema.get("minimum", -10**9), schema.get("maximum", 10**9))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        items = from_schema(schema.get("items", {}), components)
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 5), 5))
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, components) for k, v in properties.items() if k in required},
            optional={k: from_schema(v, components) for k, v in properties.items() if k not in required},
        )
    return ANY_JSON


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


@dataclass
class Target:
    """The running API, its document and the ids known at the start (drawn from, so that
    generation never depends on what earlier examples created or deleted)."""

    running: ThreadedWorld
    components: dict[str, Any]
    operations: list[tuple[str, str, dict[str, Any]]]
    path_values: list[str]
    exchanges: list[str]


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    with ThreadedWorld() as running:
        status, raw, _ = running.request("GET", "/openapi.json")
        assert status == 200
        spec = json.loads(raw)
        world = running.world
        assert world is not None
        exchanges = sorted(world.demo.simulator.exchanges)
        yield Target(
            running,
            spec["components"]["schemas"],
            sorted((path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()),
            sorted(world.ids.values()) + exchanges,
            exchanges,
        )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_request_makes_the_server_fail(target: Target, data: st.DataObject) -> None:
    components = target.components
    path, method, operation = data.draw(st.sampled_from(target.operations), label="operation")
    world = target.running.world
    assert world is not None

    concrete = path
    query: list[tuple[str, str]] = []
    for parameter in operation["parameters"]:
        if parameter["in"] == "path":
            value = data.draw(st.sampled_from(target.path_values) | JUNK_TEXT.filter(bool), label="path")
            concrete = concrete.replace("{" + parameter["name"] + "}", quote(value, safe=""))
        elif data.draw(st.booleans(), label=f"has {parameter['name']}"):
            value = data.draw(from_schema(parameter["schema"], components) | JUNK_TEXT, label=parameter["name"])
            if value is not None:
                query.append((parameter["name"], _query_text(value)))
    if data.draw(st.integers(0, 9), label="stray query") == 0:
        query.append((data.draw(JUNK_TEXT, label="stray key"), "1"))
    if query:
        concrete += "?" + urlencode(query)

    body: bytes | None = None
    if "requestBody" in operation or data.draw(st.integers(0, 4), label="stray body") == 0:
        schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        value = data.draw(from_schema(schema, components) | ANY_JSON, label="body")
        if isinstance(value, dict) and "base_url" in value:
            exchange = value.get("exchange")
            value["base_url"] = world.demo.simulator.base_url(exchange if exchange in target.exchanges else "binance")
        body = json.dumps(value).encode()
    token = data.draw(st.sampled_from([TOKEN, TOKEN, TOKEN, "", "wrong-token-0123456789"]), label="token")
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"

    status, raw, _ = target.running.request(method.upper(), concrete, data=body, headers=headers)
    assert status < 500, (method, concrete, body, raw[:300])
    if status >= 400:
        error = json.loads(raw)
        assert error["success"] is False and isinstance(error["error"], str) and "\n" not in error["error"]
        assert "Traceback" not in error["error"]
