"""The header line: totals across every connection, which process on the store runs the
scheduled checks, how many processes share the rate-limit budgets, and whether the screen is
live."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from cts_tui.core.snapshots import SchedulerView, Snapshot, Totals
from cts_tui.views.fleet import Fleet
from cts_tui.tui import format as fmt


LIVE_MARK_WIDTH = 16
"""Room kept for the live (or paused) mark at the end of the line."""


def totals_text(
    totals: Totals,
    *,
    paused: bool,
    interval_s: float,
    demo: bool,
    width: int,
    scheduler: SchedulerView | None = None,
    fleet: Fleet | None = None,
) -> Text:
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
    if scheduler is not None and (scheduler.here or scheduler.holder):
        text.append_text(_scheduler_text(scheduler, short))
        text.append(gap)
    if fleet is not None and fleet.members:
        headline = fleet.headline()
        if short or len(text.plain) + len(headline) + LIVE_MARK_WIDTH > width:
            headline = f"{len(fleet.members)}p/{fleet.hosts}h"  # processes/hosts sharing the budgets
        text.append(headline, style="cyan")
        text.append(gap)
    if paused:
        text.append(" ‖ PAUSED ", style="bold black on yellow")
    else:
        text.append(f"● {'' if short else 'live '}{interval_s:g}s", style="green")
    return text


def _scheduler_text(scheduler: SchedulerView, short: bool) -> Text:
    """Who runs the scheduled checks: here, or which other process (a second TUI on the
    store shows results it did not fetch, and should say so)."""
    if scheduler.here:
        return Text("chk:here" if short else "checks: this process", style="dim")
    holder = scheduler.describe()
    if short:  # "serve pid 4242 on host" -> "chk:serve/4242"
        kind, _, rest = holder.partition(" pid ")
        return Text(f"chk:{kind}/{rest.split(' ')[0]}", style="cyan")
    return Text(f"checks: {holder}", style="cyan")


class TotalsBar(Static):
    def show(self, snapshot: Snapshot, *, paused: bool, interval_s: float, demo: bool) -> None:
        # One line high by CSS: no layout pass (a reflow redraws the whole screen every second).
        self.update(totals_text(snapshot.totals, paused=paused, interval_s=interval_s, demo=demo,
                                width=self.app.size.width, scheduler=snapshot.scheduler,
                                fleet=snapshot.fleet), layout=False)
