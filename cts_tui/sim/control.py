"""The control API: faults, limits, the journal and a reset, as JSON over HTTP.

Routes below the control prefix (``/_control``):
  GET    /                         the info() document (control URL, base URLs, accounts)
  GET    /faults                   {exchange: faults}
  GET|POST /faults/{exchange}      read, or change some fields (JSON object) of one exchange
  DELETE /faults                   all faults off
  GET|POST /limits/{exchange}      read, or override rate-limit parameters (JSON object)
  GET    /journal?exchange=&endpoint=&account=&outcome=&since_mono=&limit=
  POST   /reset                    faults off, limits as the scenario says, journal emptied
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import ValidationError

if TYPE_CHECKING:
    from cts_tui.sim.server import Simulator


def control_routes(sim: Simulator, prefix: str) -> list[web.RouteDef]:
    async def info(_: web.Request) -> web.Response:
        return web.json_response(sim.info())

    async def all_faults(_: web.Request) -> web.Response:
        return web.json_response({name: sim.faults(name).model_dump() for name in sim.exchanges})

    async def get_faults(request: web.Request) -> web.Response:
        return _guard(lambda: sim.faults(request.match_info["exchange"]).model_dump())

    async def set_faults(request: web.Request) -> web.Response:
        body = await _object(request)
        try:
            faults = await sim.set_fault(request.match_info["exchange"], **body)
        except (KeyError, ValidationError, TypeError) as exc:
            return _bad(exc)
        return web.json_response(faults.model_dump())

    async def clear_faults(_: web.Request) -> web.Response:
        await sim.clear_faults()
        return web.json_response({"ok": True})

    async def get_limits(request: web.Request) -> web.Response:
        return _guard(lambda: sim.limits(request.match_info["exchange"]))

    async def set_limits(request: web.Request) -> web.Response:
        body = await _object(request)
        return _guard(lambda: sim.set_limits(request.match_info["exchange"], **body))

    async def journal(request: web.Request) -> web.Response:
        q = request.query
        try:
            since = float(q["since_mono"]) if "since_mono" in q else None
            limit = int(q.get("limit", 1000))
        except ValueError as exc:
            return _bad(exc)
        entries = sim.journal.entries(q.get("exchange"), q.get("endpoint"), q.get("account"),
                                      q.get("outcome"), since)
        return web.json_response({"total": len(entries), "entries": [e.as_dict() for e in entries[-limit:]]})

    async def reset(_: web.Request) -> web.Response:
        await sim.reset()
        return web.json_response({"ok": True})

    return [
        web.get(prefix, info),
        web.get(prefix + "/faults", all_faults),
        web.delete(prefix + "/faults", clear_faults),
        web.get(prefix + "/faults/{exchange}", get_faults),
        web.post(prefix + "/faults/{exchange}", set_faults),
        web.get(prefix + "/limits/{exchange}", get_limits),
        web.post(prefix + "/limits/{exchange}", set_limits),
        web.get(prefix + "/journal", journal),
        web.post(prefix + "/reset", reset),
    ]


async def _object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text='{"error": "a JSON object is expected"}', content_type="application/json")
    return body


def _guard(produce) -> web.Response:
    try:
        return web.json_response(produce())
    except (KeyError, ValidationError, TypeError) as exc:
        return _bad(exc)


def _bad(exc: Exception) -> web.Response:
    message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc).splitlines()[0]
    return web.json_response({"error": message}, status=400)
