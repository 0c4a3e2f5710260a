"""Alert rules: firing and resolving once each, with hysteresis, a bounded log and a webhook."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiohttp import web

from cts_tui.config import AlertRule, Alerts
from cts_tui.core.alerts import AlertEngine
from cts_tui.core.snapshots import BatchStats, ExchangeView, Snapshot, Totals
from cts_tui.models import ExchangeId


def snapshot(*, success_rate=100.0, recent=100, p95=50.0, usage=10.0, banned=False) -> Snapshot:
    view = ExchangeView(
        exchange=ExchangeId.BINANCE, connections=1, active=1, healthy=1, usage=None,
        rate_limit_usage_pct=usage, requests=recent, successes=recent, failures_by_kind={},
        success_rate=success_rate, recent_requests=recent, requests_per_s=1.0, p50_ms=p95 / 2,
        p95_ms=p95, breakers_open=0, banned=banned, pool={},
    )
    totals = Totals(1, 1, 1, 0, success_rate, recent, 1.0, 100.0, 20.0)
    return Snapshot(datetime.now(UTC), (), {ExchangeId.BINANCE: view}, totals, (), "round_robin",
                    BatchStats(0, 0, 0, 0, 0))


def states(changes) -> list[str]:
    return [a.state for a in changes]


def test_success_rate_fires_once_and_resolves_only_past_the_margin():
    engine = AlertEngine(Alerts(rules=[AlertRule(name="low", metric="success_rate", below=95)]))
    assert engine.evaluate(snapshot(success_rate=99)) == []
    assert states(engine.evaluate(snapshot(success_rate=90))) == ["firing"]
    assert engine.evaluate(snapshot(success_rate=80)) == []  # still firing: no second alert
    assert engine.evaluate(snapshot(success_rate=96)) == []  # back over 95 but inside the margin
    changes = engine.evaluate(snapshot(success_rate=97.5))
    assert states(changes) == ["resolved"]
    assert changes[0].subject == "binance" and "success_rate" in changes[0].message
    assert [a.state for a in engine.log()] == ["firing", "resolved"]


def test_success_rate_needs_enough_requests_to_judge():
    engine = AlertEngine(Alerts(rules=[AlertRule(name="low", metric="success_rate", below=95)]))
    assert engine.evaluate(snapshot(success_rate=0, recent=3)) == []


def test_latency_usage_and_ban_rules():
    rules = [
        AlertRule(name="slow", metric="p95_latency_ms", above=1000),
        AlertRule(name="hot", metric="rate_limit_usage", above=85),
        AlertRule(name="ban", metric="banned"),
    ]
    engine = AlertEngine(Alerts(rules=rules))
    fired = engine.evaluate(snapshot(p95=1500, usage=90, banned=True))
    assert sorted(a.rule for a in fired) == ["ban", "hot", "slow"]
    assert engine.evaluate(snapshot(p95=950, usage=82, banned=True)) == []  # inside both margins
    resolved = engine.evaluate(snapshot(p95=850, usage=70, banned=False))
    assert sorted(a.rule for a in resolved) == ["ban", "hot", "slow"]
    assert {a.state for a in resolved} == {"resolved"}
    assert len(engine.firing()) == 0


def test_the_log_is_bounded():
    engine = AlertEngine(Alerts(rules=[AlertRule(name="ban", metric="banned")], log_size=3))
    for i in range(5):
        engine.evaluate(snapshot(banned=i % 2 == 0))
    assert len(engine.log()) == 3


async def test_changes_are_posted_to_the_webhook():
    received: list[dict] = []
    arrived = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        arrived.set()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    engine = AlertEngine(Alerts(rules=[AlertRule(name="ban", metric="banned")],
                                webhook_url=f"http://127.0.0.1:{port}/hook"))
    try:
        engine.evaluate(snapshot(banned=True))
        await asyncio.wait_for(arrived.wait(), 5)
    finally:
        await engine.close()
        await runner.cleanup()
    assert received == [{
        "at": received[0]["at"], "rule": "ban", "subject": "binance", "state": "firing",
        "message": "ban: binance",
    }]


def test_for_s_keeps_a_swinging_gauge_from_flapping():
    now = [0.0]
    rule = AlertRule(name="hot", metric="rate_limit_usage", above=85, for_s=10)
    engine = AlertEngine(Alerts(rules=[rule]), clock=lambda: now[0])
    for second in range(30):  # 100% and 16% in turns: above the line half the time
        now[0] = float(second)
        assert engine.evaluate(snapshot(usage=16 if second % 2 else 100)) == []
    for second in range(30, 40):  # held above for 10 s: fires once
        now[0] = float(second)
        assert engine.evaluate(snapshot(usage=95)) == []
    now[0] = 40.0
    assert states(engine.evaluate(snapshot(usage=95))) == ["firing"]
    now[0] = 41.0
    assert engine.evaluate(snapshot(usage=10)) == []  # clear, but not for long enough yet
    now[0] = 45.0
    assert engine.evaluate(snapshot(usage=95)) == []  # back above: the clear spell starts over
    for second in (46, 50, 55):
        now[0] = float(second)
        assert engine.evaluate(snapshot(usage=10)) == []
    now[0] = 56.0
    assert states(engine.evaluate(snapshot(usage=10))) == ["resolved"]
