"""The connection filter: free text plus exchange, API type and state choices."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Select

from cts_tui.core.snapshots import ConnectionView
from cts_tui.models import ApiType, ConnectionState, ExchangeId


@dataclass(frozen=True, slots=True)
class ConnectionFilter:
    text: str = ""
    exchange: ExchangeId | None = None
    api_type: ApiType | None = None
    state: ConnectionState | None = None

    @property
    def active(self) -> bool:
        return bool(self.text or self.exchange or self.api_type or self.state)

    def matches(self, view: ConnectionView) -> bool:
        if self.exchange is not None and view.exchange is not self.exchange:
            return False
        if self.api_type is not None and view.api_type is not self.api_type:
            return False
        if self.state is not None and view.state is not self.state:
            return False
        if not self.text:
            return True
        haystack = " ".join((view.name, view.exchange.value, view.api_type.value, view.state.value,
                             *view.tags)).lower()
        return all(word in haystack for word in self.text.lower().split())


def _choice(value: object) -> object | None:
    return None if value is Select.NULL else value


class FilterBar(Horizontal):
    class Changed(Message):
        def __init__(self, criteria: ConnectionFilter) -> None:
            super().__init__()
            self.criteria = criteria

    class Done(Message):
        """The user pressed enter or escape in the text: back to the table."""

    def compose(self) -> ComposeResult:
        # Compact: the bar is one line high, where a bordered input shows only its top edge.
        yield Input(placeholder="filter: words in name, exchange, type, state, tags", id="filter-text",
                    compact=True)
        yield Select([(e.value, e) for e in ExchangeId], prompt="exchange", id="filter-exchange", compact=True)
        yield Select([(t.value, t) for t in ApiType], prompt="API type", id="filter-api-type", compact=True)
        yield Select([(s.value, s) for s in ConnectionState], prompt="state", id="filter-state", compact=True)

    @property
    def criteria(self) -> ConnectionFilter:
        return ConnectionFilter(
            text=self.query_one("#filter-text", Input).value.strip(),
            exchange=_choice(self.query_one("#filter-exchange", Select).value),  # type: ignore[arg-type]
            api_type=_choice(self.query_one("#filter-api-type", Select).value),  # type: ignore[arg-type]
            state=_choice(self.query_one("#filter-state", Select).value),  # type: ignore[arg-type]
        )

    def clear(self) -> None:
        self.query_one("#filter-text", Input).value = ""
        for select in self.query(Select):
            select.clear()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.criteria))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.criteria))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Done())

    def key_escape(self) -> None:
        self.post_message(self.Done())
