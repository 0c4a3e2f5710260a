"""What the coordinator tells its subscribers, and the bus that delivers it.

Subscribers are plain callables run on the coordinator's event loop: they must not block (a TUI
posts a message, the REST server pushes to a queue). A subscriber that raises is logged and
kept; one bad screen never stops the others from hearing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from cts_tui.core.snapshots import Alert, Snapshot
from cts_tui.models import BatchResult, ConnectionState, TestResult

log = logging.getLogger(__name__)


class Event:
    """Base class of every coordinator event (subscribe once, dispatch by type)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class StateChanged(Event):
    connection_id: str
    old: ConnectionState
    new: ConnectionState
    reason: str


@dataclass(frozen=True, slots=True)
class ConnectionsChanged(Event):
    """Connections were added, edited or deleted (ids); re-read them from the next snapshot."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TestFinished(Event):
    __test__ = False  # not a pytest class

    result: TestResult


@dataclass(frozen=True, slots=True)
class BatchProgress(Event):
    batch_id: str
    done: int
    total: int
    result: TestResult


@dataclass(frozen=True, slots=True)
class BatchFinished(Event):
    result: BatchResult
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class AlertChanged(Event):
    alert: Alert


@dataclass(frozen=True, slots=True)
class SnapshotReady(Event):
    snapshot: Snapshot


@dataclass(frozen=True, slots=True)
class StoreProblem(Event):
    """Something about the store this process cannot fix alone (another process rotated its
    master key): said once, in words the user acts on."""

    message: str


@dataclass(frozen=True, slots=True)
class ConfigReloaded(Event):
    """A new configuration is in force (``error`` set: a new file was refused, the old stays);
    ``changed`` names the settings that differ (``config.changed_settings``), never values."""

    source: str
    error: str | None = None
    changed: tuple[str, ...] = ()


Subscriber = Callable[[Event], None]


class EventBus:
    """Synchronous fan-out to subscribers; ``subscribe`` returns the function that undoes it."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for callback in tuple(self._subscribers):
            try:
                callback(event)
            except Exception:  # a subscriber's bug must not stop the coordinator or the others
                log.exception("event subscriber %r failed on %s", callback, type(event).__name__)

    @property
    def has_subscribers(self) -> bool:
        return bool(self._subscribers)
