"""Market streams in the TUI: the panel under the health table, its one-line form on a short
terminal, and the stream rows of a connection's detail (fixed snapshots, driven by Pilot)."""

from __future__ import annotations

import dataclasses
import io

from rich.console import Console
from textual.widgets import Label, Static

from cts_tui.tui.screens.detail import DetailScreen
from cts_tui.tui.widgets.streams_table import StreamsPanel, StreamsTable
from cts_tui.views.streams import StreamState

from .conftest import static_app

WIDE, SHORT = (120, 36), (80, 24)


def _text(renderable: object) -> str:
    console = Console(width=200, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


async def test_the_health_tab_lists_every_stream_troubled_ones_first() -> None:
    app = static_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("3")
        await pilot.pause()
        panel = app.screen.query_one(StreamsPanel)
        table = panel.query_one(StreamsTable)
        assert panel.has_class("-streaming") and table.display
        assert table.shown_keys[:2] == ["binance", "kraken"] and table.row_count == 9

        coordinator = app.coordinator
        snapshot = coordinator.snapshot()
        recovered = tuple(dataclasses.replace(s, state=StreamState.LIVE) if s.exchange == "binance" else s
                          for s in snapshot.streams)
        coordinator.push(dataclasses.replace(snapshot, streams=recovered))
        app.refresh_now()
        await pilot.pause()
        assert table.shown_keys[0] == "kraken" and "binance" in table.shown_keys[1:]


async def test_a_short_terminal_gets_one_summary_line() -> None:
    app = static_app()
    async with app.run_test(size=SHORT) as pilot:
        await pilot.press("3")
        await pilot.pause()
        panel = app.screen.query_one(StreamsPanel)
        assert not panel.query_one(StreamsTable).display
        summary = _text(panel.query_one(Label).content)
        assert "7/9 live" in summary and "binance ‖ stalled" in summary and "kraken ↻ reconnecting" in summary


async def test_without_streams_the_panel_stays_hidden() -> None:
    app = static_app()
    async with app.run_test(size=WIDE) as pilot:
        app.coordinator.push(dataclasses.replace(app.coordinator.snapshot(), streams=()))
        app.refresh_now()
        await pilot.press("3")
        await pilot.pause()
        panel = app.screen.query_one(StreamsPanel)
        assert not panel.has_class("-streaming") and panel.region.height == 0


async def test_the_detail_shows_its_exchanges_stream() -> None:
    app = static_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("j", "j", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DetailScreen) and screen.view is not None
        stream = app.coordinator.snapshot().stream(screen.view.exchange)
        facts = _text(screen.query_one("#health", Static).content)
        assert f"market stream    {'‖ stalled' if stream.state is StreamState.STALLED else '● live'}" in facts
        assert "stream lateness" in facts and "last message" in facts
