"""Declarative endpoints: one table drives the router, the checks and openapi.json.

Each endpoint names its auth need, its query and body models; the wrapper built here checks the
bearer token, validates the query and the body with pydantic before the handler runs, and turns
what the handler returns into JSON. The OpenAPI document is generated from the same table, so it
cannot drift from what the server does.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from cts_tui.api.server import READ_TIMEOUT, READ_TIMEOUT_S
from cts_tui.api.state import API_STATE, ApiState
from cts_tui.errors import describe_validation_error


class ApiError(Exception):
    """An answer other than success, with the status and the one line the client reads."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class Call:
    """What a handler gets: the validated inputs and the running coordinator."""

    request: web.Request
    state: ApiState
    params: dict[str, str]
    query: Any = None
    body: Any = None


Handler = Callable[[Call], Awaitable[object]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    auth: bool
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    status: int = 200
    params: dict[str, str] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    response: type[BaseModel] | None = None  # the success body's shape, when documented
    content_type: str = "application/json"


class Routes:
    """Collects endpoints declared with the ``get`` / ``post`` / ... decorators of one module."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.endpoints: list[Endpoint] = []

    def _add(self, method: str, path: str, summary: str, **meta: Any) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.endpoints.append(Endpoint(method, path, handler, summary, self.tag, **meta))
            return handler

        return register

    def get(self, path: str, summary: str, **meta: Any) -> Callable[[Handler], Handler]:
        return self._add("GET", path, summary, **meta)

    def post(self, path: str, summary: str, **meta: Any) -> Callable[[Handler], Handler]:
        return self._add("POST", path, summary, **meta)

    def patch(self, path: str, summary: str, **meta: Any) -> Callable[[Handler], Handler]:
        return self._add("PATCH", path, summary, **meta)

    def delete(self, path: str, summary: str, **meta: Any) -> Callable[[Handler], Handler]:
        return self._add("DELETE", path, summary, **meta)


def check_bearer(request: web.Request, token: str) -> None:
    header = request.headers.get("Authorization", "")
    if not header.isascii():
        raise ApiError(400, "Authorization: not a valid header value (non-ASCII bytes)")
    scheme, _, given = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="cts-tui"'}
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(401, "missing API token: send it in the Authorization header, scheme Bearer", challenge)
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ApiError(401, "invalid API token", challenge)


def _validate(model: type[BaseModel], data: object, status: int, prefix: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(status, describe_validation_error(exc, prefix)) from None


def _parse_query(request: web.Request, model: type[BaseModel]) -> BaseModel:
    data: dict[str, str] = {}
    for key, value in request.query.items():
        if key in data:
            raise ApiError(400, f"query.{key}: given more than once")
        data[key] = value
    return _validate(model, data, 400, "query")


MAX_JSON_DEPTH = 32
"""Nesting a body may have: ours are two levels deep; 5,000 is an attack, answered 400."""


async def _parse_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    deadline = request.app.get(READ_TIMEOUT, READ_TIMEOUT_S)
    try:
        async with asyncio.timeout(deadline):
            raw = await request.read()  # bounded by the application's client_max_size (413 beyond)
    except TimeoutError:
        raise ApiError(408, f"body: not received within {deadline:g} s") from None
    if not raw.strip():
        raise ApiError(400, "body: a JSON object is required")
    try:
        data = json.loads(raw)
    except RecursionError:
        raise ApiError(400, f"body: JSON nested more than {MAX_JSON_DEPTH} levels deep") from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "body: not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "body: a JSON object is required")
    if _too_deep(data):
        raise ApiError(400, f"body: JSON nested more than {MAX_JSON_DEPTH} levels deep")
    return _validate(model, data, 422, "body")


def _too_deep(data: object) -> bool:
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def json_response(data: object, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(data, separators=(",", ":"), default=str),
        status=status,
        content_type="application/json",
    )


def make_handler(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler for ``endpoint``: auth, then query, then body, then the handler."""

    async def handle(request: web.Request) -> web.StreamResponse:
        state = request.app[API_STATE]
        if endpoint.auth:
            check_bearer(request, state.token)
        query = _parse_query(request, endpoint.query) if endpoint.query else None
        if endpoint.query is None and request.query:
            raise ApiError(400, f"query.{next(iter(request.query))}: unknown parameter")
        body = await _parse_body(request, endpoint.body) if endpoint.body else None
        call = Call(request, state, dict(request.match_info), query, body)
        result = await endpoint.handler(call)
        if isinstance(result, web.StreamResponse):
            return result
        return json_response(result, endpoint.status)

    handle.__name__ = endpoint.handler.__name__
    return handle
