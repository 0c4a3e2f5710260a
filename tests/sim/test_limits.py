"""The rate-limit engines count the way the exchanges do (times are passed in, so no sleeping)."""

from __future__ import annotations

from cts_tui.sim.limits import AlignedWindow, BanList, FixedWindow, RollingWindow


def test_aligned_window_resets_at_the_calendar_boundary() -> None:
    window = AlignedWindow(limit=10, interval_s=60)
    assert window.add("ip", 6, now=119.0) == 6
    assert window.add("ip", 6, now=119.9) == 12  # over: the caller answers 429
    assert window.retry_after(119.9) == 1
    assert window.add("ip", 1, now=120.0) == 1  # a new minute, not 60 s after the first request
    assert window.used("other", 120.0) == 0


def test_rolling_window_frees_one_slot_per_expired_request() -> None:
    window = RollingWindow(limit=2, window_s=1.0)
    assert window.try_acquire("uid:/a", 0.0) == (True, 1, 1.0)
    assert window.try_acquire("uid:/a", 0.4) == (True, 0, 1.0)
    assert window.try_acquire("uid:/a", 0.9) == (False, 0, 1.0)
    assert window.try_acquire("uid:/b", 0.9)[0]  # per endpoint
    assert window.try_acquire("uid:/a", 1.0) == (True, 0, 1.4)


def test_fixed_window_opens_with_the_first_request() -> None:
    window = FixedWindow(limit=2, window_s=2.0)
    assert window.try_acquire("k", 5.0) == (True, 1, 7.0)
    assert window.try_acquire("k", 6.0) == (True, 0, 7.0)
    assert window.try_acquire("k", 6.9) == (False, 0, 7.0)
    assert window.try_acquire("k", 7.0) == (True, 1, 9.0)


def test_ban_after_tolerated_strikes_and_doubling_bans() -> None:
    bans = BanList(tolerance=2, ban_s=10, strike_window_s=60)
    assert bans.strike("ip", 0.0) is None
    assert bans.strike("ip", 1.0) == 11.0
    assert bans.banned_until("ip", 5.0) == 11.0
    assert bans.banned_until("ip", 11.0) is None
    bans.strike("ip", 20.0)
    assert bans.strike("ip", 21.0) == 41.0  # the second ban lasts twice as long
    assert bans.strike("other", 21.0) is None
