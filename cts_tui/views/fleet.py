"""Who spends the shared budgets, as the last heartbeat listed them: built by
`ratelimit.fleet`, read by the screens, REST and the metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

SPENT_WINDOW_S = 60.0
"""Each process reports the requests it sent per exchange over this long."""


@dataclass(frozen=True, slots=True)
class FleetMember:
    id: str
    host: str
    pid: int
    kind: str
    """tui, serve, cli or library."""
    version: str
    started_at: float
    """Epoch seconds."""
    seen_at: float
    """Its last heartbeat, epoch seconds by Redis's clock."""
    spent: dict[str, int] = field(default_factory=dict)
    """Requests it sent per exchange in the last ``SPENT_WINDOW_S``."""


@dataclass(frozen=True, slots=True)
class Fleet:
    """The processes sharing the budgets, as Redis last listed them to this one."""

    me: str
    members: tuple[FleetMember, ...]
    at: float
    """When Redis listed them (epoch seconds, its clock)."""

    @property
    def hosts(self) -> int:
        return len({m.host for m in self.members})

    def headline(self) -> str:
        processes, hosts = len(self.members), self.hosts
        if processes == 1:
            return "1 process on 1 host shares these budgets"
        return f"{processes} processes on {hosts} host{'s' if hosts != 1 else ''} share these budgets"

    def spent(self, exchange: str) -> int:
        """Fleet-wide requests to ``exchange`` in the last minute."""
        return sum(m.spent.get(exchange, 0) for m in self.members)
