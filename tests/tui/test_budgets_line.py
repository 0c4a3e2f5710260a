"""Screen 2's line on where the rate-limit budgets are counted and who shares them; the header's
fleet headline."""

from __future__ import annotations

from datetime import UTC, datetime

from cts_tui.core.snapshots import Totals
from cts_tui.tui.screens.main import _budgets_line, _fleet_lines
from cts_tui.tui.widgets.totals_bar import totals_text
from cts_tui.views.fleet import Fleet, FleetMember
from cts_tui.views.limits import BackendState

SINCE = datetime(2026, 12, 5, 6, 40, 12, tzinfo=UTC).timestamp()


def test_the_backend_in_force_and_since_when_with_the_reason_of_a_fallback() -> None:
    assert _budgets_line(BackendState("redis", SINCE)) == "budgets: redis since 06:40:12 UTC"
    assert _budgets_line(BackendState("local", SINCE)) == "budgets: local since 06:40:12 UTC"
    fallback = BackendState("fallback", SINCE, "redis unreachable (ConnectionError)")
    assert _budgets_line(fallback) == "budgets: local since 06:40:12 UTC (redis unreachable (ConnectionError))"
    assert _budgets_line(None) == "budgets: not limited"


def test_the_fleet_shows_each_exchanges_requests_and_each_process_share() -> None:
    def member(id_: str, host: str, pid: int, kind: str, spent: dict[str, int]) -> FleetMember:
        return FleetMember(id_, host, pid, kind, "0.1.0", SINCE, SINCE, spent)

    fleet = Fleet("a", (member("a", "host-a", 11, "tui", {"okx": 30}),
                        member("b", "host-a", 12, "serve", {"okx": 90, "htx": 5}),
                        member("c", "host-b", 13, "library", {})), SINCE)
    assert _fleet_lines(fleet) == [
        " htx: 5 req/min, serve pid 12 on host-a 100%",
        " okx: 120 req/min, serve pid 12 on host-a 75% · tui pid 11 on host-a (here) 25%",
    ]
    assert _fleet_lines(None) == []
    header = totals_text(Totals(0, 0, 0, 0, 1.0, 0, 0.0, None, None), paused=False, interval_s=1, demo=False, width=160,
                         fleet=fleet)
    assert "3 processes on 2 hosts share these budgets" in header.plain
    narrow = totals_text(Totals(0, 0, 0, 0, 1.0, 0, 0.0, None, None), paused=False, interval_s=1, demo=False,
                         width=100, fleet=fleet)
    assert " 3p/2h " in narrow.plain and len(narrow.plain) <= 100
