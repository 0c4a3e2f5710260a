"""Y: copy one of a connection's texts (id, name, last error, base URL) to the clipboard.

Copying goes through OSC 52 (``App.copy_to_clipboard``): the terminal sets its own clipboard,
so it works over SSH, where the machine running the app has no clipboard of the user's. Nothing
secret is ever offered: the key shows only masked, and the secret and passphrase not at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from cts_tui.core.snapshots import ConnectionView

PREVIEW = 48
"""Characters of each text the menu shows (the whole text is copied)."""


@dataclass(frozen=True, slots=True)
class CopyChoice:
    key: str
    what: str
    text: str | None
    """None: nothing to copy (no error yet, no base URL of its own)."""


def copy_choices(view: ConnectionView, base_url: str | None) -> list[CopyChoice]:
    error = view.last_error or (view.last_test.error if view.last_test else None)
    return [
        CopyChoice("i", "id", view.id),
        CopyChoice("n", "name", view.name),
        CopyChoice("e", "last error", error),
        CopyChoice("u", "base URL", base_url),
    ]


def _option(choice: CopyChoice) -> Option:
    line = Text()
    line.append(f"{choice.key}  ", style="bold cyan")
    line.append(f"{choice.what:<12}")
    if choice.text is None:
        line.append("none", style="dim")
    else:
        shown = choice.text if len(choice.text) <= PREVIEW else f"{choice.text[:PREVIEW - 1]}…"
        line.append(shown, style="dim")
    return Option(line, id=choice.key, disabled=choice.text is None)


class CopyMenu(ModalScreen[CopyChoice | None]):
    """Dismissed with the choice to copy, or None."""

    BINDINGS = [
        Binding("i", "choose('i')", "id"),
        Binding("n", "choose('n')", "name"),
        Binding("e", "choose('e')", "error"),
        Binding("u", "choose('u')", "URL"),
        Binding("escape", "dismiss(None)", "Close"),
    ]

    def __init__(self, view: ConnectionView, base_url: str | None) -> None:
        super().__init__()
        self.title_text = f"Copy from {view.name}"
        self.choices = {choice.key: choice for choice in copy_choices(view, base_url)}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="copy-menu"):
            yield Label(self.title_text, id="copy-title")
            yield OptionList(*(_option(choice) for choice in self.choices.values()), id="copy-options")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_choose(self, key: str) -> None:
        choice = self.choices[key]
        if choice.text is not None:
            self.dismiss(choice)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_choose(event.option.id or "")
