"""Health (screen 3): per connection its state, score, latency percentiles, success, breaker (or
"suspect" when unanswered requests opened it), hedged reads sent/won."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text

from cts_tui.core.snapshots import ConnectionView
from cts_tui.tui import format as fmt
from cts_tui.tui.widgets.connections_table import STATE_ORDER
from cts_tui.tui.widgets.column_layout import drop, shrink
from cts_tui.tui.widgets.keyed_table import Column, KeyedTable, any_width, plain

SPARK_POINTS = 8
"""Recent latencies in the row's sparkline (the detail view shows more)."""


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value)


def _breaker_value(view: ConnectionView, now: datetime) -> tuple[str, str, bool]:
    return (view.breaker, fmt.countdown(view.breaker_until, now) if view.breaker == "open" else "", view.suspect)


def _breaker_cell(value: tuple[str, str, bool], _width: int) -> Text:
    """A breaker that suspicion opened (requests unanswered) says "suspect"."""
    state, left, suspect = value
    label = ("suspect" if suspect else state.replace("_", "-")) + (f" {left}" if left else "")
    return Text(label, style=fmt.BREAKER_STYLE.get(state, ""))


def _hedges_cell(value: tuple[int, int], _width: int) -> Text:
    """Reads hedged elsewhere / won by the hedge (column "Hedge": sent/won)."""
    sent, won = value
    return Text(f"{sent}/{won}", style="yellow") if sent else Text("–", style="dim")


def _errors_cell(count: int, _width: int) -> Text:
    return Text(str(count), style="bold red" if count >= 3 else "yellow" if count else "dim")


def _spark_value(view: ConnectionView, _now: datetime) -> tuple[int, ...]:
    return tuple(round(v) for v in view.latency_history[-SPARK_POINTS:])


COLUMNS: tuple[Column[ConnectionView], ...] = (
    Column("name", "Name", 14, 14, lambda v, _: v.name, lambda n, _: Text(n, no_wrap=True, overflow="ellipsis"),
           sort=lambda v: v.name.lower(), text=lambda v: v.name),
    Column("exchange", "Exchange", 8, None, lambda v, _: v.exchange.value, plain,
           sort=lambda v: v.exchange.value),
    Column("state", "State", 19, 11, lambda v, _: (v.state, fmt.health_word(v)),
           lambda value, width: fmt.state_text(*value, room=width), sort=lambda v: STATE_ORDER[v.state]),
    Column("score", "Score", 5, 5, lambda v, _: round(v.health_score), any_width(fmt.score_text),
           sort=lambda v: v.health_score, align="right"),
    Column("p50", "p50", 7, 6, lambda v, _: _rounded(v.p50_ms), any_width(fmt.ms_text), sort=lambda v: v.p50_ms,
           align="right"),
    Column("p95", "p95", 7, 6, lambda v, _: _rounded(v.p95_ms), any_width(fmt.ms_text), sort=lambda v: v.p95_ms,
           align="right"),
    Column("success", "OK %", 6, 6, lambda v, _: v.success_rate and round(v.success_rate, 1),
           any_width(fmt.pct_text), sort=lambda v: v.success_rate, align="right"),
    Column("uptime", "Uptime", 6, None, lambda v, _: v.uptime_pct and round(v.uptime_pct, 1),
           any_width(fmt.pct_text), sort=lambda v: v.uptime_pct, align="right"),
    Column("errors", "Err", 3, 3, lambda v, _: v.consecutive_errors, _errors_cell,
           sort=lambda v: v.consecutive_errors, align="right"),
    Column("breaker", "Breaker", 10, 9, _breaker_value, _breaker_cell, sort=lambda v: v.breaker),
    Column("hedges", "Hedge", 5, None, lambda v, _: (v.hedges_sent, v.hedges_won), _hedges_cell,
           sort=lambda v: v.hedges_sent, align="right"),
    Column("latency", "Latency", SPARK_POINTS, None, _spark_value,
           lambda values, width: fmt.sparkline(values, width)),
)


class HealthTable(KeyedTable[ConnectionView]):
    COLUMNS = COLUMNS
    GIVE_WAY = (drop("hedges"), drop("latency"), drop("uptime"), shrink("p50"), shrink("p95"), shrink("breaker"),
                drop("exchange"), shrink("state"), drop("p50"), drop("errors"))
    DEFAULT_SORT = "score"

    def tie_breaker(self, item: ConnectionView) -> Any:
        return (item.name.lower(), item.id)
