"""ccxt's HTTP step, done on the hub's pool: ccxt still builds, signs and parses every request and
raises its own errors; only the sending is ours.

ccxt's own ``fetch`` spends about 40 µs of CPU per request around the aiohttp call (proxy checks,
header merging, debug logging, and a timeout with a read timer rescheduled on every chunk),
measured with ``benchmarks/coordinator_throughput.py``: a fifth of a ticker request's cost on
loopback. Kept exactly: the request headers (the signer's, the instance's, User-Agent,
Accept-Encoding, ``set_headers``), the exception classes of transport failures, and the answer's
path through ``on_rest_response``, ``parse_json``, ``handle_errors`` and
``handle_http_status_code``. Left out: ccxt's proxy settings (the hub's pool has none), its
verbose logging (silenced for credentials anyway) and the raw-stream return of a body that is
neither JSON nor text, which the hook reports as a bad response either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import aiohttp
import ccxt
import yarl

from cts_tui.exchanges.classify import HttpReply


@lru_cache(maxsize=64)
def _timeout(timeout_ms: float) -> aiohttp.ClientTimeout:
    """One bound for the whole request, shared: a per-read timeout costs a timer per chunk."""
    return aiohttp.ClientTimeout(total=timeout_ms / 1000)


def _request_headers(instance: Any, headers: dict[str, str] | None) -> Any:
    merged = headers if headers is not None else {}
    if instance.headers:
        merged.update(instance.headers)
    agent = instance.userAgent if instance.userAgent is not None else instance.user_agent
    if isinstance(agent, str) and agent:
        merged["User-Agent"] = agent
    elif isinstance(agent, dict) and "User-Agent" in agent:
        merged.update(agent)
    merged["Accept-Encoding"] = "gzip, deflate"
    return instance.set_headers(merged)


def _reply_headers(raw: Any) -> dict[str, str]:
    """A plain dict, repeated headers joined as ccxt joins them."""
    headers: dict[str, str] = {}
    for name, value in raw.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


async def send(
    instance: Any,
    session: aiohttp.ClientSession,
    timeout_ms: float,
    request: tuple[str, str, dict[str, str] | None, str | None],
    report: Callable[[HttpReply], None],
) -> Any:
    """What ccxt's ``fetch`` returns for ``request`` (url, method, headers, body), or the
    exception it would raise. ``report`` sees every answer first, whatever ccxt then makes of it.
    The session and timeout are the hub's current ones, not the instance's: a reloaded config
    applies to the next request."""
    url, method, headers, body = request
    request_headers = _request_headers(instance, headers)
    try:
        async with session.request(
            method,
            yarl.URL(url, encoded=True),
            data=body.encode() if body else None,
            headers=request_headers,
            timeout=_timeout(timeout_ms),
        ) as response:
            text = await response.text(errors="replace")
            reply_headers = _reply_headers(response.headers)
            status, reason = response.status, response.reason or ""
            report(HttpReply(status, response.headers, text, time.time()))
            text = instance.on_rest_response(status, reason, url, method, reply_headers, text, request_headers, body)
            parsed = instance.parse_json(text)
    except TimeoutError as exc:
        raise ccxt.RequestTimeout(f"{instance.id} {method} {url}") from exc
    except aiohttp.ClientConnectionError as exc:
        raise ccxt.ExchangeNotAvailable(f"{instance.id} {method} {url}") from exc
    except aiohttp.ClientError as exc:
        raise ccxt.ExchangeError(f"{instance.id} {method} {url}") from exc
    instance.handle_errors(status, reason, url, method, reply_headers, text, parsed, request_headers, body)
    instance.handle_http_status_code(status, reason, url, method, text)
    return parsed if parsed is not None else text
