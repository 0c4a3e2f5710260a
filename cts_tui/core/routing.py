"""Which connections a request may go to, worked out once per (target, method) and kept.

Every ``execute_request`` asks; the answer changes only when something that decides it changes:
a connection's state or settings, a breaker, an error streak reaching the threshold, the set of
connections, the configuration, the strategy. ``invalidate`` runs on each of those (the
connection table's ``routing_changed`` signal), so a request costs a dictionary lookup instead
of a pass over every connection, which matters most to a user with hundreds of them.

``Picker`` is the choice among a route's connections: the strategy's pick, made budget-aware.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from cts_tui.core.balancer import make_strategy
from cts_tui.core.connections import ConnectionTable
from cts_tui.core.live_config import LiveConfig
from cts_tui.core.managed import ManagedConnection
from cts_tui.models import ExchangeId
from cts_tui.ratelimit.priority import Priority

if TYPE_CHECKING:
    from cts_tui.config import Config
    from cts_tui.exchanges.hub import ExchangeHub
    from cts_tui.ratelimit.limiter import RateLimiter

Route = tuple[list[ManagedConnection], list[ManagedConnection]]
"""(preferred, everyone): connections that take traffic and support the method, sorted by id;
preferred are those not on an error streak, used while there are any."""

MAX_ROUTES = 4096
"""Method names come from callers (the REST API too): the table is bounded."""


class RouteTable:
    def __init__(
        self,
        entries: Mapping[str, ManagedConnection],
        supports: Callable[[ManagedConnection, str], bool],
        threshold: Callable[[], int],
    ) -> None:
        self._entries = entries
        self._supports = supports
        self._threshold = threshold
        self._routes: dict[tuple[str | None, str], Route] = {}

    def invalidate(self) -> None:
        self._routes.clear()

    def route(self, method: str, target: str | None) -> Route:
        """``target``: an exchange name, a connection id, or None for any connection. An
        unknown exchange name raises ``ValueError``."""
        key = (target, method)
        route = self._routes.get(key)
        if route is None:
            if len(self._routes) >= MAX_ROUTES:
                self._routes.clear()
            route = self._routes[key] = self._build(method, target)
        return route

    def _build(self, method: str, target: str | None) -> Route:
        pinned = self._entries.get(target) if target is not None else None
        exchange = None if pinned is not None or target is None else ExchangeId(target)
        pool = [pinned] if pinned is not None else self._entries.values()
        everyone = sorted(
            (
                e
                for e in pool
                if e.takes_traffic() and (exchange is None or e.exchange is exchange) and self._supports(e, method)
            ),
            key=lambda e: e.id,
        )
        threshold = self._threshold()
        return [e for e in everyone if e.stats.consecutive_errors < threshold], everyone


class Picker:
    """Which connection a request goes to: the strategy's pick among its route."""

    def __init__(self, live: LiveConfig, table: ConnectionTable, limiter: RateLimiter, hub: ExchangeHub) -> None:
        self._live = live
        self._limiter = limiter
        self._hub = hub
        lb = live.current.load_balancing
        self._strategy = make_strategy(lb.strategy, lb.failover_order)
        self.routes = RouteTable(table, self._supports, lambda: live.current.health.breaker_threshold)
        table.routing_changed.connect(self.routes.invalidate)

    def _supports(self, entry: ManagedConnection, method: str) -> bool:
        # Asked only when a route is worked out; the clients cache what they answer.
        return self._hub.client_for(entry.connection).supports(method)

    @property
    def strategy(self) -> str:
        return self._strategy.name

    def set_strategy(self, name: str) -> None:
        self._strategy = make_strategy(name, self._live.current.load_balancing.failover_order)
        self.routes.invalidate()

    def reconfigure(self, old: Config) -> None:
        lb_old, lb_new = old.load_balancing, self._live.current.load_balancing
        if (lb_new.strategy, lb_new.failover_order) != (lb_old.strategy, lb_old.failover_order):
            self._strategy = make_strategy(lb_new.strategy, lb_new.failover_order)

    def choose(
        self,
        method: str,
        exchange_id: str | None = None,
        excluded: frozenset[str] | set[str] = frozenset(),
        excluded_exchanges: frozenset[ExchangeId] | set[ExchangeId] = frozenset(),
        priority: int = Priority.NORMAL,
    ) -> ManagedConnection | None:
        """The connection the strategy picks for ``method`` among those that take traffic
        (``exchange_id``: an exchange name or a connection id narrows the choice). Connections
        on an error streak are used only when nothing else is left. Budget-aware (per exchange,
        ``routing.budget_aware``): when the strategy's pick would wait for its rate-limit budget,
        the strategy picks again among those that can send now; when none can, the one whose
        budget frees first."""
        preferred, everyone = self.routes.route(method, exchange_id)
        if excluded or excluded_exchanges:
            preferred, everyone = (
                [e for e in group if e.id not in excluded and e.exchange not in excluded_exchanges]
                for group in (preferred, everyone)
            )
        group = preferred or everyone
        if len(group) < 2:  # nothing to choose from (one key per exchange is the common setup)
            return group[0] if group else None
        chosen = self._strategy.choose(group)
        plan = chosen.plans.get(method)
        if plan is None or not chosen.budget_aware:
            return chosen
        wait = self._limiter.free_in(plan, priority)
        if not wait:
            return chosen
        return self._choose_ready(method, group, chosen, wait, priority)

    def _choose_ready(
        self, method: str, group: list[ManagedConnection], chosen: ManagedConnection, wait: float, priority: int
    ) -> ManagedConnection:
        """``chosen`` would wait ``wait`` s: the strategy's choice among those that would not,
        else whoever frees first."""
        free_in = self._limiter.free_in
        ready: list[ManagedConnection] = []
        best, best_wait = chosen, wait
        for entry in group:
            if entry is chosen:
                continue
            plan = entry.plans.get(method)
            entry_wait = free_in(plan, priority) if plan is not None else 0.0
            if not entry_wait:
                ready.append(entry)
            elif entry_wait < best_wait:
                best, best_wait = entry, entry_wait
        if not ready:
            return best
        return ready[0] if len(ready) == 1 else self._strategy.choose(ready)
