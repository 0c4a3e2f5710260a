"""The alert log under the health table: every time an alert fired or resolved."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import RichLog

from cts_tui.core.snapshots import Alert


def alert_line(alert: Alert) -> Text:
    firing = alert.state == "firing"
    line = Text()
    line.append(alert.at.strftime("%H:%M:%S "), style="dim")
    line.append("▲ FIRING  " if firing else "▼ resolved", style="bold red" if firing else "green")
    line.append(f" {alert.rule}", style="bold")
    line.append(f" · {alert.subject}", style="cyan")
    if alert.message:
        line.append(f" — {alert.message}")
    return line


class AlertLog(RichLog):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=500, wrap=False, markup=False, auto_scroll=True)

    def add(self, alerts: Iterable[Alert]) -> None:
        for alert in alerts:
            self.write(alert_line(alert))
