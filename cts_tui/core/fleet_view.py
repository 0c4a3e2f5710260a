"""The fleet as the screens, REST and ``/metrics`` show it: per exchange, the requests every
process sharing the budgets sent in the last minute and each one's share of them."""

from __future__ import annotations

from dataclasses import dataclass

from cts_tui.views.fleet import Fleet, FleetMember


def member_label(member: FleetMember) -> str:
    """"serve pid 4242 on host-a", as the store's lease names its holder."""
    return f"{member.kind} pid {member.pid} on {member.host}"


@dataclass(frozen=True, slots=True)
class ProcessShare:
    member: FleetMember
    spent: int
    share: float
    """Of the fleet's requests to the exchange in the last minute (0..1)."""


@dataclass(frozen=True, slots=True)
class ExchangeFleet:
    exchange: str
    spent: int
    """Fleet-wide requests in the last minute."""
    shares: tuple[ProcessShare, ...]
    """Every process that sent any, the biggest spender first."""


def exchange_shares(fleet: Fleet) -> dict[str, ExchangeFleet]:
    exchanges = sorted({name for m in fleet.members for name, spent in m.spent.items() if spent})
    views = {}
    for exchange in exchanges:
        total = fleet.spent(exchange)
        shares = sorted((ProcessShare(m, m.spent.get(exchange, 0), m.spent.get(exchange, 0) / total)
                         for m in fleet.members if m.spent.get(exchange)),
                        key=lambda s: (-s.spent, s.member.id))
        views[exchange] = ExchangeFleet(exchange, total, tuple(shares))
    return views
