"""Screen 2's line on where the rate-limit budgets are counted."""

from __future__ import annotations

from datetime import UTC, datetime

from cts_tui.tui.screens.main import _budgets_line
from cts_tui.views.limits import BackendState

SINCE = datetime(2026, 12, 5, 6, 40, 12, tzinfo=UTC).timestamp()


def test_the_backend_in_force_and_since_when_with_the_reason_of_a_fallback() -> None:
    assert _budgets_line(BackendState("redis", SINCE)) == "budgets: redis since 06:40:12 UTC"
    assert _budgets_line(BackendState("local", SINCE)) == "budgets: local since 06:40:12 UTC"
    fallback = BackendState("fallback", SINCE, "redis unreachable (ConnectionError)")
    assert _budgets_line(fallback) == "budgets: local since 06:40:12 UTC (redis unreachable (ConnectionError))"
    assert _budgets_line(None) == "budgets: not limited"
