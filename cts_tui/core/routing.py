"""Which connections a request may go to, worked out once per (target, method) and kept.

Every ``execute_request`` asks; the answer changes only when something that decides it changes:
a connection's state or settings, a breaker, an error streak reaching the threshold, the set of
connections, the configuration. The coordinator calls ``invalidate`` on each of those (the
connections and breakers tell it themselves), so a request costs a dictionary lookup instead of
a pass over every connection, which matters most to a user with hundreds of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from cts_tui.core.managed import ManagedConnection
from cts_tui.models import ExchangeId

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
