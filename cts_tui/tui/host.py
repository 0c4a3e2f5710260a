"""What screens, modals and widgets may use of the app they run in, as a protocol.

Textual types ``node.app`` as a plain ``App``; ``host(node)`` gives the same object typed as
``Host``, so that what the parts ask of the app is listed and checked (``CtsApp`` is checked
against it in ``app.py``). Whatever opens a screen goes through the app, so that widgets do not
import the screens and modals that are built from widgets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from textual.message_pump import MessagePump
from textual.signal import Signal

from cts_tui.capabilities import ExchangeId
from cts_tui.config import Config
from cts_tui.core.events import Event
from cts_tui.core.snapshots import ConnectionView
from cts_tui.tui.backend import Coordinator, Store
from cts_tui.tui.messages import Frame
from cts_tui.tui.preferences import Preferences


@dataclass(frozen=True, slots=True)
class BatchSets:
    """The connections a batch test may cover, as the connections pane sees them."""

    marked: list[str]
    filtered: list[str]
    all: list[str]

    def choices(self) -> list[tuple[str, str, list[str]]]:
        return [("marked", "Marked", self.marked), ("filtered", "Filtered", self.filtered),
                ("all", "All", self.all)]

    @property
    def default(self) -> str:
        return "marked" if self.marked else "filtered" if self.filtered else "all"


class Host(Protocol):
    coordinator: Coordinator
    store: Store
    config: Config
    clock: Callable[[], datetime]
    demo: bool
    hosts: Mapping[ExchangeId, Mapping[str, str]]
    preferences: Preferences
    frame: Frame | None
    frames: Signal[Frame]
    core_events: Signal[Event]

    @property
    def paused(self) -> bool: ...

    @property
    def refresh_interval(self) -> float: ...

    def refresh_now(self, *, force: bool = False) -> None: ...

    def open_detail(self, connection_id: str) -> None: ...

    def open_limits(self, exchange: ExchangeId) -> None: ...

    def add_connection(self) -> None: ...

    def edit_connection(self, connection_id: str) -> None: ...

    def confirm(self, question: str, confirm: str, then: Callable[[], object]) -> None: ...

    def open_batch(self, sets: BatchSets) -> None: ...

    def copy_id(self, view: ConnectionView) -> None: ...

    def open_copy_menu(self, view: ConnectionView) -> None: ...

    def toggle_paused(self, view: ConnectionView) -> Any: ...

    def test_connection(self, connection_id: str, name: str) -> Any: ...


def host(node: MessagePump) -> Host:
    return cast(Host, node.app)
