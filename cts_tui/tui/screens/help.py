"""The ? screen: every key, generated from the actions registry."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from cts_tui.tui.actions import ACTIONS, Scope


def help_table() -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=False)
    table.add_column(style="bold cyan", no_wrap=True, min_width=9)
    table.add_column()
    for scope in Scope:
        table.add_row(Text(scope.value, style="bold underline"), "")
        for spec in ACTIONS:
            if spec.scope is scope:
                table.add_row(spec.key_display, spec.help)
        table.add_row("", "")
    table.add_row(Text("Anywhere", style="bold underline"), "")
    table.add_row("ctrl+p", "Command palette: search every action, switch theme")
    table.add_row("tab", "Move focus; the mouse works too (click tabs, headers to sort)")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
        Binding("j", "scroll('down')", "Down", show=False),
        Binding("k", "scroll('up')", "Up", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="help"):
            yield Static(Text("Keys", style="bold"), id="help-title")
            yield Static(help_table())
        yield Footer()

    def action_scroll(self, direction: str) -> None:
        scroller = self.query_one("#help", VerticalScroll)
        (scroller.scroll_down if direction == "down" else scroller.scroll_up)()
