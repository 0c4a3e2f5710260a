"""The app driven by keys (Pilot) against the real coordinator, store and simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Button, Checkbox, Input, Select, Static

from cts_tui.core.runtime import Runtime
from cts_tui.models import ApiType, ConnectionDraft, ConnectionState, ExchangeId
from cts_tui.tui.app import CtsApp
from cts_tui.tui.modals.batch import BatchScreen
from cts_tui.tui.modals.confirm import ConfirmScreen
from cts_tui.tui.modals.connection_form import ConnectionForm
from cts_tui.tui.screens.detail import DetailScreen
from cts_tui.tui.screens.help import HelpScreen
from cts_tui.tui.widgets.connections_pane import ConnectionsPane
from cts_tui.tui.widgets.connections_table import ConnectionsTable

SIZE = (120, 36)


async def until(predicate: Callable[[], bool], pilot, timeout: float = 8.0) -> None:
    """Let the app run until ``predicate()`` holds (the outcome under test, not a timing)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await pilot.pause(0.05)


def table(app: CtsApp) -> ConnectionsTable:
    return app.screen.query_one(ConnectionsTable)


def state_of(runtime: Runtime, connection_id: str) -> ConnectionState:
    return runtime.coordinator.get_connection(connection_id).state


async def test_empty_store_explains_how_to_add_a_connection(live_app: CtsApp) -> None:
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pane = live_app.screen.query_one(ConnectionsPane)
        assert pane.has_class("-empty")
        help_text = str(pane.query_one("#empty-help", Static).render())
        assert "Press" in help_text and "--demo" in help_text
        assert not table(live_app).display


async def test_adding_a_connection_in_the_form_stores_it_encrypted(
    live_app: CtsApp, runtime: Runtime, sim, tmp_path: Path
) -> None:
    account = sim.account("binance", "main")
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        form = live_app.screen
        assert isinstance(form, ConnectionForm)
        form.query_one("#exchange", Select).value = ExchangeId.BINANCE
        await pilot.pause()
        assert [value for _, value in form.query_one("#api_type", Select)._options if value != Select.NULL] == [
            ApiType.SPOT, ApiType.PERPETUAL_FUTURES, ApiType.FUTURES, ApiType.MARGIN]
        assert not form.query_one("#passphrase-row").display
        form.query_one("#api_type", Select).value = ApiType.SPOT
        form.query_one("#name", Input).value = "binance-from-tui"
        form.query_one("#api_key", Input).value = account.api_key
        form.query_one("#api_secret", Input).value = account.secret
        form.query_one("#base_url", Input).value = sim.base_url("binance")
        await pilot.press("ctrl+s")
        await until(lambda: not isinstance(live_app.screen, ConnectionForm), pilot)
        await until(lambda: table(live_app).row_count == 1, pilot)

    stored = [c for c in await runtime.store.list() if c.name == "binance-from-tui"]
    assert len(stored) == 1
    assert stored[0].api_secret.get_secret_value() == account.secret
    raw = (tmp_path / "cts.sqlite").read_bytes()
    assert account.secret.encode() not in raw and account.api_key.encode() not in raw


async def test_the_add_form_starts_at_the_injected_base_url_unless_one_was_typed(runtime: Runtime, sim) -> None:
    """In the demo a connection added by hand points at the simulator without typing its URL."""
    app = CtsApp(runtime.coordinator, runtime.store, hosts={
        ExchangeId.BINANCE: sim.hosts("binance"), ExchangeId.OKX: sim.hosts("okx")})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        form = app.screen
        base_url = form.query_one("#base_url", Input)
        form.query_one("#exchange", Select).value = ExchangeId.BINANCE
        await pilot.pause()
        assert base_url.value == sim.base_url("binance")
        form.query_one("#api_type", Select).value = ApiType.PERPETUAL_FUTURES  # another host: its twin
        await pilot.pause()
        assert base_url.value == sim.base_url("binance", "fapi.binance.com")
        form.query_one("#exchange", Select).value = ExchangeId.OKX
        await pilot.pause()
        assert base_url.value == sim.base_url("okx")
        form.query_one("#exchange", Select).value = ExchangeId.KRAKEN  # not simulated here: the real host
        await pilot.pause()
        assert base_url.value == ""
        base_url.value = "https://typed.example"
        form.query_one("#exchange", Select).value = ExchangeId.BINANCE
        await pilot.pause()
        assert base_url.value == "https://typed.example"


async def test_form_validates_inline_and_offers_only_what_the_exchange_has(live_app: CtsApp) -> None:
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        form = live_app.screen
        form.query_one("#exchange", Select).value = ExchangeId.OKX
        await pilot.pause()
        assert form.query_one("#passphrase-row").display
        assert form.query_one("#testnet-row").display
        form.query_one("#api_type", Select).value = ApiType.PERPETUAL_FUTURES
        form.query_one("#name", Input).value = "okx"
        form.query_one("#api_key", Input).value = "k" * 16
        form.query_one("#api_secret", Input).value = "s" * 16
        await pilot.pause()
        assert form.query_one("#derivative-row").display
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(form.query_one("#api_passphrase-error", Static).render())
        assert error == "This exchange's keys have a passphrase: paste it."  # under the field, in plain words
        assert isinstance(live_app.screen, ConnectionForm)  # nothing saved, the form stays

        form.query_one("#exchange", Select).value = ExchangeId.COINBASE
        await pilot.pause()
        assert form.query_one("#api_type", Select).value == ApiType.SPOT  # its only API type
        assert not form.query_one("#testnet-row").display
        assert not form.query_one("#derivative-row").display
        assert not form.query_one("#is_testnet", Checkbox).value
        await pilot.press("escape", "y")  # the filled form is thrown away once confirmed
        assert not isinstance(live_app.screen, ConnectionForm)
    assert live_app.coordinator.get_all_connections() == []


async def test_test_before_saving_shows_the_result_and_its_log(live_app: CtsApp, sim) -> None:
    account = sim.account("kraken", "main")
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        form = live_app.screen
        form.query_one("#exchange", Select).value = ExchangeId.KRAKEN
        await pilot.pause()
        form.query_one("#api_type", Select).value = ApiType.SPOT
        form.query_one("#name", Input).value = "kraken-draft"
        form.query_one("#api_key", Input).value = account.api_key
        form.query_one("#api_secret", Input).value = account.secret[::-1]  # wrong secret
        form.query_one("#base_url", Input).value = sim.base_url("kraken")
        await pilot.press("ctrl+t")
        output = form.query_one("#test-output", Static)
        await until(lambda: "auth" in str(output.render()), pilot)
        assert account.secret not in str(output.render())
    assert live_app.coordinator.get_all_connections() == []


async def test_t_tests_the_connection_under_the_cursor(live_app: CtsApp, runtime: Runtime, draft) -> None:
    view = await runtime.coordinator.add_connection(draft("htx", enabled=False), "cli")
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert live_app.coordinator.get_connection(view.id).last_test is None
        await pilot.press("t")
        await until(lambda: live_app.coordinator.get_connection(view.id).last_test is not None, pilot)
        assert live_app.coordinator.get_connection(view.id).last_test.success


async def test_space_enables_and_disables(live_app: CtsApp, runtime: Runtime, draft) -> None:
    view = await runtime.coordinator.add_connection(draft("pionex", enabled=False), "cli")
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await until(lambda: state_of(runtime, view.id) is ConnectionState.ACTIVE, pilot)
        await pilot.press("space")
        await until(lambda: state_of(runtime, view.id) is ConnectionState.DISABLED, pilot)


async def test_shift_p_pauses_and_resumes(live_app: CtsApp, runtime: Runtime, draft) -> None:
    view = await runtime.coordinator.add_connection(draft("pionex"), "cli")  # tested: active
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.press("P")
        await until(lambda: state_of(runtime, view.id) is ConnectionState.PAUSED, pilot)
        await until(lambda: "paused" in table(live_app).render_line(1).text, pilot)
        await pilot.press("P")
        await until(lambda: state_of(runtime, view.id) is ConnectionState.ACTIVE, pilot)


async def test_x_deletes_only_after_confirmation(live_app: CtsApp, runtime: Runtime, draft) -> None:
    await runtime.coordinator.add_connection(draft("binance", enabled=False), "cli")
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        assert isinstance(live_app.screen, ConfirmScreen)
        await pilot.press("n")
        assert len(runtime.coordinator.get_all_connections()) == 1
        await pilot.press("x", "y")
        await until(lambda: not runtime.coordinator.get_all_connections(), pilot)
        await until(lambda: live_app.screen.query_one(ConnectionsPane).has_class("-empty"), pilot)


async def test_batch_test_of_marked_connections_shows_each_result(
    live_app: CtsApp, runtime: Runtime, draft
) -> None:
    ok = await runtime.coordinator.add_connection(draft("binance", name="a-ok", enabled=False), "cli")
    bad = await runtime.coordinator.add_connection(
        draft("kraken", name="b-bad", enabled=False, api_secret="wrong-secret-AAAA"), "cli")
    await runtime.coordinator.add_connection(draft("htx", name="c-unmarked", enabled=False), "cli")
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("m", "m", "b")  # mark the first two rows (sorted by name)
        batch = live_app.screen
        assert isinstance(batch, BatchScreen)
        assert sorted(batch.chosen) == sorted([ok.id, bad.id])
        await pilot.click("#start")
        await until(lambda: batch.finished, pilot)
        results = batch.query_one("#batch-results")
        assert results.row_count == 2
        summary = str(batch.query_one("#batch-summary", Static).render())
        assert "1 successful" in summary and "1 failed" in summary
        await pilot.press("escape")
        assert not isinstance(live_app.screen, BatchScreen)


async def test_batch_larger_than_one_request_runs_in_consecutive_batches(
    live_app: CtsApp, runtime: Runtime, draft
) -> None:
    runtime.coordinator.config.batch.max_per_request = 2
    for index, exchange in enumerate(("binance", "htx", "kraken")):
        await runtime.coordinator.add_connection(draft(exchange, name=f"n{index}", enabled=False), "cli")
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("b")
        batch = live_app.screen
        assert isinstance(batch, BatchScreen) and len(batch.chosen) == 3  # "All"
        await pilot.click("#start")
        await until(lambda: batch.finished, pilot)
        summary = str(batch.query_one("#batch-summary", Static).render())
        assert summary.startswith("Done: 3 successful, 0 failed of 3")
        assert batch.query_one("#batch-results").row_count == 3
        assert batch.query_one("#batch-progress").percentage == 1
    for view in runtime.coordinator.get_all_connections():
        assert view.last_test is not None and view.last_test.success


async def test_cancel_stops_every_remaining_batch(live_app: CtsApp, runtime: Runtime, draft, sim) -> None:
    runtime.coordinator.config.batch.max_per_request = 1
    for index in range(3):
        await runtime.coordinator.add_connection(draft("binance", name=f"slow{index}", enabled=False), "cli")
    await sim.set_fault("binance", latency_ms=300)
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("b")
        batch = live_app.screen
        await pilot.click("#start")
        await until(lambda: batch.job is not None, pilot)
        first = batch.job
        await pilot.press("escape")
        await until(lambda: batch.finished, pilot)
        summary = str(batch.query_one("#batch-summary", Static).render())
        assert summary.startswith("Cancelled:")
        assert batch.job is first  # no later batch was started
    tested = [v for v in runtime.coordinator.get_all_connections() if v.last_test is not None]
    assert len(tested) <= 1


async def test_filter_and_sort_keep_the_cursor_on_the_same_connection(
    live_app: CtsApp, runtime: Runtime, draft
) -> None:
    for exchange, name in (("binance", "zeta"), ("htx", "alpha"), ("kraken", "mid")):
        await runtime.coordinator.add_connection(draft(exchange, name=name, enabled=False), "cli")
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        grid = table(live_app)
        names = lambda: [runtime.coordinator.get_connection(k).name for k in grid.shown_keys]  # noqa: E731
        assert names() == ["alpha", "mid", "zeta"]
        await pilot.press("G")  # cursor on "zeta"
        zeta = grid.cursor_key
        await pilot.press("S")  # reverse the sort
        assert names() == ["zeta", "mid", "alpha"]
        assert grid.cursor_key == zeta
        await pilot.press("s")  # next column: exchange
        assert grid.sort_column == "exchange"
        assert grid.cursor_key == zeta

        await pilot.press("slash", *"kra", "enter")
        assert names() == ["mid"]
        await pilot.press("escape")
        assert len(names()) == 3


async def test_filter_by_state_choice(live_app: CtsApp, runtime: Runtime, draft) -> None:
    await runtime.coordinator.add_connection(draft("binance", name="on"), "cli")
    await runtime.coordinator.add_connection(draft("htx", name="off", enabled=False), "cli")
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        live_app.screen.query_one("#filter-state", Select).value = ConnectionState.DISABLED
        await pilot.pause()
        grid = table(live_app)
        assert [runtime.coordinator.get_connection(k).name for k in grid.shown_keys] == ["off"]


async def test_pause_freezes_the_screen_until_resumed(live_app: CtsApp, runtime: Runtime, draft) -> None:
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        assert live_app.paused
        await runtime.coordinator.add_connection(draft("binance", enabled=False), "cli")
        await pilot.pause(live_app.refresh_interval * 1.5)
        assert table(live_app).row_count == 0
        await pilot.press("p")
        await until(lambda: table(live_app).row_count == 1, pilot)


async def test_refresh_interval_keys(live_app: CtsApp) -> None:
    async with live_app.run_test(size=SIZE) as pilot:
        assert live_app.refresh_interval == 1.0
        await pilot.press("minus")
        assert live_app.refresh_interval == 2.0
        await pilot.press("plus", "plus")
        assert live_app.refresh_interval == 0.5
        await pilot.press(*["minus"] * 9)  # past the ceiling and back: round figures only
        assert live_app.refresh_interval == 60.0
        await pilot.press(*["plus"] * 3)
        assert live_app.refresh_interval == 5.0


async def test_dialog_hints_and_help_scrolling(live_app: CtsApp, runtime: Runtime, draft) -> None:
    await runtime.coordinator.add_connection(draft("binance", enabled=False), "cli")
    async with live_app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "1 connection " in str(live_app.screen.query_one("#connections-status").render()) + " "
        await pilot.press("x")
        labels = [str(button.label) for button in live_app.screen.query(Button)]
        assert any("[y]" in label for label in labels) and any("[n]" in label for label in labels)
        await pilot.press("n", "question_mark")
        scroller = live_app.screen.query_one("#help")
        await pilot.press("j", "j", "j")
        assert scroller.scroll_y > 0
        await pilot.press("k", "k", "k")
        assert scroller.scroll_y == 0


async def test_tabs_detail_help_and_back(live_app: CtsApp, runtime: Runtime, draft) -> None:
    view = await runtime.coordinator.add_connection(draft("binance"), "cli")
    await runtime.coordinator.test_connection(view.id)
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        assert live_app.screen.active_tab == "limits"
        await pilot.press("3")
        assert live_app.screen.active_tab == "health"
        await pilot.press("1", "enter")
        detail = live_app.screen
        assert isinstance(detail, DetailScreen)
        log = detail.query_one("#test-log")
        await until(lambda: any("OK" in line.text for line in log.lines), pilot)
        assert view.api_key_masked in live_app.export_screenshot().replace("&#160;", " ")
        await pilot.press("escape")
        assert not isinstance(live_app.screen, DetailScreen)
        await pilot.press("question_mark")
        assert isinstance(live_app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(live_app.screen, HelpScreen)


async def test_palette_offers_every_action_of_the_screen(live_app: CtsApp, runtime: Runtime, draft) -> None:
    await runtime.coordinator.add_connection(draft("binance", enabled=False), "cli")
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = {command.title for command in live_app.get_system_commands(live_app.screen)}
        for expected in ("Add connection  (a)", "Batch test  (b)", "Test connection  (t)",
                         "Pause / resume  (p)", "Rate limits  (2)", "Filter  (/)"):
            assert expected in titles
        await pilot.press("ctrl+p")  # the palette lists them all (titles are markup there)
        await until(lambda: isinstance(live_app.screen, CommandPalette), pilot)
        await pilot.pause(0.3)
        shown = live_app.export_screenshot().replace("&#160;", " ")
        assert "Filter  (/)" in shown and "Add connection  (a)" in shown
        await pilot.press(*"batch", "enter")
        await until(lambda: isinstance(live_app.screen, BatchScreen), pilot)


async def test_q_quits_cleanly(live_app: CtsApp) -> None:
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert live_app.return_code == 0


async def test_edit_renames_and_keeps_the_keys(live_app: CtsApp, runtime: Runtime, draft) -> None:
    view = await runtime.coordinator.add_connection(draft("binance", name="before", enabled=False), "cli")
    secret_before = runtime.coordinator.connection_model(view.id).api_secret.get_secret_value()
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        form = live_app.screen
        assert isinstance(form, ConnectionForm)
        assert form.query_one("#api_secret", Input).value == ""  # never shown, not even masked
        form.query_one("#name", Input).value = "after"
        await pilot.press("ctrl+s")

        await until(lambda: runtime.coordinator.get_connection(view.id).name == "after", pilot)
    model = runtime.coordinator.connection_model(view.id)
    assert model.api_secret.get_secret_value() == secret_before


def test_drafts_in_tests_are_valid(draft) -> None:
    assert isinstance(draft("binance"), ConnectionDraft)
