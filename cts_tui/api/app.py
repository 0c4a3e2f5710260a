"""The aiohttp application: the endpoint table, the error middleware and the size limit.

The error middleware is the only place an exception becomes an HTTP answer: user errors keep
their one-line message, anything unexpected is logged (scrubbed) and answered with a bare 500,
so no stack trace or secret ever reaches a client.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from aiohttp import web
from pydantic import ValidationError

from cts_tui.api import routes_exchanges, routes_keys, routes_service, routes_settings
from cts_tui.api.endpoints import ApiError, Endpoint, json_response, make_handler
from cts_tui.api.docs import render_docs
from cts_tui.api.openapi import build_openapi
from cts_tui.api.state import API_STATE, DOCS, OPENAPI, ApiState
from cts_tui.errors import (
    AlreadyExists,
    CtsError,
    ExchangeError,
    InvalidTransition,
    KeysMustFollow,
    NotFoundError,
    ReadOnlyError,
    describe_validation_error,
)

log = logging.getLogger(__name__)

ENDPOINTS: tuple[Endpoint, ...] = (
    *routes_service.routes.endpoints,
    *routes_exchanges.routes.endpoints,
    *routes_settings.routes.endpoints,
    *routes_settings.system_routes.endpoints,
    *routes_keys.routes.endpoints,
)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """The one error shape. Messages arrive scrubbed (``CtsError`` and the validation
    descriptions scrub themselves; the API's own name no secret). Control characters a client
    put in a key or an id are escaped, so the message stays one line."""
    line = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    response = json_response({"success": False, "error": line}, status)
    response.headers.update(headers or {})
    return response


def _status_of(exc: CtsError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, (InvalidTransition, ReadOnlyError, AlreadyExists)):
        return 409
    if isinstance(exc, ExchangeError):
        return 502
    if isinstance(exc, KeysMustFollow):
        return 422
    return 400


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    limit = request.app[API_STATE].coordinator.config.api.max_body_bytes
    for name, value in request.headers.items():
        if not value.isascii() and not _decodes(value):
            return _error(400, f"{_printable(name)}: not a valid header value (bytes that are not UTF-8)")
    if request.content_length is not None and request.content_length > limit:
        return _error(413, f"request body larger than {limit} bytes")
    if request.method == "OPTIONS":
        allowed = allowed_methods(request.path)
        if not allowed:
            return _error(404, "Not Found")
        return web.Response(status=204, headers={"Allow": ", ".join(allowed)})
    try:
        return await handler(request)
    except ApiError as exc:
        response = _error(exc.status, exc.message, exc.headers)
        if exc.status == 408:
            response.force_close()  # the rest of that body is not waited for
        return response
    except web.HTTPRequestEntityTooLarge:
        return _error(413, f"request body larger than {limit} bytes")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.status == 405:  # only the methods this path really serves, not the union of lookalikes
            return _error(405, exc.reason, {"Allow": ", ".join(allowed_methods(request.path))})
        return _error(exc.status, exc.reason, {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None)
    except ValidationError as exc:  # a patch that makes a stored connection invalid
        return _error(422, describe_validation_error(exc, "body"))
    except CtsError as exc:
        return _error(_status_of(exc), exc.message)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error(500, "internal error")


def _decodes(value: str) -> bool:
    """aiohttp keeps undecodable header bytes as surrogates; those are no header value."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(name: str) -> str:
    return name.encode("ascii", "replace").decode() if not _decodes(name) else name


_PATTERNS = [
    (re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{\w+\})", e.path))),
     e.path.count("{"), e.method)
    for e in ENDPOINTS
]


def allowed_methods(path: str) -> list[str]:
    """The methods served at ``path``: those of the endpoints it matches with the fewest
    parameters (``/connections/batch-test`` is that endpoint, not ``/connections/{id}``), HEAD
    where GET is, and OPTIONS."""
    matches = [(params, method) for pattern, params, method in _PATTERNS if pattern.fullmatch(path)]
    if not matches:
        return []
    fewest = min(params for params, _ in matches)
    methods = sorted({method for params, method in matches if params == fewest})
    if "GET" in methods:
        methods.append("HEAD")
    return [*methods, "OPTIONS"]


async def _harden_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Answers are about live accounts: never cached, never sniffed, no server banner."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.pop("Server", None)


def create_app(state: ApiState) -> web.Application:
    app = web.Application(
        middlewares=[error_middleware],
        client_max_size=state.runtime.config.api.max_body_bytes,
    )
    app[API_STATE] = state
    state.follow_token()
    app.on_response_prepare.append(_harden_headers)
    app[OPENAPI] = build_openapi(ENDPOINTS)
    app[DOCS] = render_docs(app[OPENAPI])
    for endpoint in ENDPOINTS:
        handler = make_handler(endpoint)
        app.router.add_route(endpoint.method, endpoint.path, handler, name=endpoint.handler.__name__)
        if endpoint.method == "GET":  # HEAD where GET is served (aiohttp sends no body)
            app.router.add_route("HEAD", endpoint.path, handler)
    return app
