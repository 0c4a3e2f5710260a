"""c: which columns a table shows. Each toggle applies at once (the table behind re-fits), and
the choice is remembered between runs (``tui.preferences``)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, SelectionList

from cts_tui.tui.widgets.keyed_table import KeyedTable


class ColumnsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,c", "dismiss", "Done")]

    def __init__(self, table: KeyedTable[Any]) -> None:
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="columns"):
            yield Label("Columns (space shows or hides)", id="columns-title")
            yield SelectionList[str](
                *((column.label, column.key, column.key not in self.table.hidden)
                  for column in self.table.optional_columns),
                id="columns-list",
            )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        shown = set(event.selection_list.selected)
        self.table.set_hidden({column.key for column in self.table.optional_columns} - shown)
