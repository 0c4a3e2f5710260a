"""Exchange answers are untrusted input: the values the interface hands on are checked here.

A client parses what an exchange sent into the interface's shapes (server time, ticker,
balances); anything that is not what a working exchange sends (nulls, wrong types, absurd
numbers) becomes ``ExchangeError(BAD_RESPONSE)`` with a message of our own, never a TypeError
escaping into a background task, never a number that breaks a screen or a sum further on.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from cts_tui.errors import ErrorKind, ExchangeError

T = TypeVar("T")

MIN_TIME_MS = 946_684_800_000  # 2000-01-01
MAX_TIME_MS = 7_258_118_400_000  # 2200-01-01
MAX_AMOUNT = 1e18  # no balance or price reaches it; 1e30 or 1e308 is a broken answer
SHAPE_ERRORS = (TypeError, KeyError, ValueError, AttributeError, IndexError, OverflowError)


def bad_shape(exchange: str, what: str) -> ExchangeError:
    return ExchangeError(ErrorKind.BAD_RESPONSE, f"{exchange} answered with {what}")


def server_time(exchange: str, value: Any) -> int:
    """Epoch milliseconds between 2000 and 2200, or bad_response."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise bad_shape(exchange, "a server time that is not a number")
    if not MIN_TIME_MS <= value <= MAX_TIME_MS:
        raise bad_shape(exchange, "a server time outside the years 2000-2200")
    return int(value)


def number(exchange: str, what: str, value: Any, *, optional: bool = True) -> float | None:
    """A finite number below MAX_AMOUNT in size (numeric strings too), or bad_response; None
    stays None when ``optional``."""
    if value is None and optional:
        return None
    if isinstance(value, bool):
        raise bad_shape(exchange, f"a {what} that is not a number")
    try:
        result = float(value)
    except (TypeError, ValueError, OverflowError):
        raise bad_shape(exchange, f"a {what} that is not a number") from None
    if not math.isfinite(result) or abs(result) >= MAX_AMOUNT:
        raise bad_shape(exchange, f"an absurd {what}")
    return result


def ticker(exchange: str, raw: Any, symbol: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad_shape(exchange, "a ticker that is not an object")
    result: dict[str, Any] = {"symbol": raw.get("symbol") if isinstance(raw.get("symbol"), str) else symbol}
    for key in ("last", "bid", "ask"):
        value = number(exchange, f"{key} price", raw.get(key))
        if value is not None and value < 0:
            raise bad_shape(exchange, f"a negative {key} price")
        result[key] = value
    stamp = raw.get("timestamp")
    result["timestamp"] = None if stamp is None else server_time(exchange, stamp)
    return result


def balances(exchange: str, totals: Any) -> dict[str, float]:
    """Asset -> non-zero total."""
    if not isinstance(totals, dict):
        raise bad_shape(exchange, "a balance of an unexpected shape")
    result: dict[str, float] = {}
    for asset, total in totals.items():
        if not isinstance(asset, str) or not asset:
            raise bad_shape(exchange, "a balance of an unexpected shape")
        value = number(exchange, f"{asset} balance", total)
        if value:
            result[asset] = value
    return result


def shape_checked(method: Callable[..., Awaitable[T]], exchange_of: Callable[[Any], str]) -> Callable[..., Awaitable[T]]:
    """``method`` with any parsing failure of an answer (a missing field, a wrong type) turned
    into bad_response."""

    @functools.wraps(method)
    async def checked(self: Any, *args: Any, **kwargs: Any) -> T:
        try:
            return await method(self, *args, **kwargs)
        except SHAPE_ERRORS as exc:
            error = bad_shape(exchange_of(self), f"data of an unexpected shape ({type(exc).__name__})")
        raise error  # outside the except block: no chain back to the parsing

    return checked
