"""What one acquire costs: the window instances it is charged to and their caps per priority.

A plan is computed once per (exchange, endpoint, account, weight) and cached, so the hot path
does no string building or config lookups.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import lru_cache

from cts_tui.config import RateLimiting
from cts_tui.ratelimit.policy import ExchangePolicy, Scope, WindowSpec
from cts_tui.ratelimit.priority import Priority
from cts_tui.ratelimit.weights import endpoint_limit, normalize_endpoint, pool_limit, pool_of

CONCURRENCY = "concurrency"
"""Blocking key of a waiter that lacks a concurrency slot rather than budget."""
BAN_MARK = "!"
"""Prefix of a blocking pause key when the pause is an exchange's ban (418), not a 429."""


@dataclass(frozen=True, slots=True, eq=False)
class Charge:
    key: str
    """Names one window instance, e.g. ``bybit|<account>|1s/endpoint|fetch_ticker``."""
    spec: WindowSpec
    """The instance's own spec (``instance_spec``): backends count and report usage by its name."""
    window: str
    """The name of the window it is an instance of (the policy's)."""
    part: str | None
    """The endpoint or pool of an instance of a window of many."""
    units: int
    caps: tuple[float, float, float]
    """Most units each priority may fill: limit x headroom x ceiling, indexed by Priority."""


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    exchange: str
    endpoint: str
    charges: tuple[Charge, ...]
    pause_keys: tuple[str, ...]
    """The exchange-wide key, and the account's key for a signed request where the exchange
    counts per key."""
    block_keys: frozenset[str]
    """Everything that can hold this request back: a waiter behind one blocked on any of these
    must not overtake it."""
    usage: Charge | None = None
    """The window whose count the exchange reports in its answers (the policy's usage window)."""
    usage_tolerance: float = 1.0
    """How far the exchange's count may exceed ours before it means someone else spent: what
    the headroom absorbs is timing (it counts arrivals, we count grants)."""


def ceilings(settings: RateLimiting) -> tuple[float, float, float]:
    c = settings.priority_ceilings
    return (c.high, c.normal, c.low)


def concurrency_caps(max_concurrent: int, settings: RateLimiting) -> tuple[int, int, int]:
    """LOW may not fill every slot either: a long batch must leave room for a trading call."""
    return tuple(max(1, int(max_concurrent * share)) for share in ceilings(settings))  # type: ignore[return-value]


@lru_cache(maxsize=1024)
def account_id(account: str) -> str:
    """Accounts appear in keys (and, shared, in Redis) only as a short digest: a client may name
    an account by its API key, which must never be written anywhere in clear."""
    return hashlib.sha256(account.encode()).hexdigest()[:16]


def window_key(exchange: str, account: str | None, spec: WindowSpec, part: str | None) -> str:
    """``part``: the endpoint of a per-endpoint window, the pool of a per-pool one."""
    key = f"{exchange}|{account_id(account) if account else '-'}|{spec.name}"
    return f"{key}|{part}" if part is not None else key


def pause_keys(policy: ExchangePolicy, account: str | None) -> tuple[str, ...]:
    if not account or not policy.counts_per_key:
        return (policy.exchange,)
    return (policy.exchange, f"{policy.exchange}|{account_id(account)}")


def instance_spec(exchange: str, spec: WindowSpec, part: str | None) -> WindowSpec:
    """One instance of a window of many (``part``: an endpoint, a pool) as a spec of its own,
    named after both (``30s/pool futures``) and held to its own limit: the pool's quota or the
    endpoint's documented limit where tighter than the window's. Backends report usage by spec
    name, so each instance's count is read against its own limit, not the window's."""
    if part is None:
        return spec
    documented = endpoint_limit(exchange, part) if spec.per_endpoint else pool_limit(exchange, part)
    limit = spec.limit if documented is None else min(spec.limit, documented)
    return replace(spec, name=f"{spec.name} {part}", limit=limit)


def make_plan(
    policy: ExchangePolicy,
    endpoint: str,
    account: str | None,
    weight: int | None,
    settings: RateLimiting,
    host: str | None = None,
) -> Plan:
    """``account`` is the key of a signed request; a public request passes None. ``host``: the
    real REST host the request goes to, where known (it may decide the pool)."""
    name = normalize_endpoint(endpoint)
    cost = policy.weight(endpoint) if weight is None else weight
    shares = ceilings(settings)
    charges = []
    for spec in policy.windows:
        part = name if spec.per_endpoint else pool_of(policy.exchange, name, host) if spec.per_pool else None
        instance = instance_spec(policy.exchange, spec, part)
        budget = instance.limit * settings.headroom
        charges.append(
            Charge(
                key=window_key(policy.exchange, account if spec.scope is Scope.CALLER else None, spec, part),
                spec=instance,
                window=spec.name,
                part=part,
                units=cost if spec.counts_weight else 1,
                caps=(budget * shares[Priority.HIGH], budget * shares[Priority.NORMAL],
                      budget * shares[Priority.LOW]),
            )
        )
    pauses = pause_keys(policy, account)
    blocks = frozenset([*(c.key for c in charges), *pauses, CONCURRENCY])
    usage = next((c for c in charges if c.window == policy.usage_window), None)
    tolerance = max(1.0, usage.spec.limit * (1.0 - settings.headroom)) if usage is not None else 1.0
    return Plan(policy.exchange, name, tuple(charges), pauses, blocks, usage, tolerance)
