"""Rate limits (screen 2): per exchange, gauges of our per-second and per-minute budgets and of
the exchange's own window nearest its limit, concurrency, queue and status; enter opens every
window of the exchange under the cursor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.text import Text

from cts_tui.core.snapshots import ExchangeView
from cts_tui.capabilities import ExchangeId
from cts_tui.tui import format as fmt
from cts_tui.tui.actions import Scope, bindings
from cts_tui.tui.host import host
from cts_tui.tui.widgets.column_layout import drop, shrink
from cts_tui.tui.widgets.keyed_table import Column, KeyedTable, plain
from cts_tui.views.limits import ExchangeUsage, WindowUsage

FIGURES_WIDTH = 10
"""Room after a gauge's bar for its " used/limit" figures."""


def _window(usage: ExchangeUsage | None, *, minute: bool) -> WindowUsage | None:
    """The per-minute window (period of a minute or more) or the shortest per-second one."""
    if usage is None:
        return None
    windows = [w for w in usage.windows if (w.period_s >= 60) == minute]
    return min(windows, key=lambda w: w.period_s) if windows else None


def _gauge_value(view: ExchangeView, minute: bool) -> tuple[float, int, str] | None:
    window = _window(view.usage, minute=minute)
    return None if window is None else (round(window.used), window.limit, window.name)


def _gauge_cell(value: tuple[float, int, str] | None, width: int) -> Text:
    if value is None:
        return fmt.DASH
    used, limit, _name = value
    return fmt.gauge(used, limit, max(3, width - FIGURES_WIDTH))


def _tightest_value(view: ExchangeView, _now: datetime) -> tuple[float, int, str, str | None] | None:
    window = view.usage.tightest_by_exchange if view.usage is not None else None
    return None if window is None else (round(window.used), window.limit, window.label, window.part)


def fitted_name(label: str, part: str | None, room: int) -> str:
    """The whole label (``30s/pool futures``), else the instance alone (``futures``), else the
    instance cut: a path keeps its end, where endpoints differ (``…/balance``), a name its start."""
    for name in (label, part):
        if name is not None and len(name) <= room:
            return name
    name = part or label
    if room < 2:
        return name[:room]
    return "…" + name[len(name) - room + 1:] if "/" in name else name[:room - 1] + "…"


def _named_gauge_cell(value: tuple[float, int, str, str | None] | None, width: int) -> Text:
    """The window's name (shortened to what is left) before a short gauge of its fullest instance."""
    if value is None:
        return fmt.DASH
    used, limit, label, part = value
    bar = max(3, min(8, (width - FIGURES_WIDTH) // 3))
    room = max(1, width - FIGURES_WIDTH - bar - 1)
    text = Text(fitted_name(label, part, room), style="dim", no_wrap=True)
    text.pad_right(room - text.cell_len + 1)
    return text + fmt.gauge(used, limit, bar)


def status_value(view: ExchangeView, now: datetime) -> tuple[str, str]:
    """What holds requests back, most severe first: a ban, a pause, requests waiting in the
    queue, every concurrency slot taken, a window nearly full; "ok" only when nothing does."""
    usage = view.usage
    if usage is None:
        return ("no limiter", "dim")
    epoch = now.timestamp()
    words: list[str] = []
    style = "yellow"
    if usage.banned_until and usage.banned_until > epoch:
        words.append(f"banned {fmt.countdown(_at(usage.banned_until), now)}")
        style = "bold red"
    elif usage.paused_until and usage.paused_until > epoch:
        words.append(f"paused {fmt.countdown(_at(usage.paused_until), now)}")
    if waiting := sum(usage.queued):
        words.append(f"{waiting} queued")
    if usage.concurrent_limit and usage.concurrent_in_use >= usage.concurrent_limit:
        words.append("slots full")
    if usage.fraction >= 0.85:
        words.append("hot")
    return (", ".join(words), style) if words else ("ok", "green")


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _concurrency(view: ExchangeView, _now: datetime) -> str:
    usage = view.usage
    return "–" if usage is None else f"{usage.concurrent_in_use}/{usage.concurrent_limit}"


def _queue(view: ExchangeView, _now: datetime) -> tuple[int, int, int] | None:
    return None if view.usage is None else tuple(view.usage.queued)


def _queue_cell(value: tuple[int, int, int] | None, _width: int) -> Text:
    if value is None:
        return fmt.DASH
    high, normal, low = value
    return Text(f"{high}/{normal}/{low}", style="yellow" if any(value) else "dim")


def _fraction(view: ExchangeView) -> float:
    return view.usage.fraction if view.usage is not None else 0.0


COLUMNS: tuple[Column[ExchangeView], ...] = (
    Column("exchange", "Exchange", 10, 8, lambda v, _: v.exchange.value, plain,
           sort=lambda v: v.exchange.value, short="Exch."),
    Column("second", "Per second", 20, 13, lambda v, _: _gauge_value(v, False), _gauge_cell,
           sort=lambda v: (_window(v.usage, minute=False) or _NO_WINDOW).fraction),
    Column("minute", "Per minute", 22, 14, lambda v, _: _gauge_value(v, True), _gauge_cell,
           sort=lambda v: (_window(v.usage, minute=True) or _NO_WINDOW).fraction),
    Column("tightest", "Exchange's tightest window", 34, 23, _tightest_value, _named_gauge_cell,
           sort=lambda v: w.fraction if v.usage and (w := v.usage.tightest_by_exchange) else -1.0,
           short="Exchange window"),
    Column("concurrency", "Conc", 6, 5, _concurrency, plain, align="right"),
    Column("queue", "Queue H/N/L", 11, 8, _queue, _queue_cell, short="Queue"),
    Column("status", "Status", 24, 12, status_value,
           lambda v, _: Text(v[0], style=v[1], no_wrap=True, overflow="ellipsis"), sort=_fraction),
    Column("backend", "Backend", 8, None, lambda v, _: v.usage.backend if v.usage else "–", plain),
    Column("connections", "Conns", 7, None, lambda v, _: f"{v.active}/{v.connections}", plain,
           sort=lambda v: v.connections, align="right"),
    Column("rps", "Req/s", 6, None, lambda v, _: round(v.requests_per_s, 1), plain,
           sort=lambda v: v.requests_per_s, align="right"),
)

_NO_WINDOW: WindowUsage = WindowUsage(name="", period_s=0, used=0, limit=0)


class LimitsTable(KeyedTable[ExchangeView]):
    BINDINGS = [*KeyedTable.BINDINGS, *bindings(Scope.LIMITS)]
    COLUMNS = COLUMNS
    GIVE_WAY = (drop("backend"), drop("rps"), drop("connections"), shrink("second"), shrink("minute"),
                shrink("exchange"), shrink("concurrency"), shrink("queue"), drop("queue"), shrink("tightest"),
                drop("concurrency"), shrink("status"))
    """The queue's figures and the slots in use go before the status is cut: it says "N queued"
    and "slots full" too."""
    DEFAULT_SORT = "exchange"

    def item_key(self, item: ExchangeView) -> str:
        return item.exchange.value

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return (self.cursor_key is not None or None) if action == "open_limits" else True

    def action_open_limits(self) -> None:
        if (key := self.cursor_key) is not None:
            host(self).open_limits(ExchangeId(key))

    def on_keyed_table_row_selected(self, event: KeyedTable.RowSelected) -> None:
        event.stop()
        host(self).open_limits(ExchangeId(event.key))

    def tie_breaker(self, item: ExchangeView) -> Any:
        return item.exchange.value
