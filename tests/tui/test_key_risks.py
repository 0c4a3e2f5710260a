"""The key risks on screen, on the real coordinator against the simulator: the Risk column of
screen 1, the Key section of the detail, and the key's intended use set in the edit form."""

from __future__ import annotations

from textual.widgets import Select, Static

from cts_tui.core.runtime import Runtime
from cts_tui.key_facts import IntendedUse
from cts_tui.tui.app import CtsApp
from cts_tui.tui.modals.connection_form import ConnectionForm
from cts_tui.tui.screens.detail import DetailScreen

from .test_flows import table, until


def screen_row(app: CtsApp, name: str) -> str:
    """The line of screen 1's table that shows ``name``, as the terminal would show it."""
    shown = table(app)
    lines = (shown.render_line(y).text for y in range(shown.size.height))
    return next((line for line in lines if name in line), "")


async def test_a_risky_key_shows_in_the_list_and_its_fix_in_the_detail(live_app: CtsApp, runtime: Runtime,
                                                                       draft, sim_key) -> None:
    sim_key("binance", permissions=frozenset({"read", "trade", "withdraw"}))
    view = await runtime.coordinator.add_connection(draft("binance"), source="cli")
    async with live_app.run_test(size=(120, 36)) as pilot:
        await until(lambda: "⚠ high" in screen_row(live_app, view.name), pilot)
        await pilot.press("enter")
        await until(lambda: isinstance(live_app.screen, DetailScreen), pilot)
        key = str(live_app.screen.query_one("#key-facts", Static).render())
        assert "the key may withdraw funds" in key
        assert "fix: edit the key in Binance's API key management and turn withdrawals off" in key

        await pilot.press("e")
        await until(lambda: isinstance(live_app.screen, ConnectionForm), pilot)
        live_app.screen.query_one("#intended_use", Select).value = IntendedUse.MONITOR
        await pilot.press("ctrl+s")
        await until(lambda: runtime.coordinator.connection_model(view.id).intended_use is IntendedUse.MONITOR, pilot)
        await until(lambda: "a monitor key with permissions beyond reading: futures, margin, trade, withdraw" in str(
            live_app.screen.query_one("#key-facts", Static).render()), pilot)
