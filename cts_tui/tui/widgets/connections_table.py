"""The connection list (screen 1): one row per connection, marks for batch tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from rich.text import Text

from cts_tui.core.snapshots import ConnectionView, TestSummary
from cts_tui.models import ApiType, ConnectionState
from cts_tui.tui import format as fmt
from cts_tui.tui.widgets.column_layout import drop, shrink
from cts_tui.tui.widgets.keyed_table import Column, KeyedTable, any_width, plain

API_TYPE_LABEL = {
    ApiType.SPOT: "spot",
    ApiType.PERPETUAL_FUTURES: "perpetual",
    ApiType.FUTURES: "futures",
    ApiType.MARGIN: "margin",
    ApiType.UNIFIED: "unified",
}
STATE_ORDER = {state: index for index, state in enumerate(ConnectionState)}


class ConnectionRow(NamedTuple):
    view: ConnectionView
    marked: bool


def _last_test_value(row: ConnectionRow, now: datetime) -> tuple[Any, ...] | None:
    test = row.view.last_test
    if test is None:
        return None
    kind = test.error_kind.value if test.error_kind else None
    return (test.success, kind, fmt.age(test.at, now, ago=""))


def _last_test_cell(value: tuple[Any, ...] | None, _width: int) -> Text:
    """The age first and aligned, so a long error kind is what gets cut, never the age."""
    if value is None:
        return Text("never", style="dim")
    success, kind, age = value
    if success:
        return Text(f"✔ {age:>3}", style="green")
    return Text(f"✖ {age:>3} {kind or 'failed'}", style="red", overflow="ellipsis")


def _last_test_sort(row: ConnectionRow) -> datetime | None:
    test: TestSummary | None = row.view.last_test
    return test.at if test else None


def _state_value(row: ConnectionRow, _now: datetime) -> tuple[ConnectionState, str | None]:
    return (row.view.state, fmt.health_word(row.view))


def _state_cell(value: tuple[ConnectionState, str | None], width: int) -> Text:
    state, health = value
    return fmt.state_text(state, health, room=width)


def _risk_value(row: ConnectionRow, _now: datetime) -> tuple[str | None, bool, bool]:
    """(worst severity, read yet, everything reported)."""
    key = row.view.key
    if key is None:
        return (None, False, False)
    read = key.profile is not None
    return (key.worst.value if key.worst else None, read, read and key.unknown is None)


def _risk_sort(row: ConnectionRow) -> int:
    key = row.view.key
    return -(key.worst.rank if key is not None and key.worst else 0)


def _name_cell(value: tuple[str, bool], _width: int) -> Text:
    name, enabled = value
    return Text(name, style="" if enabled else "dim", overflow="ellipsis", no_wrap=True)


COLUMNS: tuple[Column[ConnectionRow], ...] = (
    Column("mark", " ", 1, 1, lambda r, _: r.marked, lambda m, _: Text("✓" if m else " ", style="bold cyan")),
    Column("name", "Name", 14, 14, lambda r, _: (r.view.name, r.view.enabled), _name_cell,
           sort=lambda r: r.view.name.lower(), text=lambda r: r.view.name),
    Column("exchange", "Exchange", 8, 8, lambda r, _: r.view.exchange.value, plain,
           sort=lambda r: r.view.exchange.value, short="Exch."),
    Column("api_type", "API type", 9, None, lambda r, _: API_TYPE_LABEL[r.view.api_type], plain,
           sort=lambda r: r.view.api_type.value),
    Column("testnet", "Net", 4, None, lambda r, _: r.view.is_testnet,
           lambda t, _: Text("test", style="magenta") if t else Text("main", style="dim"),
           sort=lambda r: r.view.is_testnet),
    Column("state", "State", 19, 11, _state_value, _state_cell, sort=lambda r: STATE_ORDER[r.view.state]),
    Column("risk", "Risk", 6, 1, _risk_value, lambda v, width: fmt.risk_text(v[0], v[1], v[2], width=width), sort=_risk_sort,
           short="!"),
    Column("score", "Score", 5, 5, lambda r, _: round(r.view.health_score), any_width(fmt.score_text),
           sort=lambda r: r.view.health_score, align="right"),
    Column("latency", "Latency", 8, 6, lambda r, _: _rounded(r.view.latency_ms), any_width(fmt.ms_text),
           sort=lambda r: r.view.latency_ms, short="Lat.", align="right"),
    Column("last_test", "Last test", 19, 9, _last_test_value, _last_test_cell, sort=_last_test_sort),
    Column("balance", "Balance", 10, 8, lambda r, _: _rounded(r.view.balance, 2),
           lambda balance, width: fmt.balance_text(balance, width=width), sort=lambda r: r.view.balance,
           align="right"),
)


def _rounded(value: float | None, digits: int = 0) -> float | None:
    return None if value is None else round(value, digits)


class ConnectionsTable(KeyedTable[ConnectionRow]):
    COLUMNS = COLUMNS
    GIVE_WAY = (drop("api_type"), drop("testnet"), shrink("last_test"), shrink("balance"), shrink("latency"),
                shrink("exchange"), shrink("risk"), drop("balance"), drop("last_test"), drop("latency"),
                shrink("state"), drop("exchange"))
    DEFAULT_SORT = "name"

    def item_key(self, item: ConnectionRow) -> str:
        return item.view.id

    def tie_breaker(self, item: ConnectionRow) -> Any:
        return (item.view.name.lower(), item.view.id)
