"""One exchange's rate limits in full (enter on screen 2): every window the venue defines, each
instance of a window counted per endpoint or per pool against its own limit, whose each window
is (the exchange's own or a budget of ours), and what holds requests back. Live; esc closes."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from cts_tui.capabilities import ExchangeId
from cts_tui.key_facts import exchange_title
from cts_tui.tui import format as fmt
from cts_tui.tui.host import host
from cts_tui.tui.messages import Frame
from cts_tui.tui.widgets.limits_table import fitted_name, status_value
from cts_tui.views.limits import ExchangeUsage, WindowUsage

GAUGE_WIDTH = 10


def _period(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def _row(table: Table, window: WindowUsage, first: bool, room: int) -> None:
    whose = ("exchange" if window.by_exchange else "ours") if first else ""
    part = fitted_name(window.part, window.part, room) if window.part else "–"
    table.add_row(window.name if first else "", _period(window.period_s) if first else "", whose,
                  part, fmt.gauge(round(window.used), window.limit, GAUGE_WIDTH))


def windows_table(usage: ExchangeUsage, width: int) -> Table:
    """A window of many lists each instance charged so far, fullest first; the others one row.
    Only the endpoint column gives way to ``width``: the figures stay whole."""
    table = Table(box=None, padding=(0, 1), expand=False)
    names = max((len(w.name) for w in usage.windows), default=6)
    fixed = [("window", names), ("period", 6), ("whose", 8)]
    for label, room in fixed:
        table.add_column(label, style="dim", no_wrap=True, min_width=room)
    figures = GAUGE_WIDTH + 10
    rest = width - sum(room + 2 for _, room in fixed) - (figures + 2) - 2
    room = max(8, rest)
    table.add_column("endpoint or pool", no_wrap=True, overflow="ellipsis", max_width=room)
    table.add_column("used / own limit", no_wrap=True, min_width=figures)
    for window in usage.windows:
        instances = [w for w in usage.instances if w.name == window.name] or [window]
        for index, instance in enumerate(instances):
            _row(table, instance, index == 0, room)
    return table


class LimitsDetail(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "dismiss", "Close"),
                Binding("j", "scroll('down')", "Down", show=False),
                Binding("k", "scroll('up')", "Up", show=False)]

    def __init__(self, exchange: ExchangeId) -> None:
        super().__init__()
        self.exchange = exchange

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="limits-detail"):
            yield Static(Text(f"{exchange_title(self.exchange.value)} rate limits", style="bold"),
                         id="limits-detail-title")
            yield Static(id="limits-detail-state")
            yield Static(id="limits-detail-windows")
        yield Footer()

    def on_mount(self) -> None:
        host(self).frames.subscribe(self, self._frame_arrived)
        if (frame := host(self).frame) is not None:
            self._frame_arrived(frame)

    def _frame_arrived(self, frame: Frame) -> None:
        view = frame.snapshot.exchanges.get(self.exchange)
        state = self.query_one("#limits-detail-state", Static)
        windows = self.query_one("#limits-detail-windows", Static)
        if view is None or view.usage is None:
            state.update(Text("No limits here: the exchange is disabled in the config.", style="dim"))
            windows.update("")
            return
        usage = view.usage
        words, style = status_value(view, frame.now)
        high, normal, low = usage.queued
        state.update(Text.assemble(
            ("status ", "dim"), (words, style),
            ("   concurrency ", "dim"), f"{usage.concurrent_in_use}/{usage.concurrent_limit}",
            ("   queued H/N/L ", "dim"), f"{high}/{normal}/{low}",
            ("   counted ", "dim"), usage.backend, "\n"))
        windows.update(windows_table(usage, windows.size.width or self.app.size.width - 8))

    def action_scroll(self, direction: str) -> None:
        scroller = self.query_one("#limits-detail", VerticalScroll)
        (scroller.scroll_down if direction == "down" else scroller.scroll_up)()
