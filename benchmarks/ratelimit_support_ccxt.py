"""ccxt instances for the rate-limit benchmarks: pointed at the simulator, and optionally with
every HTTP request passing our limiter (the way the client side wires it), so that the
simulator's journal judges the limiter and nothing else."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import ccxt.async_support as ccxt

from cts_tui.ratelimit import RateLimiter, ResponseFeedback

MARKET_TYPES = {"binance": ["spot"], "bybit": ["spot"]}


def _pointed(instance: Any, base_url: str) -> Any:
    """Every API URL keeps its path below the simulator's base URL."""

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: rewrite(value) for key, value in node.items()}
        if isinstance(node, str) and "://" in node:
            return base_url + urlsplit(node).path
        return node

    instance.urls["api"] = rewrite(instance.urls["api"])
    instance.has["fetchCurrencies"] = False
    instance.options["fetchMarkets"] = {"types": MARKET_TYPES[instance.id]}
    return instance


def bare_client(exchange: str, base_url: str, api_key: str, secret: str) -> Any:
    """ccxt as its users run it: its own throttle on, nothing else."""
    return _pointed(getattr(ccxt, exchange)({"apiKey": api_key, "secret": secret}), base_url)


def limited_client(exchange: str, base_url: str, api_key: str, secret: str, limiter: RateLimiter) -> Any:
    """ccxt with its throttle off and our limiter around every request, fed every response."""
    base_path = urlsplit(base_url).path
    parent = getattr(ccxt, exchange)

    def endpoint(url: str, method: str) -> str:
        return f"{method} {urlsplit(url).path.removeprefix(base_path)}"

    async def fetch(self: Any, url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        async with limiter.acquire(exchange, endpoint(url, method), account=api_key):
            return await parent.fetch(self, url, method, headers, body)

    def on_rest_response(self: Any, code: Any, reason: Any, url: str, method: str, response_headers: Any,
                         response_body: Any, request_headers: Any, request_body: Any) -> Any:
        limiter.observe(ResponseFeedback(exchange, api_key, endpoint(url, method), int(code),
                                         dict(response_headers or {}), time.time()))
        return response_body

    cls = type(f"Limited{parent.__name__}", (parent,), {"fetch": fetch, "on_rest_response": on_rest_response})
    instance = cls({"apiKey": api_key, "secret": secret, "enableRateLimit": False})
    return _pointed(instance, base_url)
