"""Load-balancing strategies: which of the eligible connections takes the next request.

Each strategy sees only the eligible candidates (active, breaker closed, supporting the method)
and returns one; the coordinator handles eligibility, retries and failover. All choices are
deterministic given the same sequence of calls, so each strategy's order can be tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from cts_tui.capabilities import ExchangeId
from cts_tui.errors import CtsError


class Candidate(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def exchange(self) -> ExchangeId: ...
    @property
    def effective_weight(self) -> float: ...
    @property
    def latency_ms(self) -> float | None: ...
    @property
    def in_flight(self) -> int: ...
    @property
    def requests(self) -> int: ...


C = TypeVar("C", bound=Candidate)


class Strategy:
    name = ""

    def choose(self, candidates: Sequence[C]) -> C:
        raise NotImplementedError


class RoundRobin(Strategy):
    """Each candidate in turn, in id order; a changing candidate set keeps the rotation going."""

    name = "round_robin"

    def __init__(self) -> None:
        self._turn = 0

    def choose(self, candidates: Sequence[C]) -> C:
        ordered = sorted(candidates, key=lambda c: c.id)
        chosen = ordered[self._turn % len(ordered)]
        self._turn += 1
        return chosen


class SmoothWeightedRoundRobin(Strategy):
    """nginx's smooth weighted round robin: weights 5,1,1 give a a b a c a a, never a burst of
    five. Zero-weight candidates are used only when every candidate weighs zero."""

    name = "weighted_round_robin"

    def __init__(self) -> None:
        self._current: dict[str, float] = {}

    def choose(self, candidates: Sequence[C]) -> C:
        if len(candidates) == 1:  # a lone candidate's running weight would stay at zero anyway
            return candidates[0]
        weighted = [c for c in candidates if c.effective_weight > 0] or list(candidates)
        weights = {c.id: c.effective_weight if c.effective_weight > 0 else 1.0 for c in weighted}
        total = sum(weights.values())
        best: C | None = None
        for candidate in sorted(weighted, key=lambda c: c.id):
            current = self._current.get(candidate.id, 0.0) + weights[candidate.id]
            self._current[candidate.id] = current
            if best is None or current > self._current[best.id]:
                best = candidate
        assert best is not None
        self._current[best.id] -= total
        if len(self._current) > 4 * len(weighted) + 16:  # forget departed connections
            self._current = {cid: v for cid, v in self._current.items() if cid in weights}
        return best


class LeastLatency(Strategy):
    """Lowest EWMA latency; an unmeasured candidate goes first so that it gets measured."""

    name = "least_latency"

    def choose(self, candidates: Sequence[C]) -> C:
        return min(
            candidates,
            key=lambda c: (c.latency_ms is not None, c.latency_ms or 0.0, c.in_flight, c.id),
        )


class LeastConnections(Strategy):
    """Fewest requests in flight; ties go to the one that has served fewer, then by id."""

    name = "least_connections"

    def choose(self, candidates: Sequence[C]) -> C:
        return min(candidates, key=lambda c: (c.in_flight, c.requests, c.id))


class Failover(Strategy):
    """The first candidate in a fixed order: exchanges as in ``load_balancing.failover_order``
    (those not listed after, alphabetically), then heavier connections first, then by id."""

    name = "failover"

    def __init__(self, order: Sequence[ExchangeId] = ()) -> None:
        self._rank = {ExchangeId(ex): i for i, ex in enumerate(order)}

    def choose(self, candidates: Sequence[C]) -> C:
        unlisted = len(self._rank)
        return min(
            candidates,
            key=lambda c: (self._rank.get(c.exchange, unlisted), c.exchange.value, -c.effective_weight, c.id),
        )


STRATEGIES = ("round_robin", "weighted_round_robin", "least_latency", "least_connections", "failover")


def make_strategy(name: str, failover_order: Sequence[ExchangeId] = ()) -> Strategy:
    if name == "round_robin":
        return RoundRobin()
    if name == "weighted_round_robin":
        return SmoothWeightedRoundRobin()
    if name == "least_latency":
        return LeastLatency()
    if name == "least_connections":
        return LeastConnections()
    if name == "failover":
        return Failover(failover_order)
    raise CtsError(f"unknown strategy {name!r} (choose one of: {', '.join(STRATEGIES)})")
