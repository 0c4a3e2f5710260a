"""Market streams on the health screen (one row per exchange) and in a connection's detail.

A REST check says a key works; the stream says whether the exchange is talking right now. The
panel shows itself only while streams run (config ``streams.enabled``), so a setup without
streams keeps the health screen it had.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label

from cts_tui.tui import format as fmt
from cts_tui.tui.widgets.column_layout import drop, shrink
from cts_tui.tui.widgets.keyed_table import HEADER_LINES, Column, KeyedTable, any_width, plain
from cts_tui.views.streams import StreamState, StreamView

STREAM_STYLE: dict[StreamState, str] = {
    StreamState.LIVE: "green",
    StreamState.CONNECTING: "yellow",
    StreamState.RECONNECTING: "yellow",
    StreamState.STALLED: "bold red",
    StreamState.CLOSED: "dim",
}
STREAM_ICON: dict[StreamState, str] = {
    StreamState.LIVE: "●",
    StreamState.CONNECTING: "◌",
    StreamState.RECONNECTING: "↻",
    StreamState.STALLED: "‖",
    StreamState.CLOSED: "○",
}
STATE_ORDER = {state: i for i, state in enumerate(
    (StreamState.STALLED, StreamState.RECONNECTING, StreamState.CONNECTING, StreamState.LIVE, StreamState.CLOSED)
)}
LATENESS_WARN_MS, LATENESS_BAD_MS = 250, 1000
MAX_ROWS = 9  # one per exchange
COMPACT_BELOW = 32
"""Terminal height under which the panel is one summary line, leaving the rows to the health table."""
TITLE = "Market streams"


def stream_state_text(state: StreamState) -> Text:
    return Text(f"{STREAM_ICON[state]} {state.value}", style=STREAM_STYLE[state])


def lateness_text(ms: float | None) -> Text:
    return fmt.ms_text(ms, warn=LATENESS_WARN_MS, bad=LATENESS_BAD_MS)


def _age_value(view: StreamView, _now: datetime) -> tuple[float, bool] | None:
    """Tenths of a second since the last message, and whether that is past the stall threshold."""
    age = view.last_message_age_s
    return None if age is None else (round(age, 1), age > view.stall_threshold_s)


def _age_cell(value: tuple[float, bool] | None, _width: int) -> Text:
    if value is None:
        return fmt.DASH
    age, late = value
    return Text(f"{age:.1f} s" if age < 100 else f"{age:.0f} s", style="bold red" if late else "")


def _count_cell(count: int, _width: int) -> Text:
    return Text(str(count), style="yellow" if count else "dim")


def _rate_cell(rate: float, _width: int) -> Text:
    return Text(f"{rate:.1f}", style="" if rate else "dim")


def _error_cell(error: str | None, _width: int) -> Text:
    return Text(error, style="dim", no_wrap=True, overflow="ellipsis") if error else fmt.DASH


COLUMNS: tuple[Column[StreamView], ...] = (
    Column("exchange", "Exchange", 9, 9, lambda v, _: v.exchange, plain, sort=lambda v: v.exchange),
    Column("transport", "Via", 8, None, lambda v, _: v.transport, plain, sort=lambda v: v.transport),
    Column("state", "Stream", 14, 14, lambda v, _: v.state, any_width(stream_state_text),
           sort=lambda v: STATE_ORDER[v.state]),
    Column("rate", "Msgs/s", 7, 6, lambda v, _: round(v.messages_per_s, 1), _rate_cell,
           sort=lambda v: v.messages_per_s, align="right"),
    Column("lateness", "Late p99", 8, 7, lambda v, _: v.lateness_p99_ms and round(v.lateness_p99_ms),
           any_width(lateness_text), sort=lambda v: v.lateness_p99_ms, short="p99", align="right"),
    Column("age", "Last msg", 8, 7, _age_value, _age_cell, sort=lambda v: v.last_message_age_s, short="Last",
           align="right"),
    Column("reconnects", "Reconn", 6, 6, lambda v, _: v.reconnects, _count_cell, sort=lambda v: v.reconnects,
           align="right"),
    Column("stalls", "Stalls", 6, None, lambda v, _: v.stalls, _count_cell, sort=lambda v: v.stalls, align="right"),
    Column("error", "Last error", 30, 12, lambda v, _: v.last_error, _error_cell),
)


class StreamsTable(KeyedTable[StreamView]):
    COLUMNS = COLUMNS
    GIVE_WAY = (shrink("error"), drop("transport"), drop("stalls"), drop("error"))
    DEFAULT_SORT = "state"

    def item_key(self, item: StreamView) -> str:
        return item.exchange

    def tie_breaker(self, item: StreamView) -> Any:
        return item.exchange


def summary_text(streams: Sequence[StreamView]) -> Text:
    """One line for a short terminal: how many are live, and each one that is not."""
    live = sum(s.state is StreamState.LIVE for s in streams)
    text = Text(f"{TITLE}  ")
    text.append(f"{live}/{len(streams)} live", style="green" if live == len(streams) else "yellow")
    for stream in sorted(streams, key=lambda s: (STATE_ORDER[s.state], s.exchange)):
        if stream.state is not StreamState.LIVE:
            text.append(f"  {stream.exchange} ")
            text.append_text(stream_state_text(stream.state))
    return text


class StreamsPanel(Vertical):
    """A titled `StreamsTable`, as tall as its rows (a summary line on a short terminal),
    hidden while there are no streams."""

    DEFAULT_CSS = """
    StreamsPanel {
        height: auto;
        display: none;
    }
    StreamsPanel.-streaming {
        display: block;
    }
    StreamsPanel > Label {
        height: 1;
        width: 100%;
        padding: 0 1;
        text-style: bold;
        background: $panel;
    }
    StreamsPanel > StreamsTable {
        height: 2;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._title: Text | str = TITLE

    def compose(self) -> ComposeResult:
        yield Label(TITLE)
        yield StreamsTable()

    def show(self, streams: Sequence[StreamView], now: datetime) -> None:
        self.set_class(bool(streams), "-streaming")
        if not streams:
            return
        compact = self.app.size.height < COMPACT_BELOW
        title = summary_text(streams) if compact else TITLE
        if title != self._title:
            self._title = title
            self.query_one(Label).update(title)
        table = self.query_one(StreamsTable)
        table.display = not compact
        if compact:
            return
        height = min(len(streams), MAX_ROWS) + HEADER_LINES
        if table.styles.height is None or table.styles.height.value != height:
            table.styles.height = height
        table.show(streams, now)


def stream_facts(view: StreamView | None) -> list[tuple[str, Text]]:
    """The rows a connection's detail shows about its exchange's stream (none without one)."""
    if view is None:
        return []
    state = stream_state_text(view.state)
    state.append(f"  {view.messages_per_s:.1f} msg/s · {view.reconnects} reconnects", style="")
    if view.last_message_age_s is None:
        age = Text("none yet", style="dim")
    else:
        age = _age_cell(_age_value(view, datetime.min), 0)
        age.append(f" ago (stalled after {view.stall_threshold_s:.1f} s)", style="dim")
    return [
        ("market stream", state),
        ("stream lateness", Text.assemble("p50 ", lateness_text(view.lateness_p50_ms),
                                          " / p99 ", lateness_text(view.lateness_p99_ms))),
        ("last message", age),
    ]
