"""The main screen: the totals line and the three tabs (connections, rate limits, health)."""

from __future__ import annotations

from datetime import UTC, datetime

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, Static, TabbedContent, TabPane

from cts_tui.core.events import AlertChanged, Event
from cts_tui.core.fleet_view import exchange_shares, member_label
from cts_tui.core.snapshots import Snapshot
from cts_tui.views.fleet import Fleet
from cts_tui.tui.actions import Scope
from cts_tui.tui.host import host
from cts_tui.tui.messages import Frame
from cts_tui.tui.widgets.alert_log import AlertLog
from cts_tui.tui.widgets.connections_pane import ConnectionsPane
from cts_tui.tui.widgets.health_table import HealthTable
from cts_tui.tui.widgets.keyed_table import KeyedTable
from cts_tui.tui.widgets.limits_table import LimitsTable
from cts_tui.tui.widgets.streams_table import StreamsPanel
from cts_tui.tui.widgets.totals_bar import TotalsBar
from cts_tui.views.limits import BackendState


def _budgets_line(state: BackendState | None) -> str:
    """Where budgets are counted and since when: a switch to the local fallback (Redis gone)
    shows here with its reason, because the shares differ from what the gauges usually mean."""
    if state is None:
        return "budgets: not limited"
    since = datetime.fromtimestamp(state.since, UTC).strftime("%H:%M:%S UTC")
    if state.name == "fallback":
        return f"budgets: local since {since} ({state.reason})"
    return f"budgets: {state.name} since {since}"


def _fleet_lines(fleet: Fleet | None) -> list[str]:
    """Per exchange, the fleet's requests in the last minute and each process's share."""
    if fleet is None:
        return []
    return [f" {name}: {view.spent} req/min, " + " · ".join(
                f"{member_label(s.member)}{' (here)' if s.member.id == fleet.me else ''} {s.share:.0%}"
                for s in view.shares)
            for name, view in exchange_shares(fleet).items()]


def _limiter_summary(frame: Frame) -> str:
    head = f" {_budgets_line(frame.snapshot.budgets)}   ·   load balancing: {frame.snapshot.strategy}"
    return "\n".join([head, *_fleet_lines(frame.snapshot.fleet)])


class MainScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield TotalsBar(id="totals")
        with TabbedContent(initial="connections", id="tabs"):
            with TabPane("1 Connections", id="connections"):
                yield ConnectionsPane(id="connections-pane")
            with TabPane("2 Rate limits", id="limits"):
                yield Static(id="limits-summary")
                yield LimitsTable(id="limits-table")
            with TabPane("3 Health", id="health"):
                with Vertical(id="health-box"):
                    yield HealthTable(id="health-table")
                    yield StreamsPanel(id="streams-panel")
                    yield Label("Alerts", id="alerts-title")
                    yield AlertLog(id="alert-log")
        yield Footer()

    def on_mount(self) -> None:
        for table in self.query(KeyedTable):
            table.restore(host(self).preferences)
        host(self).frames.subscribe(self, self._frame_arrived)
        host(self).core_events.subscribe(self, self._core_event_arrived)
        self.query_one(AlertLog).add(host(self).coordinator.alerts.log(), self._snapshot)
        if (frame := host(self).frame) is not None:
            self._frame_arrived(frame)

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active

    def action_target(self, scope: Scope) -> ConnectionsPane | None:
        if scope is Scope.CONNECTIONS and self.active_tab == "connections":
            return self.query_one(ConnectionsPane)
        return None

    def show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if (frame := host(self).frame) is not None:
            self._render_tab(frame)
        pane_table = {"connections": "#connections-table", "limits": "#limits-table", "health": "#health-table"}
        self.query_one(pane_table[self.active_tab]).focus()

    def _frame_arrived(self, frame: Frame) -> None:
        self.query_one(TotalsBar).show(frame.snapshot, paused=host(self).paused,
                                       interval_s=host(self).refresh_interval, demo=host(self).demo)
        self._render_tab(frame)

    def _render_tab(self, frame: Frame) -> None:
        """Only the visible tab is drawn; the others catch up when they are shown."""
        tab = self.active_tab
        if tab == "connections":
            self.query_one(ConnectionsPane).show(frame)
        elif tab == "limits":
            summary, text = self.query_one("#limits-summary", Static), _limiter_summary(frame)
            # A relayout only when the fleet's lines come or go: one redraws the whole screen.
            summary.update(text, layout=summary.size.height != text.count("\n") + 1)
            self.query_one(LimitsTable).show(list(frame.snapshot.exchanges.values()), frame.now)
        else:
            self.query_one(HealthTable).show(frame.snapshot.connections, frame.now)
            self.query_one(StreamsPanel).show(frame.snapshot.streams, frame.now)

    def _core_event_arrived(self, event: Event) -> None:
        if isinstance(event, AlertChanged):
            self.query_one(AlertLog).add([event.alert], self._snapshot)

    @property
    def _snapshot(self) -> Snapshot | None:
        return frame.snapshot if (frame := host(self).frame) is not None else None

