"""The specification's connection-settings and system endpoints (``/api/settings``, ``/api/system``)."""

from __future__ import annotations

from typing import Any

from cts_tui.api.bodies import (
    BatchTestBody,
    ConnectionFilter,
    CreateConnectionBody,
    HealthFilter,
    UpdateConnectionBody,
)
from cts_tui.api.endpoints import ApiError, Call, Routes
from cts_tui.api.responses import (
    BatchAnswer,
    ConnectionAnswer,
    ConnectionList,
    Deleted,
    HealthAnswer,
    SystemStatus,
    TestAnswer,
)
from cts_tui.api.wire import (
    batch_json,
    connection_health,
    connection_json,
    health_summary,
    now_iso,
    system_status,
    test_json,
)
from cts_tui.core.snapshots import ConnectionView
from cts_tui.errors import NotFoundError
from cts_tui.models import ConnectionState, inapplicable_fields

routes = Routes("connections")
ID = {"id": "connection id"}


def _selected(views: tuple[ConnectionView, ...], f: ConnectionFilter) -> list[ConnectionView]:
    return [
        v
        for v in views
        if (f.exchange is None or v.exchange is f.exchange)
        and (f.apiType is None or v.api_type is f.apiType)
        and (f.enabled is None or v.enabled is f.enabled)
        and (f.active is None or (v.state is ConnectionState.ACTIVE) is f.active)
    ]


def _connection_json(call: Call, view: ConnectionView) -> dict[str, Any]:
    return connection_json(view, call.state.coordinator.connection_model(view.id))


@routes.get(
    "/api/settings/connections",
    "List connections (secrets masked), filtered by exchange, apiType, enabled, active",
    auth=True,
    response=ConnectionList,
    query=ConnectionFilter,
    errors=(400, 401),
)
async def list_connections(call: Call) -> dict[str, Any]:
    f: ConnectionFilter = call.query
    views = _selected(tuple(call.state.coordinator.get_all_connections()), f)
    return {
        "success": True,
        "count": len(views),
        "filters": f.model_dump(mode="json"),
        "connections": [_connection_json(call, v) for v in views],
    }


@routes.post(
    "/api/settings/connections",
    "Create a connection (tested at once unless enabled is false); a field the exchange has no use "
    "for (a passphrase for Bybit) is ignored and named in warnings",
    auth=True,
    response=ConnectionAnswer,
    body=CreateConnectionBody,
    status=201,
    errors=(400, 401, 409, 413, 422),
)
async def create_connection(call: Call) -> dict[str, Any]:
    body: CreateConnectionBody = call.body
    view = await call.state.coordinator.add_connection(body, "api")
    return {"success": True, "connection": _connection_json(call, view), "warnings": body.warnings}


@routes.patch(
    "/api/settings/connections/{id}",
    "Update a connection's settings or rotate its keys (a rotation retests it); a field the exchange has "
    "no use for is ignored and named in warnings",
    auth=True,
    response=ConnectionAnswer,
    body=UpdateConnectionBody,
    params=ID,
    errors=(400, 401, 404, 409, 413, 422),
)
async def update_connection(call: Call) -> dict[str, Any]:
    body: UpdateConnectionBody = call.body
    coordinator = call.state.coordinator
    try:
        current = coordinator.connection_model(call.params["id"])
    except NotFoundError:  # not managed here: unreadable (this edit may re-key it) or gone
        dropped: dict[str, str] = {}
    else:
        given = {name: getattr(body, name) for name in body.model_fields_set}
        dropped = inapplicable_fields(current.exchange, body.api_type or current.api_type, given)
    if dropped:  # as at creation: what the exchange has no use for is ignored, and said
        kept = {name: getattr(body, name) for name in body.model_fields_set if name not in dropped}
        body = UpdateConnectionBody.model_construct(_fields_set=set(kept), **kept)
    view = await coordinator.update_connection(call.params["id"], body, "api")
    warnings = [f"{name} ignored: {why}" for name, why in dropped.items()]
    return {"success": True, "connection": _connection_json(call, view), "warnings": warnings}


@routes.delete(
    "/api/settings/connections/{id}",
    "Delete a connection and its stored keys",
    auth=True,
    response=Deleted,
    params=ID,
    errors=(401, 404),
)
async def delete_connection(call: Call) -> dict[str, Any]:
    await call.state.coordinator.delete_connection(call.params["id"], "api")
    return {"success": True, "id": call.params["id"]}


@routes.post(
    "/api/settings/connections/{id}/test",
    "Test one connection now: {success, balance, log, duration}",
    auth=True,
    response=TestAnswer,
    params=ID,
    errors=(401, 404),
)
async def test_connection(call: Call) -> dict[str, Any]:
    return test_json(await call.state.coordinator.test_connection(call.params["id"]))


async def _move(call: Call, pause: bool) -> dict[str, Any]:
    coordinator = call.state.coordinator
    move = coordinator.pause if pause else coordinator.resume
    view = await move(call.params["id"], "api")
    return {"success": True, "connection": _connection_json(call, view)}


@routes.post(
    "/api/v1/connections/{id}/pause",
    "Pause an active (or failing) connection: out of rotation and not checked, kept enabled",
    auth=True,
    response=ConnectionAnswer,
    params=ID,
    errors=(401, 404, 409),
)
async def pause_connection(call: Call) -> dict[str, Any]:
    return await _move(call, pause=True)


@routes.post(
    "/api/v1/connections/{id}/resume",
    "Resume a paused connection (back in rotation)",
    auth=True,
    response=ConnectionAnswer,
    params=ID,
    errors=(401, 404, 409),
)
async def resume_connection(call: Call) -> dict[str, Any]:
    return await _move(call, pause=False)


@routes.post(
    "/api/settings/connections/batch-test",
    "Test several connections in parallel (at most batch.max_per_request ids); success: the batch ran "
    "(each connection's outcome is in results, counted by successful and failed)",
    auth=True,
    response=BatchAnswer,
    body=BatchTestBody,
    errors=(400, 401, 404, 413, 422),
)
async def batch_test(call: Call) -> dict[str, Any]:
    body: BatchTestBody = call.body
    ids = list(dict.fromkeys(body.connectionIds))
    limit = call.state.coordinator.config.batch.max_per_request
    if len(ids) > limit:
        raise ApiError(422, f"body.connectionIds: at most {limit} ids per request (got {len(ids)})")
    coordinator = call.state.coordinator
    known = {v.id for v in coordinator.get_all_connections()}
    missing = [i for i in ids if i not in known]
    if missing:
        raise ApiError(404, f"unknown connection ids: {', '.join(missing[:10])}")
    return batch_json(await coordinator.start_batch(ids, body.kind).result(), body.kind)


@routes.get(
    "/api/settings/connections/health",
    "Health and metrics of all connections, one (id), or those of an exchange / API type",
    auth=True,
    response=HealthAnswer,
    query=HealthFilter,
    errors=(400, 401, 404),
)
async def connections_health(call: Call) -> dict[str, Any]:
    f: HealthFilter = call.query
    coordinator = call.state.coordinator
    chosen = [coordinator.get_connection_health(f.id)] if f.id else coordinator.get_all_connections()
    views = _selected(tuple(chosen), ConnectionFilter(exchange=f.exchange, apiType=f.apiType))
    return {
        "timestamp": now_iso(),
        "summary": health_summary(views),
        "connections": [connection_health(v) for v in views],
    }


system_routes = Routes("system")


@system_routes.get(
    "/api/system/status",
    "Overall status: connections, health, request metrics, batch queue, features",
    auth=False,
    response=SystemStatus,
)
async def get_system_status(call: Call) -> dict[str, Any]:
    runtime = call.state.runtime
    return system_status(runtime.coordinator.snapshot(), rate_limiting=runtime.limiter is not None)
