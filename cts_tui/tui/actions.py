"""Every user action, declared once: its keys, its name, and where it applies.

The key bindings, the command palette (ctrl+p) and the help screen (?) are all generated from
this table, so a key can never exist without being listed in help, nor a palette entry drift
from what the key does.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from textual.binding import Binding, BindingType


class Scope(StrEnum):
    """Where an action is bound: the whole app, the connections tab, or any table."""

    APP = "Everywhere"
    CONNECTIONS = "Connections"
    DETAIL = "Connection detail"
    LIMITS = "Rate limits"
    TABLE = "Tables"


@dataclass(frozen=True, slots=True)
class ActionSpec:
    action: str
    keys: str
    """Comma-separated Textual key names; the first is the one shown."""
    title: str
    help: str
    scope: Scope
    footer: bool = False
    palette: bool = True
    """Whether the command palette offers it (movement keys are not commands)."""
    priority: bool = False
    """Bound even when a text input has focus (only ctrl+c: quitting must always work)."""
    word: str = ""
    """The footer's one word for it (every footer key, p and q included, must fit 80 columns)."""

    @property
    def key_display(self) -> str:
        shown = {"question_mark": "?", "slash": "/", "plus": "+", "minus": "-", "space": "space",
                 "enter": "enter", "escape": "esc", "equals_sign": "="}
        return " ".join(shown.get(k, k) for k in self.keys.split(","))


ACTIONS: tuple[ActionSpec, ...] = (
    # Everywhere
    ActionSpec("show_tab('connections')", "1", "Connections", "Show the connections list", Scope.APP),
    ActionSpec("show_tab('limits')", "2", "Rate limits", "Show per-exchange rate-limit gauges", Scope.APP),
    ActionSpec("show_tab('health')", "3", "Health", "Show health, latency and alerts", Scope.APP),
    ActionSpec("help", "question_mark", "Help", "List every key", Scope.APP, footer=True, word="Help"),
    ActionSpec("toggle_pause", "p", "Pause / resume", "Pause or resume live updates", Scope.APP, footer=True,
               word="Pause"),
    ActionSpec("faster", "plus,equals_sign", "Refresh faster", "Halve the refresh interval", Scope.APP),
    ActionSpec("slower", "minus", "Refresh slower", "Double the refresh interval", Scope.APP),
    ActionSpec("next_theme", "T", "Next theme", "Cycle themes (ansi uses the terminal's palette)", Scope.APP),
    ActionSpec("quit", "q", "Quit", "Leave cts-tui", Scope.APP, footer=True, word="Quit"),
    ActionSpec("quit", "ctrl+c", "Quit", "Leave cts-tui (works inside inputs too)", Scope.APP,
               palette=False, priority=True),
    # Connections tab
    ActionSpec("open_detail", "enter", "Details", "Open the connection under the cursor", Scope.CONNECTIONS),
    ActionSpec("filter", "slash", "Filter", "Filter by text, exchange, API type or state", Scope.CONNECTIONS,
               footer=True, word="Filter"),
    ActionSpec("add", "a", "Add connection", "Add a connection", Scope.CONNECTIONS, footer=True, word="Add"),
    ActionSpec("edit", "e", "Edit connection", "Edit the connection under the cursor", Scope.CONNECTIONS),
    ActionSpec("delete", "x", "Delete connection", "Delete the connection under the cursor (asks first)", Scope.CONNECTIONS),
    ActionSpec("toggle_enabled", "space", "Enable / disable", "Enable or disable the connection under the cursor", Scope.CONNECTIONS),
    ActionSpec("test", "t", "Test connection", "Test the connection under the cursor", Scope.CONNECTIONS, footer=True,
               word="Test"),
    ActionSpec("batch_test", "b", "Batch test", "Test the marked, filtered or all connections", Scope.CONNECTIONS,
               footer=True, word="Batch"),
    ActionSpec("toggle_paused", "P", "Pause / resume connection",
               "Pause the connection under the cursor (out of rotation, not checked) or resume it",
               Scope.CONNECTIONS),
    ActionSpec("copy_id", "y", "Copy id", "Copy the id of the connection under the cursor (works over SSH)",
               Scope.CONNECTIONS),
    ActionSpec("copy_menu", "Y", "Copy…", "Copy its name, last error or base URL", Scope.CONNECTIONS),
    ActionSpec("toggle_mark", "m", "Mark / unmark", "Mark the row for a batch test and move down", Scope.CONNECTIONS),
    ActionSpec("mark_all", "M", "Mark all / none", "Mark every shown row, or clear the marks", Scope.CONNECTIONS),
    ActionSpec("sort_next", "s", "Sort by next column", "Sort by the next column", Scope.CONNECTIONS),
    ActionSpec("sort_reverse", "S", "Reverse sort", "Reverse the sort order", Scope.CONNECTIONS),
    ActionSpec("clear_filter", "escape", "Clear filter", "Clear the filter and marks", Scope.CONNECTIONS, palette=False),
    # Connection detail
    ActionSpec("back", "escape", "Back", "Close the detail view", Scope.DETAIL, footer=True, palette=False,
               word="Back"),
    ActionSpec("test", "t", "Test connection", "Test this connection", Scope.DETAIL, footer=True, word="Test"),
    ActionSpec("edit", "e", "Edit connection", "Edit this connection", Scope.DETAIL, footer=True, word="Edit"),
    ActionSpec("toggle_paused", "P", "Pause / resume connection", "Pause this connection or resume it",
               Scope.DETAIL),
    ActionSpec("copy_id", "y", "Copy id", "Copy this connection's id (works over SSH)", Scope.DETAIL),
    ActionSpec("copy_menu", "Y", "Copy…", "Copy its name, last error or base URL", Scope.DETAIL),
    # Rate limits tab
    ActionSpec("open_limits", "enter", "Exchange windows",
               "Open every window of the exchange under the cursor, each pool and endpoint", Scope.LIMITS),
    # Any table
    ActionSpec("cursor_down", "j,down", "Down", "Move down", Scope.TABLE, palette=False),
    ActionSpec("cursor_up", "k,up", "Up", "Move up", Scope.TABLE, palette=False),
    ActionSpec("cursor_page_down", "pagedown", "Page down", "Move down a screen", Scope.TABLE, palette=False),
    ActionSpec("cursor_page_up", "pageup", "Page up", "Move up a screen", Scope.TABLE, palette=False),
    ActionSpec("scroll_top", "g,home", "Top", "Go to the first row", Scope.TABLE, palette=False),
    ActionSpec("scroll_bottom", "G,end", "Bottom", "Go to the last row", Scope.TABLE, palette=False),
    ActionSpec("choose_columns", "c", "Columns", "Choose which columns the table shows (remembered)", Scope.TABLE,
               palette=False),
)


def specs(scope: Scope) -> list[ActionSpec]:
    return [spec for spec in ACTIONS if spec.scope is scope]


def bindings(scope: Scope) -> list[BindingType]:
    return [
        Binding(spec.keys, spec.action, spec.word or spec.title, show=spec.footer, priority=spec.priority,
                key_display=spec.key_display.split(" ")[0], tooltip=spec.help)
        for spec in specs(scope)
    ]
