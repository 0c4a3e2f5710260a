"""Market streams folded into the coordinator: health score, the stream_stalled alert, metrics.

The streams run against the simulator's WebSocket side; a stall is the simulator's ``stall``
fault (socket open, heartbeats answered, nothing pushed).
"""

from __future__ import annotations

import pytest
from prometheus_client import generate_latest

from cts_tui.capabilities import ExchangeId
from cts_tui.config import Config, Streams
from cts_tui.core.events import AlertChanged
from cts_tui.core.health import health_score
from cts_tui.core.streams import DEGRADED_STREAM_FACTOR, stream_down, stream_factor
from cts_tui.views.streams import StreamState, StreamView

from .helpers import eventually, fast_config

STREAMED = ("binance", "pionex")
STALL_AFTER_S = 1.0


def streams_settings(sim, *exchanges: str) -> Streams:
    """Streams of `exchanges` only, against the simulator; a stall is not reconnected, so the
    stream stays stalled exactly as long as the fault lasts."""
    fields: dict[str, object] = {
        "enabled": True, "stall_after_s": STALL_AFTER_S, "reconnect_after_stall": False,
        "reconnect_min_s": 0.05, "reconnect_max_s": 0.2,
    }
    for exchange in ExchangeId:
        streamed = exchange.value in exchanges
        fields[exchange.value] = {"enabled": streamed, "symbols": ["BTC/USDT"],
                                  "hosts": sim.hosts(exchange.value) if streamed else {}}
    return Streams.model_validate(fields)


@pytest.fixture
def config(sim) -> Config:
    sim.streams.set_interval(0.05)
    config = fast_config()
    config.streams = streams_settings(sim, *STREAMED)
    return config


def _view(state: StreamState, since: float, threshold: float = 1.0) -> StreamView:
    return StreamView(
        exchange="binance", transport="ccxt.pro", url="ws://x", symbols=("BTC/USDT",), state=state, since=since,
        messages=1, messages_per_s=1.0, last_message_age_s=0.1, lateness_p50_ms=None, lateness_p99_ms=None,
        stall_threshold_s=threshold, stalls=0, reconnects=0, malformed=0, last_error=None,
    )


def test_only_a_stalled_or_reconnecting_stream_lowers_the_score():
    assert stream_factor(None) == stream_factor(StreamState.LIVE) == stream_factor(StreamState.CONNECTING) == 1
    assert stream_factor(StreamState.STALLED) == stream_factor(StreamState.RECONNECTING) == DEGRADED_STREAM_FACTOR


def test_the_alert_resolves_only_after_a_whole_threshold_live():
    now = 1000.0
    assert stream_down(_view(StreamState.STALLED, now), now) is True
    assert stream_down(_view(StreamState.RECONNECTING, now), now) is True
    assert stream_down(_view(StreamState.LIVE, now - 0.5), now) is None  # live again, not long enough
    assert stream_down(_view(StreamState.LIVE, now - 1.0), now) is False
    assert stream_down(_view(StreamState.CONNECTING, now - 60), now) is None
    assert stream_down(_view(StreamState.CLOSED, now - 60), now) is None


async def test_a_stalled_stream_lowers_the_score_and_fires_then_resolves_the_alert_once(
    coordinator, draft, sim, events
):
    view = await coordinator.add_connection(draft("binance"), "cli")
    other = await coordinator.add_connection(draft("htx"), "cli")
    await eventually(lambda: _state(coordinator, "binance") is StreamState.LIVE, timeout=15)
    assert _scored_with(coordinator, view.id) == 1.0

    sim.streams.set_fault("binance", stall=True)
    await eventually(lambda: _state(coordinator, "binance") is StreamState.STALLED)
    assert _scored_with(coordinator, view.id) == DEGRADED_STREAM_FACTOR
    assert coordinator.get_connection(view.id).healthy  # its key still works: it stays in rotation
    assert _scored_with(coordinator, other.id) == 1.0  # htx has no stream
    await eventually(lambda: _stream_alerts(events, "firing"))
    assert [a.subject for a in coordinator.snapshot().alerts if a.rule == "stream stalled"] == ["binance"]

    sim.streams.clear_faults("binance")
    await eventually(lambda: _stream_alerts(events, "resolved"))
    assert _scored_with(coordinator, view.id) == 1.0
    assert [a.state for a in _all_stream_alerts(events)] == ["firing", "resolved"]
    assert coordinator.snapshot().stream("pionex").state is StreamState.LIVE  # the other stream never stalled


async def test_streams_are_in_the_snapshot_per_exchange_and_in_the_metrics(coordinator, draft):
    await coordinator.add_connection(draft("binance"), "cli")
    await eventually(lambda: all(_state(coordinator, ex) is StreamState.LIVE for ex in STREAMED), timeout=15)
    snapshot = coordinator.snapshot()
    assert sorted(s.exchange for s in snapshot.streams) == sorted(STREAMED)
    assert snapshot.exchanges[ExchangeId.BINANCE].stream.exchange == "binance"
    assert snapshot.exchanges[ExchangeId.HTX].stream is None
    exposition = generate_latest(coordinator.metrics.registry).decode()
    assert 'cts_stream_state{exchange="binance",state="live"} 1.0' in exposition
    assert 'cts_stream_state{exchange="binance",state="stalled"} 0.0' in exposition
    messages = _sample(exposition, 'cts_stream_messages_total{exchange="pionex"}')
    assert messages >= 1
    assert 'cts_stream_reconnects_total{exchange="binance"} 0.0' in exposition
    assert 'cts_stream_lateness_seconds{exchange="binance",quantile="0.99"}' in exposition


async def test_a_reload_that_turns_streams_off_closes_them(coordinator):
    await eventually(lambda: len(coordinator.snapshot().streams) == len(STREAMED), timeout=15)
    config = coordinator.config.model_copy(deep=True)
    config.streams = config.streams.model_copy(update={"enabled": False})
    await coordinator.reload_config(config)
    assert coordinator.snapshot().streams == ()
    assert "cts_stream_state{" not in generate_latest(coordinator.metrics.registry).decode()


def _scored_with(coordinator, connection_id: str) -> float:
    """The stream factor S that the connection's score was computed with (the other factors
    come from the view's own figures, which traffic may move)."""
    view = coordinator.get_connection(connection_id)
    figures = dict(uptime_pct=view.uptime_pct, latency_ms=view.latency_ms, usage_pct=view.rate_limit_usage_pct,
                   consecutive_errors=view.consecutive_errors, threshold=coordinator.config.health.breaker_threshold,
                   breaker_closed=view.breaker == "closed")
    candidates = (1.0, DEGRADED_STREAM_FACTOR)
    matching = [s for s in candidates if health_score(**figures, stream=s) == view.health_score]
    assert len(matching) == 1, (view.health_score, [health_score(**figures, stream=s) for s in candidates])
    return matching[0]


def _state(coordinator, exchange: str) -> StreamState | None:
    stream = coordinator.snapshot().stream(exchange)
    return None if stream is None else stream.state


def _all_stream_alerts(events) -> list:
    return [e.alert for e in events.of(AlertChanged) if e.alert.rule == "stream stalled"]


def _stream_alerts(events, state: str) -> list:
    return [a for a in _all_stream_alerts(events) if a.state == state]


def _sample(exposition: str, name: str) -> float:
    line = next(line for line in exposition.splitlines() if line.startswith(name + " "))
    return float(line.rsplit(" ", 1)[1])
