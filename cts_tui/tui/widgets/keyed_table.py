"""A DataTable that shows a list of items by key, changing only the cells whose value changed.

Each refresh hands over the full list; the table diffs it against what it shows (rows added,
removed, cells changed, order changed) inside one ``batch_update``. Column widths are fixed
(chosen for a wide or a narrow terminal), so no update ever re-measures a column. Sorting is by
any column (header click or keys) and the cursor stays on the same item after a sort or refresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from cts_tui.tui.actions import Scope, bindings

Item = TypeVar("Item")

NARROW_BELOW = 110
"""Terminal width under which tables switch to their narrow column set (80x24 must read well)."""

REBUILD_ABOVE = 32
"""Removing more rows than this clears and refills instead (DataTable.remove_row is O(rows))."""


@dataclass(frozen=True, slots=True)
class Column(Generic[Item]):
    key: str
    label: str
    wide: int
    narrow: int | None
    """Width on a narrow terminal; None hides the column there."""
    value: Callable[[Item, datetime], Hashable]
    """What the cell shows, as a cheap comparable value: the diff compares these."""
    render: Callable[[Any, int], Text | str]
    """The cell for a value at a column width (called only when the value changed)."""
    sort: Callable[[Item], Any] | None = None
    short: str | None = None
    """The label on a narrow terminal, when the full one does not fit."""


class RowCell:
    """The first cell of a row; it remembers the row key so that ``sort`` can order rows by our
    list rather than by a column's text."""

    __slots__ = ("key", "content")

    def __init__(self, key: str, content: Text | str) -> None:
        self.key = key
        self.content = content

    def __rich__(self) -> Text | str:
        return self.content


def plain(value: object, _width: int) -> str:
    return str(value)


def any_width(render: Callable[[Any], Text]) -> Callable[[Any, int], Text]:
    """A cell renderer that looks the same at any column width."""
    return lambda value, _width: render(value)


def _none_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else 0)


class KeyedTable(DataTable[Any], Generic[Item]):
    COLUMNS: ClassVar[Sequence[Column[Any]]] = ()
    DEFAULT_SORT: ClassVar[str | None] = None
    BINDINGS = bindings(Scope.TABLE)

    class SortChanged(Message):
        def __init__(self, column: str, reverse: bool) -> None:
            super().__init__()
            self.column = column
            self.reverse = reverse

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.sort_column: str | None = self.DEFAULT_SORT
        self.sort_reverse = False
        self._narrow: bool | None = None
        self._columns: list[Column[Item]] = []
        self._values: dict[str, tuple[Hashable, ...]] = {}
        self._order: list[str] = []
        self._items: list[Item] = []
        self._now: datetime | None = None
        self._cells_changed = False

    # --- what subclasses say --------------------------------------------------------------------

    def item_key(self, item: Item) -> str:
        return str(item.id)  # type: ignore[attr-defined]

    def tie_breaker(self, item: Item) -> Any:
        return self.item_key(item)

    # --- layout ---------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._apply_layout()

    def on_resize(self, _: events.Resize) -> None:
        self._apply_layout()

    def _apply_layout(self) -> None:
        narrow = self.app.size.width < NARROW_BELOW
        if narrow == self._narrow:
            return
        self._narrow = narrow
        self._columns = [c for c in self.COLUMNS if (c.narrow if narrow else c.wide)]
        cursor = self.cursor_key
        with self.app.batch_update():
            self.clear(columns=True)
            for column in self._columns:
                width = column.narrow if narrow else column.wide
                self.add_column(self._label(column), width=width, key=column.key)
            self._values.clear()
            self._order = []
            if self._now is not None:
                self.show(self._items, self._now, keep=cursor)

    def _label(self, column: Column[Item]) -> Text:
        label = Text((self._narrow and column.short) or column.label, style="bold")
        if column.key == self.sort_column:
            label.append(" ▼" if self.sort_reverse else " ▲")
        return label

    # --- sorting --------------------------------------------------------------------------------

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        if reverse is None:
            reverse = not self.sort_reverse if column == self.sort_column else False
        self.sort_column, self.sort_reverse = column, reverse
        for col in self._columns:
            self.columns[ColumnKey(col.key)].label = self._label(col)
        self._require_update_dimensions = True
        self.post_message(self.SortChanged(column, reverse))
        if self._now is not None:
            self.show(self._items, self._now)

    def sort_next(self) -> None:
        keys = [c.key for c in self._columns if c.sort is not None]
        position = keys.index(self.sort_column) if self.sort_column in keys else -1
        self.sort_by(keys[(position + 1) % len(keys)], reverse=False)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        column = next((c for c in self._columns if c.key == event.column_key.value), None)
        if column is not None and column.sort is not None:
            self.sort_by(column.key)

    def _ordered(self, items: Sequence[Item]) -> list[Item]:
        column = next((c for c in self.COLUMNS if c.key == self.sort_column), None)
        if column is None or column.sort is None:
            return list(items)
        sort_key = column.sort
        ordered = sorted(items, key=self.tie_breaker)
        ordered.sort(key=lambda item: _none_last(sort_key(item)), reverse=self.sort_reverse)
        return ordered

    # --- the diff -------------------------------------------------------------------------------

    @property
    def cursor_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # the cursor sits past the last row while rows are being replaced
            return None

    @property
    def shown_keys(self) -> list[str]:
        return list(self._order)

    def show(self, items: Sequence[Item], now: datetime, *, keep: str | None = None) -> None:
        """Make the table show ``items`` (sorted by the current column), keyed by ``item_key``."""
        self._items, self._now = list(items), now
        if not self._columns:
            return
        cursor = keep or self.cursor_key
        ordered = self._ordered(items)
        keys = [self.item_key(item) for item in ordered]
        wanted = set(keys)
        with self.app.batch_update():
            gone = [key for key in self._values if key not in wanted]
            if len(gone) > REBUILD_ABOVE:
                self.clear()
                self._values.clear()
                self._order = []
            else:
                for key in gone:
                    self.remove_row(key)
                    del self._values[key]
            self._cells_changed = False
            for key, item in zip(keys, ordered, strict=True):
                self._put(key, item, now)
            if self._cells_changed:
                # One invalidation for the whole diff: DataTable.update_cell refreshes the widget on
                # every call, which for a thousand changed cells costs more than the diff itself.
                self._update_count += 1
                self.refresh()
            if keys != self._order_after_put(keys):
                position = {key: index for index, key in enumerate(keys)}
                first = self._columns[0].key
                self.sort(first, key=lambda cell: position[cell.key])
            self._order = keys
            if cursor is not None and cursor in wanted:
                index = keys.index(cursor)
                if index != self.cursor_row:
                    self.move_cursor(row=index, animate=False)

    def _order_after_put(self, keys: list[str]) -> list[str]:
        """The table's row order now (new rows were appended after the previous order)."""
        previous = [key for key in self._order if key in self._values]
        before = set(previous)
        return previous + [key for key in keys if key not in before]

    def _put(self, key: str, item: Item, now: datetime) -> None:
        values = tuple(column.value(item, now) for column in self._columns)
        old = self._values.get(key)
        if old is None:
            cells = [self._render(column, value) for column, value in zip(self._columns, values, strict=True)]
            cells[0] = RowCell(key, cells[0])
            self.add_row(*cells, key=key)
        elif old != values:
            row = self._data[key]  # type: ignore[index]  # RowKey hashes and compares as its str
            for index, (column, value, before) in enumerate(zip(self._columns, values, old, strict=True)):
                if value != before:
                    cell = self._render(column, value)
                    row[column.key] = RowCell(key, cell) if index == 0 else cell  # type: ignore[index]
                    self._cells_changed = True
        self._values[key] = values

    def _render(self, column: Column[Item], value: Any) -> Text | str:
        return column.render(value, (column.narrow if self._narrow else column.wide) or 0)
