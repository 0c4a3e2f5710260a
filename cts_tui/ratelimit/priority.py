"""Request priorities, carried in a context variable.

The coordinator marks health checks and batch tests LOW and trading calls HIGH around whole
operations; the exchange clients read the current priority when they acquire a permit, so the
priority never has to be threaded through ccxt's call chain.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from enum import IntEnum


class Priority(IntEnum):
    """Lower value is served first."""

    HIGH = 0
    NORMAL = 1
    LOW = 2


_current: ContextVar[Priority] = ContextVar("cts_request_priority", default=Priority.NORMAL)


current_priority: Callable[[], Priority] = _current.get
"""The priority of the running context (the context variable's own getter: read per request)."""


class _AtPriority:
    """A plain context manager rather than a generator one, and one that leaves the context
    variable alone when the context already runs at the priority: every ``execute_request``
    enters one, mostly at the priority already current, and under a hundred concurrent callers
    the generator's few microseconds showed (``benchmarks/coordinator_layers.py``)."""

    __slots__ = ("_priority", "_token")

    def __init__(self, priority: int) -> None:
        self._priority = priority
        self._token: Token[Priority] | None = None

    def __enter__(self) -> None:
        if self._priority != _current.get():
            self._token = _current.set(Priority(self._priority))

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None


def request_priority(priority: int) -> _AtPriority:
    """Run the enclosed calls (and the tasks they create) at ``priority``."""
    return _AtPriority(priority)
