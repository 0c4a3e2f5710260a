"""Fault injection on the request path, in the order a real failure would show itself:
the connection (outage), the wait (latency), then the answer (maintenance, 429 storm, 5xx),
and last the body (an HTML error page with status 200, JSON cut short, or a successful answer
rewritten by ``mutate``: what an exchange's broken deployment or a middlebox could send)."""

from __future__ import annotations

import asyncio
import json
import random
import re
from typing import Any

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


TRICKLE_EVERY_S = 0.05
_NUMERIC = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def mutate(faults: FaultSpec, reply: Reply, rng: random.Random) -> Reply:
    """A 2xx answer rewritten as ``faults.mutate`` says ("trickle" is the server's to send)."""
    kind = faults.mutate
    outcome = f"fault:mutate:{kind}"
    if kind == "content_type":
        return Reply(reply.status, reply.body, reply.headers, "text/html", outcome)
    if kind == "empty":
        return Reply(reply.status, b"{}", reply.headers, reply.content_type, outcome)
    try:
        data = json.loads(reply.body)
    except ValueError:
        return reply
    rewrite = {"nulls": _nulls, "drop": _drop, "types": _types, "huge": _huge}.get(kind or "")
    if rewrite is None:
        return reply
    body = json.dumps(rewrite(data, rng, 0), separators=(",", ":")).encode()
    return Reply(reply.status, body, reply.headers, reply.content_type, outcome)


def _nulls(node: Any, rng: random.Random, depth: int) -> Any:
    if isinstance(node, dict):
        return {k: _nulls(v, rng, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_nulls(v, rng, depth + 1) for v in node]
    return None


def _drop(node: Any, rng: random.Random, depth: int) -> Any:
    if isinstance(node, dict):
        return {k: _drop(v, rng, depth + 1) for k, v in node.items() if rng.random() < 0.5}
    if isinstance(node, list):
        return [_drop(v, rng, depth + 1) for v in node if rng.random() < 0.7]
    return node


def _types(node: Any, rng: random.Random, depth: int) -> Any:
    if isinstance(node, dict):
        if depth and rng.random() < 0.2:
            return list(node.values())
        return {k: _types(v, rng, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        if depth and rng.random() < 0.2:
            return "not-a-list"
        return [_types(v, rng, depth + 1) for v in node]
    if isinstance(node, bool):
        return "maybe"
    if isinstance(node, (int, float)):
        return "not-a-number"
    if isinstance(node, str):
        return rng.choice([{"unexpected": []}, 12345, True])
    return []


def _huge(node: Any, rng: random.Random, depth: int) -> Any:
    if isinstance(node, dict):
        return {k: _huge(v, rng, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_huge(v, rng, depth + 1) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return rng.choice([10**30, -(10**30)])
    if isinstance(node, float):
        return rng.choice([1e308, -1e308])
    if isinstance(node, str) and _NUMERIC.match(node):
        return rng.choice(["9" * 400, "-1e999", "1e999"])
    return node
