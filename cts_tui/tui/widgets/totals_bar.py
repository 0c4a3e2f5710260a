"""The header line: totals across every connection, and whether the screen is live."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from cts_tui.core.snapshots import Totals
from cts_tui.tui import format as fmt


def totals_text(totals: Totals, *, paused: bool, interval_s: float, demo: bool, width: int) -> Text:
    """One line; on a narrow terminal the words shorten so the figures always fit."""
    short = width < 100
    gap = " " if short else "  "
    text = Text()
    text.append(" cts-tui ", style="bold reverse")
    if demo:
        text.append(" DEMO ", style="bold black on yellow")
    text.append(" ")
    parts = (
        (f"{totals.connections}", " conn" if short else " connections", ""),
        (f"{totals.active}", " active", "green"),
        (f"{totals.healthy}", " healthy", "green"),
        (f"{totals.errors}", " err" if short else " errors", "red" if totals.errors else ""),
    )
    for figure, label, style in parts:
        text.append(figure, style=f"bold {style}".strip())
        text.append(label + gap)
    text.append_text(fmt.pct_text(totals.success_rate))
    text.append(" ok" + gap)
    text.append(f"{totals.requests_per_s:.1f}", style="bold")
    text.append(" req/s" + gap)
    if paused:
        text.append(" ‖ PAUSED ", style="bold black on yellow")
    else:
        text.append(f"● {'' if short else 'live '}{interval_s:g}s", style="green")
    return text


class TotalsBar(Static):
    def show(self, totals: Totals, *, paused: bool, interval_s: float, demo: bool) -> None:
        # One line high by CSS: no layout pass (a reflow redraws the whole screen every second).
        self.update(totals_text(totals, paused=paused, interval_s=interval_s, demo=demo,
                                width=self.app.size.width), layout=False)
