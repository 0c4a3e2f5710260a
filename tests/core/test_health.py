"""Health checks, the circuit breaker's open / half-open / close cycle, and the ejection share,
driven by the simulator's fault injection."""

from __future__ import annotations

from cts_tui.core.events import AlertChanged
from cts_tui.errors import ExchangeError

from .helpers import eventually


async def fail_requests(coordinator, connection_id: str, n: int) -> list[str]:
    kinds = []
    for _ in range(n):
        try:
            await coordinator.execute_request("fetch_ticker", "BTC/USDT", exchange_id=connection_id)
        except ExchangeError as exc:
            kinds.append(exc.kind.value)
    return kinds


async def test_periodic_checks_run_and_record(sim, config, tmp_path, draft):
    from cts_tui.core.runtime import open_runtime

    config.health.interval_s, config.health.jitter = 0.2, 0.0
    async with open_runtime(config, tmp_path / "db.sqlite") as rt:
        view = await rt.coordinator.add_connection(draft("binance"), "cli")
        sim.journal.clear()
        await eventually(lambda: len(sim.journal.entries(exchange="binance")) >= 3)
        checked = rt.coordinator.get_connection_health(view.id)
        assert checked.last_check is not None and checked.consecutive_successes >= 2
        assert checked.uptime_pct == 100 and checked.p95_ms is not None and checked.health_score > 80


async def test_breaker_opens_half_opens_and_closes(coordinator, sim, draft):
    view = await coordinator.add_connection(draft("binance"), "cli")
    await sim.set_fault("binance", outage="refused")
    assert await fail_requests(coordinator, view.id, 3) == ["network"] * 3
    opened = coordinator.get_connection(view.id)
    assert opened.breaker == "open" and not opened.healthy and opened.health_score == 0
    assert opened.consecutive_errors == 3
    # An open breaker sends nothing: the request fails fast without reaching the exchange.
    sim.journal.clear()
    assert await fail_requests(coordinator, view.id, 1) == ["exchange_down"]
    assert sim.journal.entries(exchange="binance") == []
    # After the cooldown a probe goes out; while the exchange hangs it stays half-open...
    await sim.set_fault("binance", outage="hang")
    await eventually(lambda: coordinator.get_connection(view.id).breaker == "half_open")
    # ...until the probe times out: open again, for longer.
    await eventually(lambda: coordinator.get_connection(view.id).breaker == "open")
    await sim.clear_faults()
    await eventually(lambda: coordinator.get_connection(view.id).breaker == "closed")
    closed = coordinator.get_connection(view.id)
    assert closed.healthy and closed.consecutive_errors == 0
    assert (await coordinator.execute_request("fetch_ticker", "BTC/USDT", exchange_id=view.id))["symbol"] == "BTC/USDT"


async def test_rate_limit_answers_do_not_open_the_breaker(coordinator, sim, draft):
    coordinator.config.rate_limiting.acquire_timeout_s = 0.2  # fail fast instead of waiting out the pause
    view = await coordinator.add_connection(draft("binance"), "cli")
    await sim.set_fault("binance", rate_limit_storm=True)
    kinds = await fail_requests(coordinator, view.id, 4)
    assert kinds and set(kinds) == {"rate_limited"}
    assert coordinator.get_connection(view.id).breaker == "closed"


async def test_no_more_than_the_share_of_an_exchange_is_ejected(coordinator, sim, draft):
    a = await coordinator.add_connection(draft("binance", "b1"), "cli")
    b = await coordinator.add_connection(draft("binance", "b2", account="readonly"), "cli")
    await sim.set_fault("binance", outage="refused")
    await fail_requests(coordinator, a.id, 4)
    await fail_requests(coordinator, b.id, 4)
    breakers = sorted(coordinator.get_connection(i).breaker for i in (a.id, b.id))
    assert breakers == ["closed", "open"]  # max_ejected_share 0.5 of two connections
    assert coordinator.exchange_health("binance").healthy == 0  # still reported unhealthy


async def test_breaker_alert_fires_and_resolves_once(coordinator, sim, draft, events):
    view = await coordinator.add_connection(draft("binance"), "cli")
    await sim.set_fault("binance", outage="refused")
    await fail_requests(coordinator, view.id, 3)
    await eventually(lambda: any(a.alert.state == "firing" for a in events.of(AlertChanged)))
    await sim.clear_faults()
    await eventually(lambda: any(a.alert.state == "resolved" for a in events.of(AlertChanged)))
    breaker_alerts = [e.alert.state for e in events.of(AlertChanged) if e.alert.rule == "breaker open"]
    assert breaker_alerts == ["firing", "resolved"]
    assert [a.state for a in coordinator.alerts.log()] == ["firing", "resolved"]
