"""A call to an exchange within a deadline, and a timeout told in words that say why.

Tests, batch reads, key reads and health checks all give an exchange a bounded time; running
out of it is a TIMEOUT ``ExchangeError`` whose message says what the time went on (waiting for
an exchange's rate-limit budget, or nothing: the exchange did not answer), from the
``WaitTracker`` the limiter marks while the call queues. Time that ran out while the call still
waited for a permit is a RATE_LIMITED wait, not the exchange's timeout
(``WaitTracker.timeout_error``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from cts_tui.errors import ExchangeError
from cts_tui.ratelimit.waiting import WaitTracker, tracking_waits

_T = TypeVar("_T")


def error_from(exc: BaseException, timeout_s: float, waits: WaitTracker | None = None) -> ExchangeError:
    """``exc`` as the ``ExchangeError`` a caller reports; anything else is raised again."""
    if isinstance(exc, ExchangeError):
        return exc
    if isinstance(exc, TimeoutError):
        return (waits or WaitTracker()).timeout_error(timeout_s)
    raise exc


async def bounded(call: Awaitable[_T], timeout_s: float) -> _T:
    """``call`` within ``timeout_s``; running out of it raises the ``ExchangeError`` of
    ``error_from``."""
    with tracking_waits() as waits:
        try:
            async with asyncio.timeout(timeout_s):
                return await call
        except TimeoutError as exc:
            raise error_from(exc, timeout_s, waits) from None
