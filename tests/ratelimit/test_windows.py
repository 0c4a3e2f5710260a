"""Window shapes, on synthetic time."""

from __future__ import annotations

import math

import pytest

from cts_tui.ratelimit.windows import SLOTS, AlignedWindow, RollingWindow, Window


def take(window: Window, now: float, units: int) -> object:
    receipt = window.try_take(now, units, math.inf)
    assert receipt is not None
    return receipt


def test_rolling_window_forgets_grants_exactly_one_period_later() -> None:
    window = RollingWindow(1.0)
    for t in (0.0, 0.2, 0.4):
        assert window.wait(t, 1, 3) == 0.0
        take(window, t, 1)
    assert window.wait(0.5, 1, 3) == 1.0 - 0.5  # the grant at 0.0 frees at 1.0
    assert window.wait(1.0, 1, 3) == 0.0
    assert window.used(1.0) == 2


def test_rolling_window_wait_covers_the_units_asked_for() -> None:
    window = RollingWindow(2.0)
    take(window, 0.0, 1)
    take(window, 0.5, 1)
    take(window, 1.0, 1)
    # three more units under a cap of 4 need the first two grants gone: at 2.5
    assert window.wait(1.5, 3, 4) == 1.0


def test_aligned_window_resets_on_the_boundary_not_a_period_after_the_first_grant() -> None:
    window = AlignedWindow(60.0)
    take(window, 119.0, 50)
    assert window.wait(119.5, 20, 60) == 0.5  # the minute [60, 120) ends at 120
    assert window.used(120.0) == 0
    assert window.wait(120.0, 60, 60) == 0.0


def test_an_empty_window_admits_one_request_heavier_than_its_cap() -> None:
    for window in (RollingWindow(1.0), AlignedWindow(60.0)):
        assert window.wait(0.0, 100, 10) == 0.0
        take(window, 0.0, 100)
        assert window.wait(0.0, 1, 10) > 0


def test_raise_to_counts_foreign_usage_but_never_lowers_our_own() -> None:
    rolling = RollingWindow(1.0)
    take(rolling, 0.0, 3)
    rolling.raise_to(0.1, 2)
    assert rolling.used(0.1) == 3
    rolling.raise_to(0.1, 7)
    assert rolling.used(0.1) == 7
    assert rolling.used(1.05) == 4  # the foreign part ages out with its own time

    aligned = AlignedWindow(60.0)
    aligned.raise_to(10.0, 40)
    take(aligned, 10.0, 1)
    assert aligned.used(10.0) == 41


def test_an_aligned_window_takes_a_count_only_from_its_own_period() -> None:
    aligned = AlignedWindow(60.0)
    aligned.raise_to(61.0, 40, counted_at=59.9)  # counted in the minute that is over
    assert aligned.used(61.0) == 0
    aligned.raise_to(61.0, 40, counted_at=60.5)
    assert aligned.used(119.9) == 40
    assert aligned.used(120.0) == 0  # the next minute starts empty, however often it was asked
    assert aligned.used(60.0 * 10**7 + 1) == 0  # far ahead: worked out from the clock again


def test_a_settled_rolling_grant_counts_until_its_request_was_done() -> None:
    window = RollingWindow(1.0)
    first = take(window, 0.0, 1)
    take(window, 0.1, 1)
    window.settle(first, 0.3)  # granted at 0.0, answered at 0.3: it may have arrived until then
    assert window.used(0.95) == 2
    assert window.used(1.05) == 2  # the settled grant holds the younger one back: never early
    assert window.wait(1.1, 1, 2) == pytest.approx(0.2)  # until the settled grant ages out
    assert window.used(1.3) == 0
    window.settle(take(window, 2.0, 1), 1.5)  # settling never moves a grant earlier
    assert window.used(2.9) == 1


def test_a_request_that_straddles_an_aligned_boundary_counts_in_both_windows() -> None:
    window = AlignedWindow(60.0)
    inside = take(window, 30.0, 5)
    window.settle(inside, 31.0)
    straddling = take(window, 59.9, 7)
    window.settle(straddling, 60.1)
    assert window.used(60.2) == 7


def test_a_refused_grant_changes_nothing_and_an_undone_one_is_forgotten() -> None:
    for window in (RollingWindow(1.0), AlignedWindow(60.0)):
        take(window, 0.0, 2)
        assert window.try_take(0.1, 2, 3) is None
        assert window.used(0.1) == 2
        receipt = window.try_take(0.2, 1, 3)
        assert receipt is not None and window.used(0.2) == 3
        window.untake(receipt)  # type: ignore[arg-type]
        assert window.used(0.2) == 2


def test_grants_closer_than_a_slot_share_one_and_none_is_forgotten_early() -> None:
    window = RollingWindow(1.0)
    for i in range(10_000):  # 10,000 grants in one second
        take(window, i / 10_000, 1)
    assert len(window._log) <= SLOTS + 1  # bounded whatever the rate
    assert window.used(0.9999) == 10_000
    # the last grant (at 0.9999) ages out exactly one period later, not a slot earlier
    assert window.used(1.9998) > 0
    assert window.used(2.0) == 0
