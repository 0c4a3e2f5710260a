"""Service endpoints for probes and scrapers: liveness, Prometheus metrics, the OpenAPI document."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from cts_tui.api.endpoints import Call, Routes
from cts_tui.api.responses import FleetAnswer, Liveness
from cts_tui.api.state import DOCS, OPENAPI
from cts_tui.api.wire import fleet_json

routes = Routes("service")


@routes.get(
    "/health",
    "Liveness: answers as long as the server's loop runs (touches no store and no exchange)",
    auth=False,
    response=Liveness,
)
async def health(call: Call) -> dict[str, Any]:
    return {"status": "ok", "uptime_s": round(time.time() - call.state.started_at, 3)}


@routes.get(
    "/metrics",
    "Prometheus metrics of the coordinator (text exposition format)",
    auth=False,
    content_type="text/plain",
)
async def metrics(call: Call) -> web.Response:
    body = generate_latest(call.state.coordinator.metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@routes.get(
    "/api/v1/fleet",
    "The processes sharing the rate-limit budgets through Redis: who they are, and each one's "
    "share of the last minute's requests per exchange",
    auth=True,
    response=FleetAnswer,
    errors=(401,),
)
async def fleet(call: Call) -> dict[str, Any]:
    return fleet_json(call.state.coordinator.snapshot())


@routes.get("/openapi.json", "This document", auth=False)
async def openapi(call: Call) -> web.Response:
    return web.json_response(call.request.app[OPENAPI])


@routes.get("/docs", "This reference as a readable page (HTML, no external assets)", auth=False, content_type="text/html")
async def docs(call: Call) -> web.Response:
    return web.Response(text=call.request.app[DOCS], content_type="text/html")
