"""The alert log under the health table: every time an alert fired or resolved, each once.

The core names a connection's alert by "exchange/id" and repeats rule and subject in its
message (webhooks need them); a line here says the rule, the connection's name, and only what
the message adds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rich.text import Text
from textual.widgets import RichLog

from cts_tui.core.snapshots import Alert, Snapshot

MAX_LINES = 500


def subject_name(subject: str, snapshot: Snapshot | None) -> str:
    """A connection's name for "exchange/id" (while it exists); an exchange's name as is."""
    exchange, _, connection_id = subject.partition("/")
    if not connection_id or snapshot is None:
        return subject
    view = snapshot.connection(connection_id)
    return view.name if view is not None else subject


def alert_detail(alert: Alert) -> str:
    """What the message says beyond the rule and the subject ('' when nothing)."""
    return alert.message.removeprefix(f"{alert.rule}: {alert.subject}").strip()


def alert_line(alert: Alert, snapshot: Snapshot | None = None) -> Text:
    firing = alert.state == "firing"
    line = Text()
    line.append(alert.at.strftime("%H:%M:%S "), style="dim")
    line.append("▲ FIRING  " if firing else "▼ resolved", style="bold red" if firing else "green")
    line.append(f" {alert.rule}", style="bold")
    line.append(f" · {subject_name(alert.subject, snapshot)}", style="cyan")
    if detail := alert_detail(alert):
        line.append(f" — {detail}")
    return line


class AlertLog(RichLog):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, max_lines=MAX_LINES, wrap=False, markup=False, auto_scroll=True)
        self._written: deque[Alert] = deque(maxlen=MAX_LINES)
        """The alerts shown: one logged before the screen read the log and announced after
        arrives both ways, and is written once."""

    def add(self, alerts: Iterable[Alert], snapshot: Snapshot | None = None) -> None:
        for alert in alerts:
            if alert in self._written:
                continue
            self._written.append(alert)
            self.write(alert_line(alert, snapshot))
