"""A virtual table that shows a list of items by key, building cells only for the rows in view.

Each refresh hands over the full list. The table keeps the whole sorted model (keys in order,
item per key) but renders lines on demand through Textual's line API (``ScrollView`` and
``render_line``), so with a thousand rows a refresh costs a sort plus the ~30 rows on screen, and
an off-screen row's "12s ago" is never recomputed. Rendered rows are kept per key with the
values they were built from: a row in view is diffed cell by cell against them and only the
cells whose value changed are rendered again. Column widths are fixed (chosen for a wide or a
narrow terminal), so nothing is ever re-measured. Sorting is by any column (header click or
keys) and the cursor stays on the same item after a sort or refresh.

Only public Textual API is used (``ScrollView``, ``Strip``, component classes), so a Textual
upgrade cannot silently break the table through a private field.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar

from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cts_tui.tui.actions import Scope, bindings
from cts_tui.tui.preferences import Preferences
from cts_tui.tui.widgets import column_layout
from cts_tui.tui.widgets.column_layout import CELL_PADDING, GiveWay, Placed

Item = TypeVar("Item")

HEADER_LINES = 1


@dataclass(frozen=True, slots=True)
class Column(Generic[Item]):
    key: str
    label: str
    wide: int
    narrow: int | None
    """Width when space is short (None: no narrower than ``wide``)."""
    value: Callable[[Item, datetime], Hashable]
    """What the cell shows, as a cheap comparable value: the diff compares these."""
    render: Callable[[Any, int], Text | str]
    """The cell for a value at a column width (called only when the value changed)."""
    sort: Callable[[Item], Any] | None = None
    short: str | None = None
    """The label on a narrow terminal, when the full one does not fit."""
    align: Literal["left", "right"] = "left"
    """Figures are right-aligned so that their digits line up."""
    text: Callable[[Item], str] | None = None
    """The row's identifying text (a name): the column takes spare width up to the longest one,
    and a cut that would make two rows read alike is made in the middle."""

    @property
    def flex(self) -> bool:
        return self.text is not None


def plain(value: object, _width: int) -> str:
    return str(value)


def any_width(render: Callable[[Any], Text]) -> Callable[[Any, int], Text]:
    """A cell renderer that looks the same at any column width."""
    return lambda value, _width: render(value)


def _none_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else 0)


@dataclass(slots=True)
class _RenderedRow:
    """A row as last built: the values it shows, each cell fitted to its width, the line."""

    values: tuple[Hashable, ...]
    cells: list[Text]
    strip: Strip


class KeyedTable(ScrollView, Generic[Item], can_focus=True):
    COLUMNS: ClassVar[Sequence[Column[Any]]] = ()
    GIVE_WAY: ClassVar[Sequence[GiveWay]] = ()
    """In what order columns shrink or collapse when space runs short (``column_layout.fit``)."""
    DEFAULT_SORT: ClassVar[str | None] = None
    BINDINGS = bindings(Scope.TABLE)

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keyed-table--header",
        "keyed-table--cursor",
        "keyed-table--even-row",
        "keyed-table--odd-row",
    }
    DEFAULT_CSS = """
    KeyedTable {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .keyed-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .keyed-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .keyed-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .keyed-table--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .keyed-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .keyed-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class SortChanged(Message):
        def __init__(self, column: str, reverse: bool, table_id: str | None) -> None:
            super().__init__()
            self.column = column
            self.reverse = reverse
            self.table_id = table_id

    class ColumnsChanged(Message):
        def __init__(self, table_id: str | None, hidden: frozenset[str]) -> None:
            super().__init__()
            self.table_id = table_id
            self.hidden = hidden

    class ColumnsWanted(Message):
        """The user asked to choose this table's columns (the app opens the chooser)."""

        def __init__(self, table: KeyedTable[Any]) -> None:
            super().__init__()
            self.table = table

    class RowSelected(Message):
        """A row was double-clicked (enter is the screen's own binding)."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sort_column: str | None = self.DEFAULT_SORT
        self.sort_reverse = False
        self.hidden: frozenset[str] = frozenset()
        """Columns the user chose not to see (``choose_columns``)."""
        self._fitted_for: tuple[int, int, frozenset[str]] | None = None
        self._placed: list[Placed] = []
        self._columns: list[Column[Item]] = []
        self._widths: list[int] = []
        self._flex = next((c for c in self.COLUMNS if c.flex), None)
        self._longest = 0
        self._colliding: frozenset[str] = frozenset()
        self._line_width = 0
        self._source: list[Item] = []
        self._items: dict[str, Item] = {}
        self._order: list[str] = []
        self._cursor = 0
        self._now: datetime | None = None
        self._rendered: dict[str, _RenderedRow] = {}
        self._header = Strip.blank(0)

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

    @property
    def _available(self) -> int:
        """Cells for the columns: the table's width, less a vertical scrollbar's (kept free
        whether or not one shows, so that a growing list never re-fits the columns)."""
        width = self.size.width or self.app.size.width
        return max(0, width - self.styles.scrollbar_size_vertical)

    def _apply_layout(self) -> None:
        fitted_for = (self._available, self._longest, self.hidden)
        if fitted_for == self._fitted_for:
            return
        self._fitted_for = fitted_for
        shown = [column for column in self.COLUMNS if column.key not in self.hidden]
        self._placed = column_layout.fit(shown, self.GIVE_WAY, self._available, self._longest)
        self._columns = [placed.column for placed in self._placed]
        self._widths = [placed.width for placed in self._placed]
        self._line_width = sum(width + 2 * CELL_PADDING for width in self._widths)
        self._colliding = self._find_colliding()
        self._rendered.clear()
        self._build_header()
        self._resize_virtual()
        self.refresh()

    def _measure(self) -> None:
        """Re-fit when the longest identifying text changed; re-cut when names would collide."""
        flex = self._flex
        if flex is None or flex.text is None:
            return
        self._longest = max((len(flex.text(item)) for item in self._source), default=0)
        if (self._available, self._longest, self.hidden) != self._fitted_for:
            self._apply_layout()
            return
        colliding = self._find_colliding()
        if colliding != self._colliding:
            self._colliding = colliding
            self._rendered.clear()

    def _find_colliding(self) -> frozenset[str]:
        flex = self._flex
        if flex is None or flex.text is None or flex not in self._columns:
            return frozenset()
        width = self._widths[self._columns.index(flex)]
        return column_layout.colliding([flex.text(item) for item in self._source], width)

    def _resize_virtual(self) -> None:
        size = Size(self._line_width, len(self._order) + HEADER_LINES)
        if size != self.virtual_size:
            self.virtual_size = size

    def _label(self, column: Column[Item]) -> Text:
        """The column's name (its short one when the column shrank), and the sort arrow."""
        label = next((p.label for p in self._placed if p.column is column), column.label)
        if column.key != self.sort_column:
            return Text(label)
        return Text(label + (" ▼" if self.sort_reverse else " ▲"))  # the layout leaves room

    def _build_header(self) -> None:
        self._header = self._line([self._fit(column, self._label(column), width)
                                   for column, width in zip(self._columns, self._widths, strict=True)])

    # --- columns the user hides ------------------------------------------------------------------

    @property
    def optional_columns(self) -> list[Column[Item]]:
        """Those the user may hide: all but the identifying one and the unlabelled ones."""
        return [column for column in self.COLUMNS if not column.flex and column.label.strip()]

    def set_hidden(self, keys: frozenset[str] | set[str], *, announce: bool = True) -> None:
        hidden = frozenset(keys) & {column.key for column in self.optional_columns}
        if hidden == self.hidden:
            return
        self.hidden = hidden
        self._apply_layout()
        if announce:
            self.post_message(self.ColumnsChanged(self.id, hidden))

    def action_choose_columns(self) -> None:
        self.post_message(self.ColumnsWanted(self))

    def restore(self, preferences: Preferences) -> None:
        """The remembered sort and hidden columns (a column the table no longer has is ignored)."""
        keys = {column.key for column in self.COLUMNS}
        sort = preferences.sort.get(self.id or "")
        if sort is not None and sort.column in keys:
            self.sort_by(sort.column, sort.reverse, announce=False)
        self.set_hidden(set(preferences.hidden_columns.get(self.id or "", ())), announce=False)

    # --- sorting --------------------------------------------------------------------------------

    def sort_by(self, column: str, reverse: bool | None = None, *, announce: bool = True) -> None:
        if reverse is None:
            reverse = not self.sort_reverse if column == self.sort_column else False
        self.sort_column, self.sort_reverse = column, reverse
        self._build_header()
        if announce:
            self.post_message(self.SortChanged(column, reverse, self.id))
        if self._now is not None:
            self.show(self._source, self._now)

    @property
    def sort_title(self) -> str | None:
        """The sorted column's name as its header says it in full."""
        return next((c.label for c in self.COLUMNS if c.key == self.sort_column), None)

    def sort_next(self) -> None:
        keys = [c.key for c in self._columns if c.sort is not None]
        position = keys.index(self.sort_column) if self.sort_column in keys else -1
        self.sort_by(keys[(position + 1) % len(keys)], reverse=False)

    def _ordered(self, items: Sequence[Item]) -> list[Item]:
        column = next((c for c in self.COLUMNS if c.key == self.sort_column), None)
        if column is None or column.sort is None:
            return list(items)
        sort_key = column.sort
        ordered = sorted(items, key=self.tie_breaker)
        ordered.sort(key=lambda item: _none_last(sort_key(item)), reverse=self.sort_reverse)
        return ordered

    # --- the model ------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        return self._order[self._cursor] if self._order else None

    @property
    def shown_keys(self) -> list[str]:
        return list(self._order)

    def show(self, items: Sequence[Item], now: datetime, *, keep: str | None = None) -> None:
        """Make the table show ``items`` (sorted by the current column), keyed by ``item_key``.

        Only the model changes here; rows are built when Textual asks for the lines in view.
        """
        cursor = keep or self.cursor_key
        self._source, self._now = list(items), now
        self._measure()
        self._items = {self.item_key(item): item for item in self._ordered(self._source)}
        self._order = list(self._items)
        if len(self._rendered) > len(self._items):
            self._rendered = {key: row for key, row in self._rendered.items() if key in self._items}
        self._resize_virtual()
        # The cursor follows its item when the item moves; otherwise (the item left, deleted or
        # filtered out) it stays at the same height. The view scrolls only when the cursor's row
        # changed, so a refresh never pulls back a view the user scrolled away with the mouse.
        row = self._order.index(cursor) if cursor in self._items else self._cursor
        self.move_cursor(row, scroll=row != self._cursor)
        self.refresh()

    # --- the cursor -----------------------------------------------------------------------------

    @property
    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - HEADER_LINES)

    def move_cursor(self, row: int, *, scroll: bool = True) -> None:
        row = max(0, min(row, len(self._order) - 1))
        if row != self._cursor:
            self._cursor = row
            self.refresh()
        if not scroll:
            return
        top = round(self.scroll_y)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + self._body_height:
            self.scroll_to(y=row - self._body_height + 1, animate=False)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_cursor_page_down(self) -> None:
        self.move_cursor(self._cursor + self._body_height)

    def action_cursor_page_up(self) -> None:
        self.move_cursor(self._cursor - self._body_height)

    def action_scroll_top(self) -> None:
        self.move_cursor(0)

    def action_scroll_bottom(self) -> None:
        self.move_cursor(len(self._order) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y < HEADER_LINES:
            column = self._column_at(offset.x + round(self.scroll_x))
            if column is not None and column.sort is not None:
                self.sort_by(column.key)
            return
        row = round(self.scroll_y) + offset.y - HEADER_LINES
        if row >= len(self._order):
            return
        if event.chain >= 2 and row == self._cursor:  # a double click opens; one click selects
            self.post_message(self.RowSelected(self._order[row]))
        else:
            self.move_cursor(row)

    def _column_at(self, x: int) -> Column[Item] | None:
        left = 0
        for column, width in zip(self._columns, self._widths, strict=True):
            left += width + 2 * CELL_PADDING
            if x < left:
                return column
        return None

    # --- rendering ------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x = round(self.scroll_x)
        base = self.rich_style
        if y < HEADER_LINES:
            style = base + self.get_component_rich_style("keyed-table--header")
            return self._header.apply_style(style).crop_extend(scroll_x, scroll_x + width, style)
        row = round(self.scroll_y) + y - HEADER_LINES
        if row >= len(self._order) or self._now is None:
            return Strip.blank(width, base)
        if row == self._cursor:
            component = "keyed-table--cursor"
        else:
            component = "keyed-table--even-row" if row % 2 == 0 else "keyed-table--odd-row"
        style = base + self.get_component_rich_style(component)
        strip = self._row(self._order[row], self._now).apply_style(style)
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def _row(self, key: str, now: datetime) -> Strip:
        """The row's line, re-rendering only the cells whose value changed since it was built."""
        item = self._items[key]
        values = tuple(column.value(item, now) for column in self._columns)
        before = self._rendered.get(key)
        if before is not None and before.values == values:
            return before.strip
        cells = list(before.cells) if before is not None else [Text()] * len(values)
        for index, value in enumerate(values):
            if before is None or before.values[index] != value:
                column = self._columns[index]
                width = self._widths[index]
                cells[index] = self._fit(column, column.render(value, width), width)
        strip = self._line(cells)
        self._rendered[key] = _RenderedRow(values, cells, strip)
        return strip

    def _fit(self, column: Column[Item], content: Text | str, width: int) -> Text:
        cell = content.copy() if isinstance(content, Text) else Text(content)
        if column.flex and cell.cell_len > width:
            cut = column_layout.cut_middle if cell.plain in self._colliding else column_layout.cut_end
            cell = Text(cut(cell.plain, width), style=cell.style)
        cell.align(column.align, width)
        return cell

    def _line(self, cells: list[Text]) -> Strip:
        pad = " " * CELL_PADDING
        line = Text(end="", no_wrap=True)
        for cell in cells:
            line.append(pad)
            line.append_text(cell)
            line.append(pad)
        segments: list[Segment] = list(line.render(self.app.console))
        return Strip(segments, self._line_width)
