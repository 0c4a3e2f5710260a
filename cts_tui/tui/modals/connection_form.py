"""Add or edit a connection: exchange first, then only what that exchange offers.

Validation is the model's own (``ConnectionDraft`` / ``Connection.apply``), run on every change;
each reason shows in plain words under its field (``field_errors``) before save is pressed. "Test"
tries the draft against the exchange without storing anything, and says it is testing (with the
seconds counting) until the answer replaces it. esc on a form with changes asks first. Secrets
live only in password inputs and the model's ``SecretStr``; editing leaves them unchanged unless
new ones are typed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Checkbox, Collapsible, Footer, Input, Label, Select, Static

from cts_tui.capabilities import (
    DERIVATIVE_API_TYPES,
    HAS_TESTNET,
    SUPPORTED_API_TYPES,
    ApiType,
    ExchangeId,
    PassphrasePolicy,
    passphrase_policy,
)
from cts_tui.core.snapshots import ConnectionView
from cts_tui.errors import CtsError
from cts_tui.exchanges.hosts import base_url_in
from cts_tui.key_facts import IntendedUse
from cts_tui.models import Connection, ConnectionDraft, ConnectionPatch, MarginType, PositionMode, TestResult
from cts_tui.tui import format as fmt
from cts_tui.tui.host import host
from cts_tui.tui.messages import OperationDone
from cts_tui.tui.modals.confirm import ConfirmScreen
from cts_tui.tui.modals.field_errors import field_errors

DRAFT_FIELDS = set(ConnectionDraft.model_fields)
FIELDS_WITH_ERRORS = ("exchange", "api_type", "name", "api_key", "api_secret", "api_passphrase", "is_testnet",
                      "margin_type", "base_url", "tags")


class ConnectionForm(ModalScreen[ConnectionView | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+t", "test_draft", "Test", priority=True),
    ]

    class DraftTested(Message):
        def __init__(self, result: TestResult | None, error: str | None = None) -> None:
            super().__init__()
            self.result = result
            self.error = error

    class SaveFinished(Message):
        def __init__(self, view: ConnectionView | None, error: str | None = None) -> None:
            super().__init__()
            self.view = view
            self.error = error

    def __init__(self, existing: Connection | None,
                 hosts: Mapping[ExchangeId, Mapping[str, str]] | None = None) -> None:
        super().__init__()
        self.existing = existing
        self.hosts = hosts or {}
        """{real host: URL} per exchange (the demo's simulator): a new connection starts with the
        URL of its API type's host."""
        self._tried = False
        self._busy = False
        self._prefilled = ""
        self._initial: dict[str, Any] = {}
        self._test_started = 0.0
        self._test_ticker: Timer | None = None

    # --- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        existing = self.existing
        title = "Add a connection" if existing is None else f"Edit {existing.name}"
        keep = "unchanged (type to replace)" if existing else ""
        with Vertical(classes="dialog", id="form"):
            yield Label(title, id="form-title")
            with VerticalScroll(id="form-body"):
                yield from _row("Exchange", Select(
                    [(e.value, e) for e in ExchangeId], prompt="choose the exchange", id="exchange",
                    value=existing.exchange if existing else Select.NULL, disabled=existing is not None,
                    compact=True))
                yield from _row("API type", Select([], prompt="choose the API type", id="api_type", compact=True))
                yield from _row("Name", Input(existing.name if existing else "", id="name",
                                              placeholder="e.g. binance-main", compact=True))
                yield from _row("API key", Input(id="api_key", password=True, placeholder=keep, compact=True))
                yield from _row("API secret", Input(id="api_secret", password=True, placeholder=keep, compact=True))
                yield from _row("Passphrase", Input(id="api_passphrase", password=True, placeholder=keep,
                                                    compact=True), row_id="passphrase-row")
                yield from _row("", Checkbox("Testnet / demo trading", existing.is_testnet if existing else False,
                                             id="is_testnet", compact=True), row_id="testnet-row")
                yield from _row("Margin / mode", Select(
                    [(m.value, m) for m in MarginType], prompt="margin type", id="margin_type",
                    value=_or_null(existing.margin_type if existing else None), compact=True), Select(
                    [(p.value, p) for p in PositionMode], prompt="position mode", id="position_mode",
                    value=_or_null(existing.position_mode if existing else None), compact=True),
                    row_id="derivative-row")
                with Collapsible(title="Advanced", collapsed=True, id="advanced"):
                    yield from _row("Base URL", Input((existing.base_url or "") if existing else "", id="base_url",
                                                      placeholder="https://… (default: the exchange's)", compact=True))
                    yield from _row("Tags", Input(", ".join(existing.tags) if existing else "", id="tags",
                                                  placeholder="comma separated", compact=True))
                    yield from _row("Key use", Select(
                        [("monitor (read only)", IntendedUse.MONITOR), ("trade", IntendedUse.TRADE)],
                        id="intended_use", value=existing.intended_use if existing else IntendedUse.TRADE,
                        allow_blank=False, compact=True,
                    ))
                yield Static(id="test-output")
            yield Static(id="form-error")
            with Horizontal(classes="buttons"):
                yield Button("Test ^t", id="test")
                yield Button("Save ^s", variant="primary", id="save")
                yield Button("Cancel esc", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#test-output").display = False
        self._exchange_changed()
        self._initial = self._fields()
        self.query_one("#name" if self.existing else "#exchange").focus()

    # --- the form follows the exchange and API type ----------------------------------------------

    @property
    def exchange(self) -> ExchangeId | None:
        value = self.query_one("#exchange", Select).value
        return None if value is Select.NULL else value  # type: ignore[return-value]

    @property
    def api_type(self) -> ApiType | None:
        value = self.query_one("#api_type", Select).value
        return None if value is Select.NULL else value  # type: ignore[return-value]

    @on(Select.Changed, "#exchange")
    def _exchange_changed(self) -> None:
        exchange = self.exchange
        api_types = SUPPORTED_API_TYPES[exchange] if exchange else ()
        current = self.api_type or (self.existing.api_type if self.existing else None)
        select = self.query_one("#api_type", Select)
        select.set_options([(t.value, t) for t in api_types])
        if current in api_types:
            select.value = current
        elif len(api_types) == 1:
            select.value = api_types[0]
        policy = passphrase_policy(exchange) if exchange else PassphrasePolicy.NONE
        self.query_one("#passphrase-row").display = policy is not PassphrasePolicy.NONE
        label = "Passphrase*" if policy is PassphrasePolicy.REQUIRED else "Passphrase"
        self.query_one("#passphrase-row Label", Label).update(label)
        self.query_one("#testnet-row").display = exchange in HAS_TESTNET
        if exchange not in HAS_TESTNET:
            self.query_one("#is_testnet", Checkbox).value = False
        self._api_type_changed()

    def _prefill_base_url(self) -> None:
        """A new connection gets the URL of its API type's host, unless the user typed one."""
        if self.existing is not None:
            return
        field = self.query_one("#base_url", Input)
        if field.value not in ("", self._prefilled):
            return
        exchange = self.exchange
        self._prefilled = (base_url_in(self.hosts.get(exchange, {}), exchange, self.api_type) or "") if exchange else ""
        field.value = self._prefilled

    @on(Select.Changed, "#api_type")
    def _api_type_changed(self) -> None:
        self._prefill_base_url()
        derivative = self.api_type in DERIVATIVE_API_TYPES
        self.query_one("#derivative-row").display = derivative
        if not derivative:
            self.query_one("#margin_type", Select).clear()
            self.query_one("#position_mode", Select).clear()
        self._validate()

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed, "#margin_type, #position_mode")
    def _validate(self) -> bool:
        """Show each field's problem under it; True when the form can be saved. Before the first
        try, empty required fields are only listed (a new form is not a page of red)."""
        missing = self._missing()
        try:
            self._candidate()
        except ValidationError as exc:
            errors = field_errors(exc, missing)
        else:
            errors = {}
        shown = errors if self._tried else {f: e for f, e in errors.items() if f not in missing}
        for field in FIELDS_WITH_ERRORS:
            label = self.query_one(f"#{field}-error", Static)
            label.update(shown.get(field, ""))
            label.display = field in shown
        status = self.query_one("#form-error", Static)
        if "" in shown:
            status.update(Text(shown[""], style="bold red" if self._tried else "yellow"))
        elif missing and not self._tried:
            status.update(Text(f"To fill in: {', '.join(missing.values())}", style="dim"))
        elif errors:
            status.update(Text("Fix what is marked above.", style="bold red" if self._tried else "yellow"))
        else:
            status.update(Text("✔ ready to test or save", style="green"))
        return not errors

    def _missing(self) -> dict[str, str]:
        """Required fields still empty (field id -> its name), named plainly before the user has
        tried to save."""
        fields = self._fields()
        required = {"exchange": "exchange", "api_type": "API type", "name": "name"}
        if self.existing is None:
            required |= {"api_key": "API key", "api_secret": "API secret"}
            if self.exchange and passphrase_policy(self.exchange) is PassphrasePolicy.REQUIRED:
                required["api_passphrase"] = "passphrase"
        return {key: label for key, label in required.items() if not fields[key]}

    # --- building the draft / patch ---------------------------------------------------------------

    def _fields(self) -> dict[str, Any]:
        def text(widget_id: str) -> str:
            return self.query_one(f"#{widget_id}", Input).value.strip()

        def choice(widget_id: str) -> Any:
            value = self.query_one(f"#{widget_id}", Select).value
            return None if value is Select.NULL else value

        return {
            "name": text("name"),
            "exchange": self.exchange,
            "api_type": self.api_type,
            "api_key": text("api_key"),
            "api_secret": text("api_secret"),
            "api_passphrase": text("api_passphrase") or None,
            "is_testnet": self.query_one("#is_testnet", Checkbox).value,
            "margin_type": choice("margin_type"),
            "position_mode": choice("position_mode"),
            "base_url": text("base_url") or None,
            "tags": [tag.strip() for tag in text("tags").split(",") if tag.strip()],
            "intended_use": choice("intended_use"),
        }

    def _candidate(self) -> ConnectionDraft | tuple[ConnectionPatch, Connection]:
        """The validated draft (add) or patch plus the connection it would make (edit)."""
        fields = self._fields()
        if self.existing is None:
            return ConnectionDraft(**fields)
        existing = self.existing
        changes = {
            key: value for key, value in fields.items()
            if key != "exchange" and value != getattr(existing, key)
            and not (key.startswith("api_") and key != "api_type" and not value)
        }
        patch = ConnectionPatch(**changes)
        return patch, existing.apply(patch)

    def _draft(self) -> ConnectionDraft:
        candidate = self._candidate()
        if isinstance(candidate, ConnectionDraft):
            return candidate
        _, connection = candidate
        return ConnectionDraft(**{k: v for k, v in connection.model_dump().items() if k in DRAFT_FIELDS})

    # --- actions --------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        {"test": self.action_test_draft, "save": self.action_save, "cancel": self.action_cancel}[event.button.id or ""]()

    def action_cancel(self) -> None:
        """Close; what was typed is thrown away only once the user says so."""
        if self._fields() == self._initial:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("Discard what you typed in this form?", confirm="Discard"), answered)

    def action_test_draft(self) -> None:
        """The output box answers every press: a draft that does not validate says so there too
        (when keys typed in a burst were lost, the box stayed blank and only the status line,
        away from where the user looked, said why)."""
        self._tried = True
        if not self._validate():
            self._show_test_output(Text("✖ Not tested: fix what is marked above first.", style="bold red"))
            return
        self._show_test_output(Text(f"◌ Testing {self.exchange.value if self.exchange else ''}…", style="yellow"))
        self.call_after_refresh(self.query_one("#test-output").scroll_visible, animate=False)  # below the fold
        self._test_started = time.monotonic()
        if self._test_ticker is not None:
            self._test_ticker.stop()
        self._test_ticker = self.set_interval(1.0, self._tick_test)
        self._run_test(self._draft())

    def _tick_test(self) -> None:
        """Progress that visibly moves: a slow exchange is told apart from a stuck screen."""
        seconds = time.monotonic() - self._test_started
        self._show_test_output(Text(f"◌ Testing {self.exchange.value if self.exchange else ''}… {seconds:.0f} s",
                                    style="yellow"))

    def _show_test_output(self, content: Text) -> None:
        output = self.query_one("#test-output", Static)
        output.display = True
        output.update(content)

    @work(group="form", exclusive=True)
    async def _run_test(self, draft: ConnectionDraft) -> None:
        try:
            result = await host(self).coordinator.test_draft(draft)
        except CtsError as exc:
            self.post_message(self.DraftTested(None, str(exc)))
            return
        self.post_message(self.DraftTested(result))

    def on_connection_form_draft_tested(self, message: DraftTested) -> None:
        if self._test_ticker is not None:
            self._test_ticker.stop()
            self._test_ticker = None
        if message.result is None:
            self._show_test_output(Text(f"✖ {message.error}", style="bold red"))
            return
        self._show_test_output(Text("\n").join(fmt.test_lines(message.result)))

    def action_save(self) -> None:
        if self._busy:
            return
        self._tried = True
        if not self._validate():
            return
        candidate = self._candidate()
        self._busy = True
        self.query_one("#form-error", Static).update(Text("Saving…", style="dim"))
        self._save(candidate)

    @work(group="form")
    async def _save(self, candidate: ConnectionDraft | tuple[ConnectionPatch, Connection]) -> None:
        coordinator = host(self).coordinator
        try:
            if isinstance(candidate, ConnectionDraft):
                view = await coordinator.add_connection(candidate, "tui")
            else:
                patch, connection = candidate
                view = await coordinator.update_connection(connection.id, patch, "tui")
        except CtsError as exc:
            self.post_message(self.SaveFinished(None, str(exc)))
            return
        self.post_message(self.SaveFinished(view))

    def on_connection_form_save_finished(self, message: SaveFinished) -> None:
        self._busy = False
        if message.view is None:
            self.query_one("#form-error", Static).update(Text(message.error or "", style="bold red"))
            return
        verb = "added" if self.existing is None else "saved"
        self.app.post_message(OperationDone(f"{message.view.name} {verb}"))
        self.dismiss(message.view)


def _row(label: str, *widgets: Any, row_id: str | None = None) -> ComposeResult:
    """A labelled line, with its fields' problems in plain words under it."""
    with Vertical(classes="field", id=row_id):
        with Horizontal(classes="form-row"):
            yield Label(label, classes="form-label")
            yield from widgets
        for widget in widgets:
            if widget.id in FIELDS_WITH_ERRORS:
                yield Static(classes="field-error", id=f"{widget.id}-error")


def _or_null(value: object | None) -> object:
    return Select.NULL if value is None else value
