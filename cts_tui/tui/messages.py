"""Messages that carry results to the widgets that show them.

Core events arrive on the coordinator's callback and are re-posted as ``CoreEvent`` so that they
are handled inside Textual's message loop, never inside the coordinator's call stack. Work started
by a key press (a test, a save) reports back with ``OperationDone`` / ``TestCompleted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.message import Message

from cts_tui.core.events import Event
from cts_tui.core.snapshots import Snapshot
from cts_tui.models import TestResult


class CoreEvent(Message):
    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class OperationDone(Message):
    """A mutation finished: ``error`` is its one-line failure, or None when it worked."""

    def __init__(self, what: str, error: str | None = None) -> None:
        super().__init__()
        self.what = what
        self.error = error


class TestCompleted(Message):
    __test__ = False  # not a pytest class

    def __init__(self, name: str, result: TestResult) -> None:
        super().__init__()
        self.name = name
        self.result = result


@dataclass(frozen=True, slots=True)
class Frame:
    """What the screens render on each refresh: the coordinator's snapshot and the time the
    relative ages ("12s ago") are measured from."""

    snapshot: Snapshot
    now: datetime
