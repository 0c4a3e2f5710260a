"""Fault injection on the request path, in the order a real failure would show itself:
the connection (outage), the wait (latency), then the answer (maintenance, 429 storm, 5xx),
and last the body (an HTML error page with status 200, or JSON cut short)."""

from __future__ import annotations

import asyncio
import random

from cts_tui.sim.exchange import Reply, SimExchange, SimRequest
from cts_tui.sim.scenario import FaultSpec

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    b"<center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>"
)

# A decision that the connection must be cut rather than answered.
ABORT = Reply(0, b"", None, "", "fault:reset")


async def before(faults: FaultSpec, exchange: SimExchange, request: SimRequest, rng: random.Random,
                 release: asyncio.Event) -> Reply | None:
    """A fault's answer in place of the handler's, ABORT to cut the connection, or None."""
    if faults.outage is not None:
        if faults.outage == "hang":
            await release.wait()
        return ABORT
    delay = faults.latency_ms + (rng.uniform(0, faults.jitter_ms) if faults.jitter_ms else 0.0)
    if delay:
        await asyncio.sleep(delay / 1000)
    if faults.maintenance:
        return _tag(exchange.fault_reply("maintenance", request), "fault:maintenance")
    if faults.rate_limit_storm:
        return _tag(exchange.fault_reply("rate_limited", request), "fault:rate_limit_storm")
    if faults.error_rate and rng.random() < faults.error_rate:
        return _tag(exchange.fault_reply("server_error", request), "fault:server_error")
    return None


def after(faults: FaultSpec, reply: Reply) -> Reply:
    if faults.malformed == "html":
        return Reply(200, HTML_PAGE, None, "text/html", "fault:html")
    if faults.malformed == "truncated":
        return Reply(reply.status, reply.body[: max(1, len(reply.body) // 2)], reply.headers,
                     reply.content_type, "fault:truncated")
    return reply


def _tag(reply: Reply, outcome: str) -> Reply:
    reply.outcome = outcome
    return reply
