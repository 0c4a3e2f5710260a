"""The virtual keyed table on its own: rows built only when in view, cells only when changed,
the cursor kept on its item, sorting and mouse selection."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

import pytest
from textual import events
from textual.app import App, ComposeResult

from cts_tui.tui.widgets.keyed_table import Column, KeyedTable

from .conftest import static_app
from .static_backend import FIXED_NOW

SIZE = (120, 24)


@dataclass(frozen=True)
class Thing:
    id: str
    name: str
    size: int


CALLS: Counter[str] = Counter()


def _size_value(thing: Thing, _now: datetime) -> int:
    CALLS["value"] += 1
    return thing.size


def _size_cell(size: int, _width: int) -> str:
    CALLS["render"] += 1
    return f"{size:,}"


class ThingTable(KeyedTable[Thing]):
    COLUMNS = (
        Column("name", "Name", 12, 12, lambda t, _: t.name, lambda n, _: n, sort=lambda t: t.name),
        Column("size", "Size", 8, 8, _size_value, _size_cell, sort=lambda t: t.size, align="right"),
    )
    DEFAULT_SORT = "name"


class TableApp(App[None]):
    def __init__(self, things: list[Thing]) -> None:
        super().__init__()
        self.things = things
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield ThingTable(id="things")

    def on_mount(self) -> None:
        self.query_one(ThingTable).show(self.things, FIXED_NOW)

    def on_keyed_table_row_selected(self, message: KeyedTable.RowSelected) -> None:
        self.selected.append(message.key)


@pytest.fixture(autouse=True)
def _count_from_zero() -> None:
    CALLS.clear()


def things(count: int) -> list[Thing]:
    return [Thing(f"t{i:04d}", f"thing {i:04d}", i * 10) for i in range(count)]


def lines(table: KeyedTable[Thing]) -> list[str]:
    return [table.render_line(y).text.rstrip() + " " for y in range(table.size.height)]


def screen_text(app: App[None]) -> str:
    return app.export_screenshot().replace("&#160;", " ")


async def test_only_the_rows_in_view_are_built() -> None:
    app = TableApp(things(1000))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(ThingTable)
        assert table.row_count == 1000
        in_view = SIZE[1] - 1  # one line is the header
        assert 0 < CALLS["render"] <= in_view
        CALLS.clear()
        await pilot.press("G")
        await pilot.pause()
        assert table.cursor_key == "t0999"
        assert "thing 0999" in screen_text(app) and "thing 0000" not in screen_text(app)
        assert 0 < CALLS["render"] <= in_view


async def test_a_refresh_renders_only_changed_cells_and_keeps_the_cursor_on_its_item() -> None:
    items = things(30)
    app = TableApp(items)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ThingTable)
        await pilot.press("j", "j")
        assert table.cursor_key == "t0002"
        table.sort_by("size", reverse=True)
        await pilot.pause()
        assert table.cursor_key == "t0002" and table.cursor_row == 27

        CALLS.clear()
        changed = [replace(t, size=35) if t.id == "t0003" else t for t in items]  # the row above
        table.show(changed, FIXED_NOW)
        await pilot.pause()
        assert CALLS["render"] == 1  # one cell changed in view: one cell rendered
        assert any(line.endswith("  35 ") for line in lines(table))

        table.show([t for t in changed if t.id != "t0002"], FIXED_NOW)  # the cursor's item left
        assert table.cursor_row == 27 and table.cursor_key == "t0001"


async def test_header_click_sorts_a_click_selects_a_row_and_a_double_click_opens_it() -> None:
    app = TableApp(things(5))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ThingTable)
        await pilot.click(ThingTable, offset=(16, 0))  # the "Size" header
        assert table.sort_column == "size" and not table.sort_reverse
        await pilot.click(ThingTable, offset=(16, 0))
        assert table.sort_reverse
        assert table.shown_keys[0] == "t0004"
        assert "Size ▼" in screen_text(app)

        await pilot.click(ThingTable, offset=(2, 3))  # the third row
        assert table.cursor_key == "t0002" and app.selected == []
        await pilot.click(ThingTable, offset=(2, 3))  # a click on the selected row is only a click
        assert app.selected == []
        await pilot.double_click(ThingTable, offset=(2, 4))
        assert table.cursor_key == "t0001" and app.selected == ["t0001"]  # the fourth row


async def test_the_wheel_scrolls_the_rows() -> None:
    app = TableApp(things(200))
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ThingTable)
        await pilot.pause()
        for _ in range(3):
            table.post_message(events.MouseScrollDown(table, 2, 2, 0, 0, 0, False, False, False))
        await pilot.pause()
        assert round(table.scroll_y) > 0 and table.cursor_key == "t0000"


async def test_figures_are_right_aligned_under_their_header() -> None:
    app = TableApp([Thing("a", "a", 5), Thing("b", "b", 123_456)])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(ThingTable)
        header, first, second = (table.render_line(y).text for y in range(3))
        end = header.index("Size") + len("Size")
        assert first[:end].endswith(" 5") and second[:end].endswith("123,456")


async def test_a_refresh_leaves_a_view_scrolled_away_from_the_cursor() -> None:
    items = things(200)
    app = TableApp(items)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(ThingTable)
        table.scroll_to(y=150, animate=False)  # the mouse wheel, say
        await pilot.pause()
        table.show(items, FIXED_NOW)
        await pilot.pause()
        assert round(table.scroll_y) == 150 and table.cursor_key == "t0000"
        await pilot.press("j")  # a key brings the cursor back into view
        assert round(table.scroll_y) == 1


async def test_in_the_app_a_double_click_on_a_connection_opens_its_detail() -> None:
    from cts_tui.tui.screens.detail import DetailScreen
    from cts_tui.tui.widgets.connections_table import ConnectionsTable

    app = static_app()
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one(ConnectionsTable)
        await pilot.click(ConnectionsTable, offset=(5, 3))  # the third connection
        third = table.shown_keys[2]
        assert table.cursor_key == third and not isinstance(app.screen, DetailScreen)
        await pilot.double_click(ConnectionsTable, offset=(5, 3))
        assert isinstance(app.screen, DetailScreen) and app.screen.connection_id == third
