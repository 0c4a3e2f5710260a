"""A call to an exchange within a deadline, and a timeout told in words that say why.

Tests, batch reads, key reads and health checks all give an exchange a bounded time; running
out of it is a TIMEOUT ``ExchangeError`` whose message says what the time went on (waiting for
an exchange's rate-limit budget, or nothing: the exchange did not answer), from the
``WaitTracker`` the limiter marks while the call queues.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from cts_tui.errors import ErrorKind, ExchangeError
from cts_tui.ratelimit.waiting import WaitTracker, tracking_waits

_T = TypeVar("_T")


def error_from(exc: BaseException, timeout_s: float, waits: WaitTracker | None = None) -> ExchangeError:
    """``exc`` as the ``ExchangeError`` a caller reports; anything else is raised again."""
    if isinstance(exc, ExchangeError):
        return exc
    if isinstance(exc, TimeoutError):
        message = waits.explain_timeout(timeout_s) if waits is not None else f"no answer within {timeout_s:g} s"
        return ExchangeError(ErrorKind.TIMEOUT, message)
    raise exc


async def bounded(call: Awaitable[_T], timeout_s: float) -> _T:
    """``call`` within ``timeout_s``; running out of it raises a TIMEOUT ``ExchangeError``."""
    with tracking_waits() as waits:
        try:
            async with asyncio.timeout(timeout_s):
                return await call
        except TimeoutError as exc:
            raise error_from(exc, timeout_s, waits) from None
