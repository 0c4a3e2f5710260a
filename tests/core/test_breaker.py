"""The circuit breaker's transitions, growing cooldown and the ejection share."""

from __future__ import annotations

from cts_tui.config import Health
from cts_tui.core.breaker import BreakerState, CircuitBreaker, ejection_allowed
from cts_tui.errors import ErrorKind


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(**settings) -> tuple[CircuitBreaker, FakeClock]:
    clock = FakeClock()
    return CircuitBreaker(Health(**settings), clock), clock


def test_opens_after_threshold_consecutive_failures_only():
    breaker, _ = make(breaker_threshold=3)
    assert not breaker.record_failure(ErrorKind.NETWORK)
    assert not breaker.record_failure(ErrorKind.TIMEOUT)
    breaker.record_success()
    assert not breaker.record_failure(ErrorKind.NETWORK)
    assert not breaker.record_failure(ErrorKind.NETWORK)
    assert breaker.record_failure(ErrorKind.EXCHANGE_DOWN)


def test_rate_limit_answers_never_count():
    breaker, _ = make(breaker_threshold=2)
    for _ in range(10):
        assert not breaker.record_failure(ErrorKind.RATE_LIMITED)
        assert not breaker.record_failure(ErrorKind.BANNED)
    assert breaker.failures == 0


def test_cooldown_doubles_per_reopening_capped_and_a_close_resets_it():
    breaker, clock = make(breaker_threshold=1, cooldown_s=5, cooldown_max_s=12)
    assert breaker.record_failure(ErrorKind.NETWORK)
    assert breaker.open() == 5
    assert not breaker.allows_traffic
    clock.now += 5
    assert breaker.remaining_s() == 0
    breaker.half_open()
    assert not breaker.allows_traffic  # only the probe goes through a half-open breaker
    assert breaker.record_failure(ErrorKind.TIMEOUT)  # a failed probe re-opens at once
    assert breaker.open() == 10
    breaker.half_open()
    assert breaker.record_failure(ErrorKind.TIMEOUT)
    assert breaker.open() == 12
    breaker.half_open()
    assert breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.allows_traffic
    assert breaker.record_failure(ErrorKind.NETWORK)
    assert breaker.open() == 5


def test_a_held_back_breaker_keeps_counting_and_opens_once_there_is_room():
    breaker, _ = make(breaker_threshold=2)
    breaker.record_failure(ErrorKind.NETWORK, may_open=False)
    assert not breaker.record_failure(ErrorKind.NETWORK, may_open=False)
    assert breaker.record_failure(ErrorKind.NETWORK, may_open=True)


def test_ejection_share_always_allows_one_and_never_more_than_the_share():
    assert ejection_allowed(0, 1, 0.5)
    assert not ejection_allowed(1, 1, 0.5)
    assert ejection_allowed(1, 4, 0.5)
    assert not ejection_allowed(2, 4, 0.5)
    assert not ejection_allowed(3, 10, 0.3)
