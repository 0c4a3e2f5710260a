"""What the app keeps between runs (theme, refresh interval, sort, columns), and what it says
when its config file changes."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import SelectionList

from cts_tui.config import load_config
from cts_tui.core.runtime import open_runtime
from cts_tui.tui.app import CtsApp
from cts_tui.tui.modals.columns import ColumnsScreen
from cts_tui.tui.widgets.connections_table import ConnectionsTable

from .static_backend import FIXED_NOW, StaticCoordinator, StaticStore
from .test_flows import until

SIZE = (120, 36)


def _app(preferences: Path) -> CtsApp:
    return CtsApp(StaticCoordinator(24), StaticStore(), clock=lambda: FIXED_NOW, preferences_path=preferences)


async def test_preferences_survive_a_restart(tmp_path: Path) -> None:
    preferences = tmp_path / "state" / "tui.json"
    first = _app(preferences)
    async with first.run_test(size=SIZE) as pilot:
        await pilot.press("T", "plus", "s", "S", "c")  # theme, faster, sort by the next column, reversed
        assert isinstance(first.screen, ColumnsScreen)
        first.screen.query_one(SelectionList).highlighted = 0  # the first optional column: Exchange
        await pilot.press("space", "escape")
        chosen = (first.theme, first.refresh_interval)
        table = first.screen.query_one(ConnectionsTable)
        sort = (table.sort_column, table.sort_reverse)
        assert table.hidden == {"exchange"} and sort == ("exchange", True)
    assert json.loads(preferences.read_text())["hidden_columns"] == {"connections-table": ["exchange"]}

    again = _app(preferences)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = again.screen.query_one(ConnectionsTable)
        assert (again.theme, again.refresh_interval) == chosen != ("textual-dark", 1.0)
        assert (table.sort_column, table.sort_reverse) == sort
        assert table.hidden == {"exchange"} and "Exchange" not in table.render_line(0).text


async def test_an_unreadable_preferences_file_means_the_defaults(tmp_path: Path) -> None:
    preferences = tmp_path / "tui.json"
    preferences.write_text("{not json")
    app = _app(preferences)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert (app.theme, app.refresh_interval) == ("textual-dark", 1.0)


async def test_a_changed_config_file_is_applied_and_named(tmp_path: Path) -> None:
    path = tmp_path / "cts.yaml"
    path.write_text("ui:\n  refresh_interval_s: 1\n")
    async with open_runtime(load_config(path), tmp_path / "cts.sqlite") as runtime:
        app = CtsApp(runtime.coordinator, runtime.store)
        async with app.run_test(size=SIZE) as pilot:
            path.write_text("ui:\n  refresh_interval_s: 5\n  theme: nord\n")
            await runtime.coordinator.reload_config(path, "file")  # what the file watch calls
            await until(lambda: app.refresh_interval == 5.0, pilot)
            assert app.theme == "nord"
            notices = [n.message for n in app._notifications]
            assert any(m.startswith("Changed: ") and "ui.refresh_interval_s" in m and "ui.theme" in m
                       for m in notices), notices

            path.write_text("ui: [not, a, mapping]\n")
            await runtime.coordinator.parts.config_watch.reload_quietly(path, "file")
            await until(lambda: any("ui" in n.message and n.title.startswith("Config not reloaded")
                                    for n in app._notifications), pilot)
            assert app.config.ui.refresh_interval_s == 5.0
