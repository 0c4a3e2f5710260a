"""Deterministic stand-ins for the coordinator and the store, for what needs fixed pixels.

Snapshot tests must render the same bytes every run, and the refresh benchmark must drive 1,000
changing rows without 1,000 real exchange accounts. Behaviour (adding, testing, batch tests) is
tested against the real coordinator and simulator instead (see test_flows.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cts_tui.capabilities import HAS_TESTNET, SUPPORTED_API_TYPES, ExchangeId, PassphrasePolicy, passphrase_policy
from cts_tui.config import Config, Keys
from cts_tui.core.events import Event, SnapshotReady
from cts_tui.core.snapshots import (
    Alert,
    BatchStats,
    ConnectionView,
    ExchangeView,
    Snapshot,
    TestSummary,
    Totals,
)
from cts_tui.core.key_policy import KeyAssessment, KeySubject, assess
from cts_tui.errors import ErrorKind, NotFoundError
from cts_tui.key_facts import IntendedUse, KeyProfile
from cts_tui.models import Connection, ConnectionState, TestResult
from cts_tui.ratelimit.plan import instance_spec
from cts_tui.ratelimit.policy import WindowSpec, build_policy
from cts_tui.venues import VENUES
from cts_tui.views.limits import BackendState, ExchangeUsage, WindowUsage
from cts_tui.views.streams import StreamState, StreamView

FIXED_NOW = datetime(2026, 1, 27, 12, 0, 0, tzinfo=UTC)
EXCHANGES = [ExchangeId(name) for name in ("binance", "bybit", "okx", "bingx", "pionex", "orangex", "htx", "coinbase",
                                            "kraken")]
"""The screens' world: these nine in this order (the snapshots), whatever exchanges are added."""
STATES = [ConnectionState.ACTIVE] * 6 + [ConnectionState.ERROR, ConnectionState.PAUSED,
                                         ConnectionState.DISABLED, ConnectionState.TESTING]


TITLES = {ExchangeId.OKX: "OKX", ExchangeId.HTX: "HTX", ExchangeId.BINGX: "BingX", ExchangeId.ORANGEX: "OrangeX"}
ROLES = ("main", "read-only key", "rotated key", "sub-account 2", "hedging desk")


def view_name(index: int, exchange: ExchangeId, api_type: str) -> str:
    """As long as real ones ("Binance margin (read-only key)"), so that widths are tried on
    them; unique past the first rounds of roles."""
    title = TITLES.get(exchange, exchange.value.capitalize())
    name = f"{title} {api_type.replace('_', ' ')} ({ROLES[index // len(EXCHANGES) % len(ROLES)]})"
    return name if index < len(EXCHANGES) * len(ROLES) else f"{name} #{index}"


# Key facts by index: risky (may withdraw, no whitelist), clean, expiring soon, not read yet, and
# a monitor key that may trade.
KEY_KINDS = (
    dict(permissions=["read", "trade", "withdraw"], ip_restricted=False),
    dict(permissions=["read", "trade"], ip_restricted=True, ips=["10.0.0.7"]),
    dict(permissions=["read", "trade"], ip_restricted=False, expires_in=timedelta(days=5)),
    None,
    dict(permissions=["read", "trade"], ip_restricted=True, ips=["10.0.0.7"], use=IntendedUse.MONITOR),
)


KEY_SETTINGS = Keys()


def make_key(index: int, exchange: ExchangeId, name: str, now: datetime) -> KeyAssessment:
    kind = dict(KEY_KINDS[index % len(KEY_KINDS)] or {})
    use = kind.pop("use", IntendedUse.TRADE)
    expires_in = kind.pop("expires_in", None)
    cid = f"c{index:05d}"
    profile = None if not kind else KeyProfile(
        **kind, expires_at=now + expires_in if expires_in else None, expiry_reported=True,
        connection_id=cid, exchange=exchange.value, read_at=now - timedelta(minutes=index % 50),
    )
    subject = KeySubject(cid, name, exchange.value, "spot", use, cid, now, profile)
    return assess([subject], KEY_SETTINGS, now)[cid]


def make_view(index: int, rng: random.Random, now: datetime) -> ConnectionView:
    exchange = EXCHANGES[index % len(EXCHANGES)]
    api_types = SUPPORTED_API_TYPES[exchange]
    api_type = api_types[(index // len(EXCHANGES)) % len(api_types)]
    state = STATES[index % len(STATES)] if index % 3 == 0 else ConnectionState.ACTIVE
    failing = state is ConnectionState.ERROR
    history = tuple(round(rng.uniform(20, 400), 1) for _ in range(24))
    test = TestSummary(
        at=now - timedelta(seconds=rng.randint(1, 3600)),
        success=not failing,
        balance=None if failing else round(rng.uniform(10, 50_000), 2),
        duration_ms=rng.randint(20, 900),
        error_kind=ErrorKind.AUTH if failing else None,
        error="invalid API key" if failing else None,
    )
    name = view_name(index, exchange, api_type.value)
    return ConnectionView(
        id=f"c{index:05d}",
        name=name,
        exchange=exchange,
        api_type=api_type,
        is_testnet=exchange in HAS_TESTNET and index % 4 == 1,
        enabled=state is not ConnectionState.DISABLED,
        state=state,
        healthy=state is ConnectionState.ACTIVE,
        health_score=0.0 if failing else round(rng.uniform(55, 100), 1),
        latency_ms=history[-1],
        p50_ms=sorted(history)[12],
        p95_ms=sorted(history)[22],
        p99_ms=max(history),
        success_rate=40.0 if failing else round(rng.uniform(93, 100), 1),
        uptime_pct=50.0 if failing else round(rng.uniform(95, 100), 1),
        requests=rng.randint(10, 5000),
        failures=rng.randint(0, 50),
        consecutive_errors=4 if failing else 0,
        consecutive_successes=0 if failing else rng.randint(1, 40),
        breaker="open" if failing else "closed",
        breaker_until=now + timedelta(seconds=42) if failing else None,
        last_check=now - timedelta(seconds=rng.randint(1, 300)),
        last_error="invalid API key" if failing else None,
        last_test=test,
        balance=test.balance,
        rate_limit_usage_pct=round(rng.uniform(0, 95), 1),
        in_flight=rng.randint(0, 3),
        latency_history=history,
        weight=100,
        tags=("demo",),
        api_key_masked="AbCd…wXyZ",
        key=make_key(index, exchange, name, now),
    )


def _instances(exchange: ExchangeId, spec: WindowSpec, rng: random.Random) -> list[WindowUsage]:
    """The exchange's own window: each pool, or its three endpoints of the tightest documented
    limits, fullest first, as the limiter reports them."""
    venue = VENUES[exchange]
    parts: list[str | None] = (
        list(venue.pool_limits) if spec.per_pool
        else [f"get {path}" for path in sorted(
            (p for p in venue.endpoint_limits if p.startswith("/")), key=venue.endpoint_limits.__getitem__)[:3]]
        or ["fetch_ticker", "fetch_balance"]
        if spec.per_endpoint else [None])
    found = []
    for part in parts:
        own = instance_spec(exchange.value, spec, part)
        found.append(WindowUsage(spec.name, spec.period_s, round(own.limit * rng.uniform(0.05, 0.8)), own.limit,
                                 part, True))
    return sorted(found, key=lambda w: -w.fraction)


def make_usage(exchange: ExchangeId, config: Config, rng: random.Random, now: datetime) -> ExchangeUsage:
    limits = config.limits(exchange)
    hot = exchange is ExchangeId.BINGX
    banned = exchange is ExchangeId.KRAKEN
    second = limits.per_second if hot else rng.randint(0, limits.per_second)
    minute = round(limits.per_minute * (0.93 if hot else rng.uniform(0, 0.7)))
    own = random.Random(exchange.value)  # the exchange's windows draw apart from the rest of the world
    windows: list[WindowUsage] = []
    instances: list[WindowUsage] = []
    for spec in build_policy(exchange.value, limits).windows:
        if not spec.by_exchange:
            windows.append(WindowUsage(spec.name, spec.period_s, second if spec.period_s < 60 else minute, spec.limit))
            continue
        mine = _instances(exchange, spec, own)
        windows.append(mine[0])
        instances += [w for w in mine if w.part is not None]
    return ExchangeUsage(
        exchange=exchange.value,
        windows=tuple(windows),
        instances=tuple(sorted(instances, key=lambda w: -w.fraction)),
        concurrent_in_use=rng.randint(0, limits.max_concurrent),
        concurrent_limit=limits.max_concurrent,
        queued=(0, 3, 7) if hot else (0, 0, 0),
        paused_until=(now + timedelta(seconds=8)).timestamp() if hot else None,
        banned_until=(now + timedelta(seconds=95)).timestamp() if banned else None,
        backend="local",
    )


def make_streams(now: datetime) -> tuple[StreamView, ...]:
    """One market stream per exchange: Binance's stalled, Kraken's reconnecting, the rest live."""
    streams = []
    for i, exchange in enumerate(EXCHANGES):
        state = {ExchangeId.BINANCE: StreamState.STALLED, ExchangeId.KRAKEN: StreamState.RECONNECTING}.get(
            exchange, StreamState.LIVE)
        down = state is not StreamState.LIVE
        streams.append(StreamView(
            exchange=exchange.value, transport="native" if exchange in (ExchangeId.PIONEX, ExchangeId.ORANGEX)
            else "ccxt.pro", url=f"wss://stream.{exchange.value}.example/ws", symbols=("BTC/USDT", "ETH/USDT"),
            state=state, since=(now - timedelta(seconds=5 + i)).timestamp(), messages=1000 + 37 * i,
            messages_per_s=0.0 if down else 4.0 + i / 10, last_message_age_s=7.5 if down else 0.1 * (i % 4),
            lateness_p50_ms=None if exchange is ExchangeId.KRAKEN else 12.0 + i,
            lateness_p99_ms=None if exchange is ExchangeId.KRAKEN else 40.0 + 9 * i,
            stall_threshold_s=1.5, stalls=1 if down else 0, reconnects=2 if exchange is ExchangeId.KRAKEN else 0,
            malformed=0, last_error="ConnectionError: kraken closed the stream (code 1006)"
            if exchange is ExchangeId.KRAKEN else None,
        ))
    return tuple(streams)


def make_snapshot(count: int, *, seed: int = 7, now: datetime = FIXED_NOW,
                  config: Config | None = None) -> Snapshot:
    rng = random.Random(seed)
    config = config or Config()
    views = tuple(make_view(i, rng, now) for i in range(count))
    exchanges = {}
    for exchange in [*EXCHANGES, ExchangeId.KUCOIN]:  # KuCoin's pools on screen 2, no connections
        mine = [v for v in views if v.exchange is exchange]
        exchanges[exchange] = ExchangeView(
            exchange=exchange,
            connections=len(mine),
            active=sum(v.state is ConnectionState.ACTIVE for v in mine),
            healthy=sum(v.healthy for v in mine),
            usage=make_usage(exchange, config, rng, now),
            rate_limit_usage_pct=0.0,
            requests=sum(v.requests for v in mine),
            successes=sum(v.requests - v.failures for v in mine),
            failures_by_kind={},
            success_rate=98.5 if mine else None,
            recent_requests=len(mine) * 3,
            requests_per_s=round(rng.uniform(0, 8), 1),
            p50_ms=120.0,
            p95_ms=340.0,
            breakers_open=sum(v.breaker == "open" for v in mine),
            banned=exchange is ExchangeId.KRAKEN,
            pool={},
        )
    totals = Totals(
        connections=len(views),
        active=sum(v.state is ConnectionState.ACTIVE for v in views),
        healthy=sum(v.healthy for v in views),
        errors=sum(v.state is ConnectionState.ERROR for v in views),
        success_rate=97.4 if views else None,
        requests=sum(v.requests for v in views),
        requests_per_s=23.5 if views else 0.0,
        average_uptime_pct=99.1 if views else None,
        average_latency_ms=180.0 if views else None,
    )
    return Snapshot(at=now, connections=views, exchanges=exchanges, totals=totals,
                    alerts=(), strategy="weighted_round_robin",
                    batch=BatchStats(queued=0, running=0, completed=0, failed=0, cancelled=0),
                    streams=make_streams(now) if views else (),
                    budgets=BackendState("local", now.timestamp()))


ALERTS = (
    Alert(at=FIXED_NOW - timedelta(minutes=3), rule="near rate limit", subject="bingx", state="firing",
          message="93% of the per-minute budget"),
    Alert(at=FIXED_NOW - timedelta(minutes=2), rule="breaker open", subject="okx/c00006", state="firing",
          message="3 failures in a row (auth)"),
    Alert(at=FIXED_NOW - timedelta(minutes=1), rule="banned", subject="kraken", state="firing",
          message="418 until 12:01:35"),
)


class StaticAlerts:
    def __init__(self, alerts: tuple[Alert, ...]) -> None:
        self._alerts = alerts

    def log(self) -> list[Alert]:
        return list(self._alerts)


class StaticCoordinator:
    """Serves one snapshot until ``push`` hands it the next."""

    def __init__(self, count: int, *, seed: int = 7, now: datetime = FIXED_NOW, alerts: bool = True) -> None:
        self.config = Config()
        self.alerts = StaticAlerts(ALERTS if alerts and count else ())
        self._snapshot = make_snapshot(count, seed=seed, now=now, config=self.config)
        self._subscribers: list[Callable[[Event], None]] = []

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def connection_model(self, connection_id: str) -> Connection:
        """The stored connection behind a view, with made-up keys (the form and the copy menu)."""
        view = self._snapshot.connection(connection_id)
        if view is None:
            raise NotFoundError(f"no connection {connection_id}")
        passphrase = None if passphrase_policy(view.exchange) is PassphrasePolicy.NONE else "static-passphrase"
        return Connection(id=view.id, name=view.name, exchange=view.exchange, api_type=view.api_type,
                          api_key="static-key", api_secret="static-secret", api_passphrase=passphrase,
                          is_testnet=view.is_testnet, enabled=view.enabled, tags=list(view.tags),
                          base_url=f"https://api.{view.exchange.value}.example")

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def push(self, snapshot: Snapshot) -> None:
        """Make ``snapshot`` current and push it to subscribers, like the real coordinator."""
        self._snapshot = snapshot
        for callback in tuple(self._subscribers):
            callback(SnapshotReady(snapshot))


class StaticStore:
    async def test_results(self, connection_id: str, limit: int = 20) -> list[TestResult]:
        return [TestResult(
            connection_id=connection_id, success=True, balance=1234.5, duration_ms=212,
            log=["GET /api/v3/time 200 (18 ms)", "GET /api/v3/account 200 (151 ms)", "balance 1,234.50 USDT"],
            tested_at=FIXED_NOW - timedelta(minutes=5),
        )][:limit]
