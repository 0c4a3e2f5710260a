"""What an operation is waiting for, told by the limiter to whoever asked.

A test that times out after 30 s spent waiting for an exchange's rate-limit budget did not find
the exchange slow: it never sent its request. The caller (a test, a batch task) puts a
``WaitTracker`` in the context; the limiter marks it while a request queues for a permit (only
on the slow path: a permit granted at once touches nothing). The caller can then say why its
time went ("waited 30 s for bingx's rate-limit budget"), and a live view can say why a task sits.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from cts_tui.errors import ErrorKind, ExchangeError


class WaitTracker:
    """The current wait (if any) and the total waited, for one operation."""

    __slots__ = ("waiting_for", "waited_for", "cut_short", "_since", "_waited_s")

    def __init__(self) -> None:
        self.waiting_for: str | None = None
        """What the operation waits for right now, in words ("bingx's rate-limit budget")."""
        self.waited_for: str | None = None
        """What it waited for last (kept after the wait ends)."""
        self.cut_short = False
        """A wait ended without its permit (the operation's time ran out, or it was cancelled)."""
        self._since = 0.0
        self._waited_s = 0.0

    def begin(self, what: str) -> None:
        self.waiting_for = self.waited_for = what
        self._since = time.monotonic()

    def end(self, cut_short: bool = False) -> None:
        if self.waiting_for is not None:
            self._waited_s += time.monotonic() - self._since
            self.waiting_for = None
            self.cut_short = cut_short

    @property
    def waited_s(self) -> float:
        """Seconds spent waiting so far, the wait in progress included."""
        current = time.monotonic() - self._since if self.waiting_for is not None else 0.0
        return self._waited_s + current

    def explain_timeout(self, timeout_s: float) -> str:
        """Why an operation that ran out of time did: what it waited for, or plain slowness."""
        what = self.waited_for
        waited = self.waited_s
        if what is not None and waited >= timeout_s / 2:
            return f"waited {waited:.0f} s for {what} (limit {timeout_s:g} s)"
        if what is not None and waited >= 0.05:
            return f"no answer within {timeout_s:g} s ({waited:.1f} s of it waiting for {what})"
        return f"no answer within {timeout_s:g} s"

    def timeout_error(self, timeout_s: float) -> ExchangeError:
        """The error of an operation that ran out of time. Time that ran out while it waited
        for a permit is a rate-limit wait: the exchange never saw the request, so it is not the
        exchange's timeout and must not count against its breaker. Time that ran out after the
        permit came is the exchange's, however long the wait before it was."""
        explained = self.explain_timeout(timeout_s)
        if self.waited_for is not None and self.cut_short:
            return ExchangeError(ErrorKind.RATE_LIMITED, f"rate limit wait: {explained}")
        return ExchangeError(ErrorKind.TIMEOUT, explained)


_current: ContextVar[WaitTracker | None] = ContextVar("cts_wait_tracker", default=None)


@contextmanager
def tracking_waits() -> Iterator[WaitTracker]:
    """Track the waits of the enclosed calls (and the tasks they create). Inside a tracked
    operation (a batch task running a test) the outer tracker is the one used, so both see
    the same waits."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    tracker = WaitTracker()
    token = _current.set(tracker)
    try:
        yield tracker
    finally:
        _current.reset(token)


@contextmanager
def waiting_for(what: str) -> Iterator[None]:
    """Mark the current operation as waiting for ``what`` (no-op when nobody tracks it)."""
    tracker = _current.get()
    if tracker is None:
        yield
        return
    tracker.begin(what)
    try:
        yield
    except BaseException:
        tracker.end(cut_short=True)
        raise
    tracker.end()
