"""Dialogs: keys typed in one burst, asking before throwing a filled form away, problems in plain
words under their fields, a test that shows it runs before it shows what it found, and copying
over OSC 52."""

from __future__ import annotations

import asyncio
import base64

from textual import events
from textual.widgets import Input, Select, Static

from cts_tui.models import ApiType, ConnectionDraft, ExchangeId, TestResult
from cts_tui.tui.app import CtsApp
from cts_tui.tui.modals.confirm import ConfirmScreen
from cts_tui.tui.modals.connection_form import ConnectionForm
from cts_tui.tui.modals.copy_menu import CopyMenu
from cts_tui.tui.widgets.connections_pane import ConnectionsPane

from .conftest import static_app
from .static_backend import FIXED_NOW, StaticCoordinator, StaticStore

SIZE = (80, 24)


class HeldTests(StaticCoordinator):
    """Answers a draft test only when the test says so (no timing in the test)."""

    def __init__(self) -> None:
        super().__init__(3)
        self.answer = asyncio.Event()
        self.drafts: list[ConnectionDraft] = []

    async def test_draft(self, draft: ConnectionDraft) -> TestResult:
        self.drafts.append(draft)
        await self.answer.wait()
        return TestResult(connection_id="draft", success=True, balance=12.5, duration_ms=40,
                          log=["GET /api/v3/account 200"], tested_at=FIXED_NOW)


def _app() -> CtsApp:
    return CtsApp(HeldTests(), StaticStore(), clock=lambda: FIXED_NOW)


def _text(form: ConnectionForm, selector: str) -> str:
    return str(form.query_one(selector, Static).render())


async def _open_form(pilot) -> ConnectionForm:
    await pilot.press("a")
    form = pilot.app.screen
    assert isinstance(form, ConnectionForm)
    return form


async def test_keys_typed_in_one_burst_reach_their_fields() -> None:
    """As a password manager's auto-type sends them: every key in the queue before the first is
    handled (Pilot's press() waits after each key, which hid the bug)."""
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        form = await _open_form(pilot)
        form.query_one("#exchange", Select).value = ExchangeId.BINANCE
        form.query_one("#name", Input).focus()
        await pilot.pause()
        for key in [*"main", "tab", *"KEY1", "tab", *"SECRET2"]:
            event = events.Key(key, "\t" if key == "tab" else key)
            event.set_sender(app)
            app._driver.send_message(event)
        await pilot.pause()
        values = [form.query_one(f"#{field}", Input).value for field in ("name", "api_key", "api_secret")]
        assert values == ["main", "KEY1", "SECRET2"]


async def test_esc_asks_before_throwing_a_filled_form_away() -> None:
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        form = await _open_form(pilot)
        await pilot.press("escape")  # nothing typed: closes at once
        assert not isinstance(app.screen, ConnectionForm)

        form = await _open_form(pilot)
        form.query_one("#name", Input).focus()
        await pilot.press(*"keep me", "escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.screen is form and form.query_one("#name", Input).value == "keep me"
        await pilot.press("escape", "y")
        assert not isinstance(app.screen, (ConnectionForm, ConfirmScreen))


async def test_problems_show_in_plain_words_under_their_fields() -> None:
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        form = await _open_form(pilot)
        assert _text(form, "#form-error").startswith("To fill in: exchange, API type, name")
        assert not form.query_one("#name-error").display  # a new form is not a page of red
        form.query_one("#base_url", Input).value = "ftp://example.com"
        await pilot.pause()
        assert _text(form, "#base_url-error") == "Base URL must be an http(s) URL with a host."

        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ConnectionForm)
        assert _text(form, "#exchange-error") == "Choose the exchange."
        assert _text(form, "#name-error") == "Give the connection a name."
        assert _text(form, "#form-error") == "Fix what is marked above."
        form.query_one("#name", Input).value = "n" * 81
        await pilot.pause()
        assert _text(form, "#name-error") == "At most 80 characters."


async def test_the_test_output_shows_progress_then_the_result() -> None:
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        form = await _open_form(pilot)
        form.query_one("#exchange", Select).value = ExchangeId.BINANCE
        await pilot.pause()
        form.query_one("#api_type", Select).value = ApiType.SPOT
        for field, value in (("name", "main"), ("api_key", "k" * 16), ("api_secret", "s" * 16)):
            form.query_one(f"#{field}", Input).value = value
        await pilot.pause()
        form.query_one("#api_secret", Input).value = ""
        await pilot.press("ctrl+t")  # a draft that does not validate is answered in the box too
        output = form.query_one("#test-output", Static)
        assert output.display and str(output.render()) == "✖ Not tested: fix what is marked above first."
        assert not app.coordinator.drafts

        form.query_one("#api_secret", Input).value = "s" * 16
        await pilot.press("ctrl+t")
        assert str(output.render()).startswith("◌ Testing binance…")
        assert output.region.height > 0  # on screen, not only in the widget
        app.coordinator.answer.set()
        while not str(output.render()).startswith("2026-01-27"):
            await pilot.pause()
        assert "✔ OK in 40 ms · balance 12.50" in str(output.render())
        assert "GET /api/v3/account 200" in str(output.render())


async def test_y_copies_the_id_and_Y_offers_the_rest_by_osc_52() -> None:
    """The escape sequence the terminal turns into its clipboard, written to the terminal."""
    app = static_app()
    async with app.run_test(size=SIZE) as pilot:
        written: list[str] = []
        driver_write = app._driver.write

        def recording_write(data: str) -> None:
            written.append(data)
            driver_write(data)

        app._driver.write = recording_write
        await pilot.pause()
        view = app.screen.query_one(ConnectionsPane).current
        await pilot.press("y")
        assert _osc52(view.id) in "".join(written)
        assert f"Copied the id of {view.name}: {view.id}" in [n.message for n in app._notifications]

        await pilot.press("Y")
        assert isinstance(app.screen, CopyMenu)
        await pilot.press("u")
        assert _osc52(f"https://api.{view.exchange.value}.example") in "".join(written)
        assert not isinstance(app.screen, CopyMenu)


def _osc52(text: str) -> str:
    return f"\x1b]52;c;{base64.b64encode(text.encode()).decode()}\a"
