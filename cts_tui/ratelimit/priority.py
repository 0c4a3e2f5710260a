"""Request priorities, carried in a context variable.

The coordinator marks health checks and batch tests LOW and trading calls HIGH around whole
operations; the exchange clients read the current priority when they acquire a permit, so the
priority never has to be threaded through ccxt's call chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import IntEnum


class Priority(IntEnum):
    """Lower value is served first."""

    HIGH = 0
    NORMAL = 1
    LOW = 2


_current: ContextVar[Priority] = ContextVar("cts_request_priority", default=Priority.NORMAL)


current_priority: Callable[[], Priority] = _current.get
"""The priority of the running context (the context variable's own getter: read per request)."""


@contextmanager
def request_priority(priority: Priority) -> Iterator[Priority]:
    """Run the enclosed calls (and the tasks they create) at ``priority``."""
    token = _current.set(Priority(priority))
    try:
        yield Priority(priority)
    finally:
        _current.reset(token)
