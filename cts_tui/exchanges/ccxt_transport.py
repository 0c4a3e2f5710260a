"""ccxt's ``fetch``, ours: ccxt still builds, signs and parses every request and raises its own
errors; the permit, the sending and what the answer says about the budget are ours, in one
coroutine, because every request of every ccxt connection takes this path.

ccxt's own ``fetch`` spends about 40 µs of CPU per request around the aiohttp call (proxy checks,
header merging, debug logging, and a timeout with a read timer rescheduled on every chunk),
measured with ``benchmarks/coordinator_throughput.py``: a fifth of a ticker request's cost on
loopback. Kept exactly: the request headers (the signer's, the instance's, User-Agent,
Accept-Encoding, ``set_headers``), the exception classes of transport failures, and the answer's
path through ``on_rest_response``, ``parse_json``, ``handle_errors`` and
``handle_http_status_code``. Left out: ccxt's proxy settings (the hub's pool has none), its
verbose logging (silenced for credentials anyway) and the raw-stream return of a body that is
neither JSON nor text, which is reported as a bad response either way. ``fetch2``, the step
before, is ours too for requests made with ccxt's defaults (see its docstring).
"""

from __future__ import annotations

import codecs
import time
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import ccxt
import ccxt.async_support as ccxt_async
import yarl

from cts_tui.capabilities import ExchangeId
from cts_tui.errors import ErrorKind, ExchangeError
from cts_tui.exchanges.classify import HttpReply, body_timeout, is_html
from cts_tui.exchanges.context import HubContext
from cts_tui.ratelimit.weights import request_weight


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
    headers: dict[str, str] = dict(raw.items())
    if len(headers) == len(raw):  # no header repeated: the usual answer, copied without a loop
        return headers
    headers = {}
    for name, value in raw.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _budget_terms(
    exchange: str, method: str, url: str, base_path: str, real_host: str | None
) -> tuple[str, int | None, str | None]:
    """What the limiter charges a request by: its endpoint (``METHOD /path`` below the
    connection's base URL), its weight where its parameters decide it, and the real host it goes
    to (``real_host``, what a base URL stands for, else the URL's own)."""
    parts = urlsplit(url)
    path = parts.path
    if base_path and path.startswith(base_path):
        path = path[len(base_path):] or "/"
    return f"{method} {path}", request_weight(exchange, path, parts.query), real_host or parts.hostname


_public_budget_terms = lru_cache(maxsize=4096)(_budget_terms)
"""A public request's URL repeats (a ticker polled all day); a signed one never does (its
timestamp and signature), so only public ones are remembered."""


def _signed_again(instance: Any, sign_args: tuple[Any, Any, Any, Any]) -> tuple[str, str, Any, Any]:
    """A signed request that waited for its permit, signed anew with the arguments of its first
    signing: its timestamp (or nonce) is taken now, so a long wait for the budget never earns a
    stale-timestamp rejection."""
    path, api, args, kwargs = sign_args
    request = instance.sign(path, api, *args, **kwargs)
    instance._cts_signed = False
    return request["url"], request["method"], request["headers"], request["body"]


@lru_cache(maxsize=64)
def _charset(content_type: str) -> str:
    """The body's encoding as aiohttp's ``text()`` finds it with a session's defaults (the
    declared charset, else UTF-8), worked out once per Content-Type rather than per answer."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            try:
                return codecs.lookup(value.strip().strip('"')).name
            except LookupError:
                break
    return "utf-8"


_ccxt_fetch2 = ccxt_async.Exchange.fetch2


async def fetch2(
    self: Any, path: str, api: Any = None, method: str = "GET", params: Any = None, config: Any = None
) -> Any:
    """ccxt's ``fetch2`` as it runs with its defaults: stamp, sign, fetch. ccxt's own reads
    two retry options for every request, through ``params`` and ``options`` (3.4 µs of a
    ticker request's ~120, alone; more under load, ``benchmarks/coordinator_layers.py``), to
    find the default: no retry. Anything else goes to ccxt's own, which then does exactly what
    it always does: its throttle, its fetch history, a retry option or ``callerMethodName`` in the
    parameters or the options, a list body."""
    if api is None:
        api = ["public"]
    if params is None:
        params = {}
    if (
        self.enableRateLimit
        or self.fetchHistoryCacheSize
        or type(params) is not dict
        or (params and _names_a_retry_option(params))
        or _names_a_retry_option(self.options)
        or path in self.options
    ):
        return await _ccxt_fetch2(self, path, api, method, params, {} if config is None else config)
    self.lastRestRequestTimestamp = self.milliseconds()
    request = self.sign(path, api, method, params)
    self.set_last_request(request)
    return await self.fetch(request["url"], request["method"], request["headers"], request["body"])


def _names_a_retry_option(names: Any) -> bool:
    return (
        "maxRetriesOnFailure" in names
        or "maxRetriesOnFailureDelay" in names
        or "defaultMaxRetriesOnFailure" in names
        or "defaultMaxRetriesOnFailureDelay" in names
        or "callerMethodName" in names
    )


def make_fetch(
    ctx: HubContext, exchange: ExchangeId, base_path: str, real_host: str | None = None
) -> Callable[..., Awaitable[Any]]:
    """The ``fetch`` of the exchange's hooked ccxt class (``ccxt_shared``). A signed request
    (``sign`` set ``_cts_signed``) counts against the connection's account, a public one against
    the IP; the session and timeout are the hub's current ones, so a reloaded config applies to
    the next request; the limiter and the call record see every answer before ccxt does.
    ``real_host``: the exchange's host a base URL stands for (None without one)."""
    exchange_id = exchange.value
    limiter = ctx.limiter

    async def fetch(self: Any, url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        signed = self._cts_signed
        if signed:
            self._cts_signed = False
            sign_args = self._cts_sign_args  # read before any await: concurrent calls sign too
            account = self._cts_account
            endpoint, weight, host = _budget_terms(exchange_id, method, url, base_path, real_host)
        else:
            account = None
            endpoint, weight, host = _public_budget_terms(exchange_id, method, url, base_path, real_host)
        permit = limiter.acquire(exchange_id, endpoint, weight, account=account, host=host)
        if not permit.granted:
            await permit.wait()
            if signed:
                url, method, headers, body = _signed_again(self, sign_args)
        try:
            record = ctx.record_sent()
            request_headers = _request_headers(self, headers)
            try:
                async with ctx.pool.session().request(
                    method,
                    yarl.URL(url, encoded=True),
                    data=body.encode() if body else None,
                    headers=request_headers,
                    timeout=ctx.timeouts[exchange_id],  # one bound for the whole request
                ) as response:
                    try:
                        body_bytes = await response.read()
                    except TimeoutError:  # the headers came, the body never ended
                        raise body_timeout(exchange, ctx.timeout_ms(exchange)) from None
                    status, reason, raw_headers = response.status, response.reason or "", response.headers
                    text = body_bytes.decode(_charset(raw_headers.get("Content-Type", "")), "replace")
            except TimeoutError as exc:
                raise ccxt.RequestTimeout(f"{self.id} {method} {url}") from exc
            except aiohttp.ClientConnectionError as exc:
                raise ccxt.ExchangeNotAvailable(f"{self.id} {method} {url}") from exc
            except aiohttp.ClientError as exc:
                raise ccxt.ExchangeError(f"{self.id} {method} {url}") from exc
            ctx.record_reply(permit, record, HttpReply(status, raw_headers, text, time.time()))
        finally:
            permit.release()
        if 200 <= status < 300 and is_html(raw_headers):
            raise ExchangeError(ErrorKind.BAD_RESPONSE, f"{exchange_id} answered with a web page (Content-Type text/html), not JSON")
        reply_headers = _reply_headers(raw_headers)
        text = self.on_rest_response(status, reason, url, method, reply_headers, text, request_headers, body)
        parsed = self.parse_json(text)
        self.handle_errors(status, reason, url, method, reply_headers, text, parsed, request_headers, body)
        self.handle_http_status_code(status, reason, url, method, text)
        result = parsed if parsed is not None else text
        if isinstance(result, str) and result:
            # ccxt hands back the raw text when a 2xx body is not JSON (HTML, truncated JSON).
            raise ExchangeError(ErrorKind.BAD_RESPONSE, f"{exchange_id} answered with a body that is not JSON")
        return result

    return fetch
