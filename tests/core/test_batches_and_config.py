"""Batches against the simulator (failures, timeouts, cancellation, TTL purge), snapshot
coalescing, Prometheus metrics, and configuration reload."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest
from prometheus_client import generate_latest

from cts_tui.core.events import BatchFinished, BatchProgress, ConfigReloaded, SnapshotReady
from cts_tui.errors import ConfigError, CtsError, ErrorKind, ExchangeError

from .helpers import eventually


async def some_connections(coordinator, draft) -> list[str]:
    ids = []
    for exchange in ("binance", "htx", "kraken", "pionex"):
        for account in ("main", "readonly"):
            view = await coordinator.add_connection(draft(exchange, f"{exchange}-{account}", account=account), "cli")
            ids.append(view.id)
    return ids


async def test_batch_test_reports_the_spec_shape_and_persists(coordinator, runtime, draft, events):
    ids = await some_connections(coordinator, draft)
    bad = await coordinator.add_connection(draft("binance", "bad", api_secret="wrong-secret-123"), "cli")
    result = await coordinator.test_connections([*ids, bad.id])
    wire = result.wire()
    assert (wire["totalConnections"], wire["successful"], wire["failed"]) == (9, 8, 1)
    assert wire["success"] is True and isinstance(wire["duration"], int)  # the batch ran
    assert wire["results"][bad.id] == {"success": False, "error": result.results[bad.id].error, "errorKind": "auth"}
    assert wire["results"][ids[0]]["success"] is True and wire["results"][ids[0]]["balance"] is not None
    assert [e.done for e in events.of(BatchProgress) if e.batch_id == result.batch_id] == list(range(1, 10))
    assert events.of(BatchFinished)[-1].result.batch_id == result.batch_id
    stored = await coordinator.get_batch(result.batch_id)
    assert stored is not None and stored.wire() == wire
    assert coordinator.snapshot().batch.completed >= 8


async def test_batch_tasks_time_out_and_other_kinds_run(coordinator, sim, draft):
    ids = await some_connections(coordinator, draft)
    # Pionex's public budget at LOW priority (3 weight/s, markets cost 5) makes its second
    # connection wait about a second for its clock sync: not what this timeout is about.
    timed = [view.id for view in coordinator.get_all_connections() if view.exchange != "pionex"]
    coordinator.config.batch.task_timeout_s = 1.0
    await sim.set_fault("kraken", latency_ms=3000)
    result = await coordinator.start_batch(timed, kind="balance").result()
    kraken = [v.id for v in coordinator.get_connections_by_exchange("kraken")]
    assert {cid for cid, r in result.results.items() if not r.success} == set(kraken)
    assert {result.results[cid].error_kind for cid in kraken} == {"timeout"}
    await sim.clear_faults()
    health = await coordinator.start_batch(ids[:2], kind="health").result()
    assert health.successful == 2
    perms = await coordinator.start_batch(ids[:2], kind="capabilities").result()
    assert perms.results[ids[0]].permissions


async def test_a_batch_can_be_cancelled(coordinator, sim, draft):
    ids = await some_connections(coordinator, draft)
    await sim.set_fault("binance", latency_ms=3000)
    await sim.set_fault("htx", latency_ms=3000)
    await sim.set_fault("kraken", latency_ms=3000)
    await sim.set_fault("pionex", latency_ms=3000)
    job = coordinator.start_batch(ids, kind="balance")
    await eventually(lambda: coordinator.snapshot().batch.running > 0)
    job.cancel()
    result = await asyncio.wait_for(job.result(), 2)
    assert result.failed == len(ids) and {r.error for r in result.results.values()} == {"cancelled"}
    await sim.clear_faults()


async def test_batch_results_expire(coordinator, config, draft):
    ids = await some_connections(coordinator, draft)
    coordinator.config.batch.result_ttl_s = 0.2
    result = await coordinator.test_connections(ids[:1])
    assert await coordinator.get_batch(result.batch_id) is not None
    await asyncio.sleep(0.3)
    assert await coordinator.purge_expired() == 1
    assert await coordinator.get_batch(result.batch_id) is None


async def test_batches_are_bounded_and_ids_checked(coordinator, draft):
    with pytest.raises(CtsError, match="no connection with id nope"):
        coordinator.start_batch(["nope"])
    coordinator.config.batch.max_per_request = 2
    ids = await some_connections(coordinator, draft)
    with pytest.raises(CtsError, match="at most 2"):
        coordinator.start_batch(ids)


async def test_snapshots_are_pushed_at_most_ten_times_a_second(coordinator, draft, events):
    await some_connections(coordinator, draft)
    loop = asyncio.get_running_loop()
    started = loop.time()
    before = len(events.of(SnapshotReady))
    while loop.time() - started < 1.0:  # steady traffic, well inside binance's limits
        await coordinator.execute_request("fetch_ticker", "BTC/USDT", exchange_id="binance")
        await asyncio.sleep(0.02)
    pushed = len(events.of(SnapshotReady)) - before
    assert 2 <= pushed <= 11  # coalesced, never one per request (about 40 were sent)
    last = events.of(SnapshotReady)[-1].snapshot
    assert last.totals.requests > 0 and last.totals.connections == 8


async def test_with_nobody_subscribed_snapshots_only_serve_alerts_once_a_second(coordinator, draft):
    """A headless coordinator does not build ten snapshots a second for nobody; the first
    subscriber gets one at once."""
    await some_connections(coordinator, draft)
    built = 0
    build = coordinator.snapshot

    def counting():
        nonlocal built
        built += 1
        return build()

    coordinator.snapshot = counting
    loop = asyncio.get_running_loop()
    started = loop.time()
    while loop.time() - started < 1.0:
        await coordinator.execute_request("fetch_ticker", "BTC/USDT", exchange_id="binance")
        await asyncio.sleep(0.02)
    assert built <= 3  # about one a second (a subscriber would have had about ten)
    arrived = asyncio.Event()
    coordinator.subscribe(lambda event: arrived.set() if isinstance(event, SnapshotReady) else None)
    await coordinator.execute_request("fetch_ticker", "BTC/USDT", exchange_id="binance")
    await asyncio.wait_for(arrived.wait(), 0.5)


async def test_prometheus_metrics(coordinator, draft):
    ids = await some_connections(coordinator, draft)
    await coordinator.execute_request("fetch_ticker", "BTC/USDT", exchange_id=ids[0])
    active = b'cts_connections{exchange="binance",state="active"} 2.0'
    await eventually(lambda: active in generate_latest(coordinator.metrics.registry))  # a snapshot after the adds
    text = generate_latest(coordinator.metrics.registry).decode()
    assert "cts_breaker_state" in text and f'cts_requests_in_flight{{connection="{ids[0]}",exchange="binance"}} 0.0' in text
    assert f'cts_requests_total{{connection="{ids[0]}",exchange="binance"}}' in text
    assert "cts_request_latency_seconds_bucket" in text
    assert "cts_rate_limit_usage_ratio" in text


async def test_reload_applies_new_settings_and_refuses_a_bad_file(coordinator, tmp_path, events):
    path = tmp_path / "cts.yaml"
    path.write_text("load_balancing:\n  strategy: least_latency\nhealth:\n  interval_s: 120\n")
    await coordinator.reload_config(path)
    assert coordinator.strategy == "least_latency" and coordinator.config.health.interval_s == 120
    path.write_text("load_balancing:\n  strategy: fastest\n")
    with pytest.raises(ConfigError, match="strategy"):
        await coordinator.reload_config(path)
    assert coordinator.strategy == "least_latency" and coordinator.config.health.interval_s == 120


async def test_a_reload_applies_request_timeouts_and_the_pool_size_to_the_next_request(coordinator, sim, draft):
    view = await coordinator.add_connection(draft("binance"), "cli")
    before = coordinator.hub.pool_stats()["per_host_limit"]
    new = coordinator.config.model_copy(deep=True)
    new.limits("binance").max_concurrent = before + 30
    new.limits("binance").timeout_ms = 300
    await coordinator.reload_config(new)
    assert coordinator.hub.pool_stats()["per_host_limit"] == before + 30
    await sim.set_fault("binance", latency_ms=1500)
    started = time.monotonic()
    with pytest.raises(ExchangeError) as caught:
        await coordinator.execute_request("fetch_ticker", "BTC/USDT", exchange_id=view.id)
    assert caught.value.kind is ErrorKind.TIMEOUT and time.monotonic() - started < 1.2
    await sim.clear_faults()
    assert (await coordinator.execute_request("fetch_ticker", "BTC/USDT", exchange_id=view.id))["last"]


async def test_reload_on_file_change_and_on_sighup(coordinator, tmp_path, events):
    path = tmp_path / "cts.yaml"
    path.write_text("load_balancing:\n  strategy: failover\n")
    coordinator.watch_config(path)
    path.write_text("load_balancing:\n  strategy: round_robin\n")
    await eventually(lambda: coordinator.strategy == "round_robin")
    assert events.of(ConfigReloaded)[-1].source == "file"
    path.write_text("alerts:\n  log_size: -1\n")
    await eventually(lambda: events.of(ConfigReloaded)[-1].error is not None)
    assert "log_size" in events.of(ConfigReloaded)[-1].error and coordinator.strategy == "round_robin"
    path.write_text("load_balancing:\n  strategy: least_connections\n")
    os.kill(os.getpid(), signal.SIGHUP)
    await eventually(lambda: coordinator.strategy == "least_connections")
    assert any(e.source == "SIGHUP" for e in events.of(ConfigReloaded))


async def test_a_rate_limited_batch_test_waits_its_turn_and_runs_again(coordinator, sim, draft):
    """A 429 says "later", not "broken": the test goes back in the queue (the limiter has paused
    the exchange meanwhile) and passes once the exchange takes requests again."""
    view = await coordinator.add_connection(draft("htx", enabled=False), "cli")
    await sim.set_fault("htx", rate_limit_storm=True)
    job = coordinator.start_batch([view.id])
    await eventually(lambda: any(e.outcome == "fault:rate_limit_storm" for e in sim.journal))
    await sim.clear_faults()
    result = await job.result()
    assert result.successful == 1 and result.results[view.id].success
    outcomes = [e.outcome for e in sim.journal if e.exchange == "htx"]
    assert "fault:rate_limit_storm" in outcomes and outcomes[-1] == "ok"
