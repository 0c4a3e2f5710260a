"""Screen 1: the filter, the connection table (or how to add a first connection), and the
connection actions (add, edit, delete, enable/disable, test, batch test, marks, sort)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from cts_tui.core.snapshots import ConnectionView
from cts_tui.errors import CtsError
from cts_tui.tui.actions import Scope, bindings
from cts_tui.tui.host import BatchSets, host
from cts_tui.tui.messages import Frame, OperationDone
from cts_tui.tui.widgets.connections_table import ConnectionRow, ConnectionsTable
from cts_tui.tui.widgets.filter_bar import ConnectionFilter, FilterBar

EMPTY_HELP = """\
[b]No connections yet.[/b]

Press [b reverse] a [/] to add one: pick the exchange, the API type, paste the key and secret, \
test it, save. Keys are stored encrypted in your local store.

From a shell:  [b]cts-tui conn add --name main --exchange binance --api-type spot[/b] \
(the key and secret are read from CTS_API_KEY / CTS_API_SECRET or a hidden prompt).

Just looking?  [b]cts-tui --demo[/b] runs everything against the built-in exchange simulator \
with two dozen connections on every exchange, where things go wrong on purpose.

[dim]? lists every key · ctrl+p searches every action · q quits[/dim]"""
"""Paragraphs, not lines: the terminal's width decides where they wrap."""


class ConnectionsPane(Vertical):
    BINDINGS = bindings(Scope.CONNECTIONS)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.criteria = ConnectionFilter()
        self.marked: set[str] = set()
        self._views: dict[str, ConnectionView] = {}
        self._shown: list[ConnectionView] = []

    def compose(self) -> ComposeResult:
        yield FilterBar(id="filter-bar")
        yield ConnectionsTable(id="connections-table")
        yield Static(EMPTY_HELP, id="empty-help")
        yield Static(id="connections-status")

    # --- rendering ------------------------------------------------------------------------------

    def show(self, frame: Frame) -> None:
        connections = frame.snapshot.connections
        self._views = {view.id: view for view in connections}
        self.marked &= self._views.keys()
        self._shown = [view for view in connections if self.criteria.matches(view)]
        empty = not connections
        self.set_class(empty, "-empty")
        self.query_one(FilterBar).display = self.criteria.active or self.query_one(FilterBar).has_focus_within
        table = self.query_one(ConnectionsTable)
        table.show([ConnectionRow(view, view.id in self.marked) for view in self._shown], frame.now)
        status = self.query_one("#connections-status", Static)
        status.update(self._status_line(len(connections)), layout=False)  # one line high by CSS

    def _status_line(self, total: int) -> str:
        table = self.query_one(ConnectionsTable)
        parts = [
            f"{len(self._shown)} of {total} shown" if self.criteria.active
            else f"{total} connection{'' if total == 1 else 's'}"
        ]
        if self.marked:
            parts.append(f"{len(self.marked)} marked")
        if table.sort_column:
            parts.append(f"sort: {table.sort_title} {'▼' if table.sort_reverse else '▲'}")
        if self.criteria.active and not self._shown:
            parts.append("nothing matches the filter — esc clears it")
        return " " + " · ".join(parts)

    def _redraw(self) -> None:
        if (frame := host(self).frame) is not None:
            self.show(frame)

    @property
    def current(self) -> ConnectionView | None:
        key = self.query_one(ConnectionsTable).cursor_key
        return self._views.get(key) if key else None

    @property
    def shown_ids(self) -> list[str]:
        return [view.id for view in self._shown]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"open_detail", "edit", "delete", "toggle_enabled", "toggle_paused", "test", "toggle_mark",
                      "copy_id", "copy_menu"}:
            return self.current is not None or None
        if action in {"batch_test", "mark_all"}:
            return bool(self._shown) or None
        return True

    # --- filter, marks, sort --------------------------------------------------------------------

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.display = True
        bar.query_one("#filter-text").focus()

    def on_filter_bar_changed(self, message: FilterBar.Changed) -> None:
        self.criteria = message.criteria
        self._redraw()

    def on_filter_bar_done(self, _: FilterBar.Done) -> None:
        self.query_one(ConnectionsTable).focus()
        self._redraw()

    def action_clear_filter(self) -> None:
        self.query_one(FilterBar).clear()
        self.criteria = ConnectionFilter()
        self.marked.clear()
        self.query_one(ConnectionsTable).focus()
        self._redraw()

    def action_toggle_mark(self) -> None:
        view = self.current
        if view is None:
            return
        self.marked.symmetric_difference_update({view.id})
        self._redraw()
        self.query_one(ConnectionsTable).action_cursor_down()

    def action_mark_all(self) -> None:
        shown = set(self.shown_ids)
        self.marked = set() if shown <= self.marked else self.marked | shown
        self._redraw()

    def action_sort_next(self) -> None:
        self.query_one(ConnectionsTable).sort_next()

    def action_sort_reverse(self) -> None:
        table = self.query_one(ConnectionsTable)
        if table.sort_column:
            table.sort_by(table.sort_column, reverse=not table.sort_reverse)

    def on_keyed_table_sort_changed(self, _: ConnectionsTable.SortChanged) -> None:
        self._redraw()

    # --- opening things -------------------------------------------------------------------------

    def on_keyed_table_row_selected(self, event: ConnectionsTable.RowSelected) -> None:
        event.stop()
        self.action_open_detail()

    def action_open_detail(self) -> None:
        if (view := self.current) is not None:
            host(self).open_detail(view.id)

    def action_toggle_paused(self) -> None:
        if (view := self.current) is not None:
            host(self).toggle_paused(view)

    def action_copy_id(self) -> None:
        if (view := self.current) is not None:
            host(self).copy_id(view)

    def action_copy_menu(self) -> None:
        if (view := self.current) is not None:
            host(self).open_copy_menu(view)

    def action_add(self) -> None:
        host(self).add_connection()

    def action_edit(self) -> None:
        if (view := self.current) is not None:
            host(self).edit_connection(view.id)

    def action_delete(self) -> None:
        view = self.current
        if view is None:
            return
        question = (f"Delete [b]{view.name}[/b] ({view.exchange.value} {view.api_type.value})?\n"
                    "Its keys and test history are removed from the store. This cannot be undone.")
        host(self).confirm(question, "Delete", lambda: self._delete(view))

    def action_batch_test(self) -> None:
        sets = BatchSets(
            marked=[i for i in self.shown_ids if i in self.marked] or sorted(self.marked),
            filtered=self.shown_ids if self.criteria.active else [],
            all=list(self._views),
        )
        host(self).open_batch(sets)

    # --- background work, reported by messages --------------------------------------------------

    def action_toggle_enabled(self) -> None:
        if (view := self.current) is not None:
            self._toggle(view)

    def action_test(self) -> None:
        if (view := self.current) is not None:
            host(self).test_connection(view.id, view.name)

    @work(group="operations")
    async def _toggle(self, view: ConnectionView) -> None:
        coordinator = host(self).coordinator
        what = f"{'disable' if view.enabled else 'enable'} {view.name}"
        try:
            if view.enabled:
                await coordinator.disable(view.id, "tui")
            else:
                await coordinator.enable(view.id, "tui")
        except CtsError as exc:
            self.post_message(OperationDone(what, str(exc)))
            return
        self.post_message(OperationDone(f"{view.name} {'disabled' if view.enabled else 'enabled'}"))

    @work(group="operations")
    async def _delete(self, view: ConnectionView) -> None:
        try:
            await host(self).coordinator.delete_connection(view.id, "tui")
        except CtsError as exc:
            self.post_message(OperationDone(f"delete {view.name}", str(exc)))
            return
        self.marked.discard(view.id)
        self.post_message(OperationDone(f"{view.name} deleted"))
