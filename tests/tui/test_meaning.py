"""What the screens derive from the figures: health words beside the state, the score's parts,
alert lines by name, screen 2's status, and which columns give way at 80 columns."""

from __future__ import annotations

from dataclasses import replace

from cts_tui.core.snapshots import Alert
from cts_tui.models import ConnectionState
from cts_tui.tui import format as fmt
from cts_tui.tui.messages import Frame
from cts_tui.tui.screens.detail import score_facts
from cts_tui.tui.widgets import column_layout
from cts_tui.tui.widgets.alert_log import alert_line
from cts_tui.tui.widgets.connections_table import ConnectionsTable
from cts_tui.tui.widgets.limits_table import status_value

from .static_backend import FIXED_NOW, make_snapshot

SNAPSHOT = make_snapshot(24)
ACTIVE = next(v for v in SNAPSHOT.connections if v.state is ConnectionState.ACTIVE and v.exchange.value == "okx")


def _text(rows: list[tuple[str, object]]) -> str:
    return " | ".join(f"{label}: {value}" for label, value in rows)


def test_health_says_what_active_hides() -> None:
    assert fmt.health_word(replace(ACTIVE, health_score=92.0)) is None
    assert fmt.health_word(replace(ACTIVE, health_score=62.0)) == "degraded"
    assert fmt.health_word(replace(ACTIVE, health_score=0.0)) == "unhealthy"
    assert fmt.health_word(replace(ACTIVE, healthy=False, health_score=90.0)) == "unhealthy"
    assert fmt.health_word(replace(ACTIVE, state=ConnectionState.ERROR, health_score=0.0)) is None
    assert fmt.state_text(ConnectionState.ACTIVE, "degraded").plain == "● active degraded"
    assert fmt.state_text(ConnectionState.ACTIVE, "unhealthy", room=11).plain == "● unhealthy"


def test_the_detail_gives_the_score_in_its_parts() -> None:
    frame = Frame(SNAPSHOT, FIXED_NOW)
    view = replace(ACTIVE, uptime_pct=100.0, latency_ms=0.0, rate_limit_usage_pct=20.0, consecutive_errors=1)
    parts = _text(score_facts(view, frame, breaker_threshold=5))
    assert "60 uptime + 25 latency" in parts and "+ 12 rate-limit room" in parts
    assert "× 0.80 1 errors in a row" in parts
    stalled = next(v for v in SNAPSHOT.connections if v.exchange.value == "binance" and v.health_score)
    assert "× 0.60 stream stalled" in _text(score_facts(stalled, frame, breaker_threshold=5))
    failing = replace(ACTIVE, state=ConnectionState.ERROR)
    assert _text(score_facts(failing, frame, breaker_threshold=5)) == "score is 0: in error"


def test_an_alert_names_the_connection_and_says_it_once() -> None:
    alert = Alert(at=FIXED_NOW, rule="breaker open", subject=f"okx/{ACTIVE.id}", state="firing",
                  message=f"breaker open: okx/{ACTIVE.id}")
    assert alert_line(alert, SNAPSHOT).plain == f"12:00:00 ▲ FIRING   breaker open · {ACTIVE.name}"
    hot = Alert(at=FIXED_NOW, rule="near limit", subject="bingx", state="firing",
                message="near limit: bingx rate_limit_usage 93.0 above 85")
    assert alert_line(hot, SNAPSHOT).plain.endswith("near limit · bingx — rate_limit_usage 93.0 above 85")


def test_screen_2_says_what_holds_requests_back() -> None:
    views = SNAPSHOT.exchanges
    assert status_value(views["bingx"], FIXED_NOW)[0] == "paused 8s, 10 queued, hot"
    assert status_value(views["kraken"], FIXED_NOW)[0].startswith("banned 95s")
    quiet = replace(views["okx"], usage=replace(views["okx"].usage, queued=(0, 0, 0), concurrent_in_use=0,
                                                 windows=()))
    assert status_value(quiet, FIXED_NOW) == ("ok", "green")
    waiting = replace(quiet, usage=replace(quiet.usage, queued=(0, 6, 0)))
    assert status_value(waiting, FIXED_NOW)[0] == "6 queued"


def test_at_80_columns_balance_and_last_test_give_way_before_a_name_is_cut() -> None:
    placed = column_layout.fit(ConnectionsTable.COLUMNS, ConnectionsTable.GIVE_WAY, 78, 30)
    widths = {p.column.key: p.width for p in placed}
    assert widths["name"] == 30 and "balance" not in widths and "last_test" not in widths
    assert {"state", "score", "exchange"} <= widths.keys()
    assert all(p.width >= column_layout.label_width(p.column, short=p.short) for p in placed)  # arrow fits
    wide = {p.column.key for p in column_layout.fit(ConnectionsTable.COLUMNS, ConnectionsTable.GIVE_WAY, 198, 30)}
    assert {"balance", "last_test", "api_type"} <= wide


def test_names_that_would_read_alike_are_cut_in_the_middle() -> None:
    names = ["Bybit unified (main)", "Bybit unified (rotated key)", "Kraken spot (main)"]
    assert column_layout.colliding(names, 14) == {"Bybit unified (main)", "Bybit unified (rotated key)"}
    assert column_layout.cut_middle("Bybit unified (rotated key)", 14) == "Bybit u…d key)"
    assert column_layout.colliding(names, 40) == frozenset()
