"""The coordinator's side of the live market streams (`cts_tui.streams`).

A REST check every few minutes says a key works; a market stream says, second by second,
whether the exchange is alive. When ``config.streams.enabled`` the coordinator owns one
`StreamMonitor` through `CoordinatorStreams` (started and closed with it, restarted when the
``streams`` section changes on reload), and every stream state change marks its snapshot dirty.
The streams then count in three places:

- health: `stream_factor` is the S of the score formula in `cts_tui.core.health` (a stalled or
  reconnecting stream lowers the score of every connection of its exchange);
- alerts: `stalled_observations` feeds the ``stream_stalled`` rule (`cts_tui.core.alerts`);
- metrics: `StreamCollector` reads the streams at scrape time into the coordinator's registry.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator, Mapping

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from cts_tui.capabilities import ExchangeId
from cts_tui.config import Streams
from cts_tui.core.snapshots import ExchangeView
from cts_tui.streams import StreamMonitor
from cts_tui.venues import VENUES
from cts_tui.views.streams import StreamState, StreamView

DEGRADED_STREAM_FACTOR = 0.6
"""S while the exchange's stream is stalled or reconnecting: a connection that was at 95 drops
to 57, out of the healthy colour band, while keeping its place in rotation (REST still works)."""
_DOWN = frozenset({StreamState.STALLED, StreamState.RECONNECTING})
WHOLE_SECOND_CLOCKS = frozenset(venue.id.value for venue in VENUES.values() if venue.whole_second_clock)
"""Exchanges whose server time (ccxt ``fetch_time``) comes in whole seconds: the hub's offset for them is off by up to a second, which
would swamp a lateness of tens of milliseconds, so their lateness is left uncorrected."""


def stream_factor(state: StreamState | None) -> float:
    """S in the health score: 1 with no stream, a live one, or one still making its first
    connection (nothing measured yet); `DEGRADED_STREAM_FACTOR` while stalled or reconnecting."""
    return DEGRADED_STREAM_FACTOR if state in _DOWN else 1.0


def stream_down(view: StreamView, now: float) -> bool | None:
    """The ``stream_stalled`` alert's value, with hysteresis: True while stalled or reconnecting;
    False only once live again for a whole stall threshold, so a stream hovering at its threshold
    does not flap; None (no verdict, the alert keeps its state) in between, while connecting and
    once closed."""
    if view.state in _DOWN:
        return True
    if view.state is StreamState.LIVE and now - view.since >= view.stall_threshold_s:
        return False
    return None


def stalled_observations(
    streams: Iterable[StreamView], exchange: ExchangeId | None, now: float | None = None
) -> Iterator[tuple[str, bool | None]]:
    """(exchange, `stream_down`) for the alert engine, limited to one exchange if given."""
    now = time.time() if now is None else now
    for view in streams:
        if exchange is None or view.exchange == exchange.value:
            yield view.exchange, stream_down(view, now)


def with_streams(
    exchanges: Mapping[ExchangeId, ExchangeView], streams: Iterable[StreamView]
) -> dict[ExchangeId, ExchangeView]:
    """The exchange views, each carrying its exchange's stream (if it has one)."""
    by_exchange = {view.exchange: view for view in streams}
    if not by_exchange:
        return dict(exchanges)
    return {
        ex: dataclasses.replace(view, stream=by_exchange[ex.value]) if ex.value in by_exchange else view
        for ex, view in exchanges.items()
    }


class CoordinatorStreams:
    """The coordinator's `StreamMonitor`, or nothing while ``streams.enabled`` is false.

    Each exchange's current state is kept from the monitor's change callbacks, so `factor` is a
    dictionary lookup: the connection views ask for it every time they are built.
    """

    def __init__(self, clock_offset_ms: Callable[[str], float | None], on_change: Callable[[], None]) -> None:
        self._hub_offset_ms = clock_offset_ms
        self._on_change = on_change
        self._monitor: StreamMonitor | None = None
        self._settings: Streams | None = None
        self._states: dict[str, StreamState] = {}
        self.collector = StreamCollector(self.views)

    @property
    def enabled(self) -> bool:
        return self._monitor is not None

    async def start(self, settings: Streams) -> None:
        self._settings = settings
        if not settings.enabled:
            return
        monitor = StreamMonitor(settings, clock_offset_ms=self._clock_offset_ms)
        monitor.subscribe(self._changed)
        await monitor.start()
        self._monitor = monitor
        self._states = {view.exchange: view.state for view in monitor.snapshot()}
        self._on_change()

    async def reconfigure(self, settings: Streams) -> None:
        """A changed ``streams`` section restarts the streams (new symbols, URLs or policy)."""
        if settings == self._settings:
            return
        await self.close()
        await self.start(settings)

    async def close(self) -> None:
        monitor, self._monitor = self._monitor, None
        if monitor is not None:
            await monitor.close()
        self._states.clear()
        self._on_change()

    def views(self) -> tuple[StreamView, ...]:
        return () if self._monitor is None else self._monitor.snapshot()

    def view(self, exchange: ExchangeId | str) -> StreamView | None:
        """The exchange's stream, None when it has none."""
        name = ExchangeId(exchange).value
        if self._monitor is None or name not in self._states:
            return None
        return self._monitor.stream(name)

    def factor(self, exchange: ExchangeId) -> float:
        return stream_factor(self._states.get(exchange.value))

    def _clock_offset_ms(self, exchange: str) -> float | None:
        """The hub's offset of the exchange's clock, where it is known to better than a second."""
        return None if exchange in WHOLE_SECOND_CLOCKS else self._hub_offset_ms(exchange)

    def _changed(self, view: StreamView) -> None:
        if self._monitor is not None:
            self._states[view.exchange] = view.state
        self._on_change()


class StreamCollector:
    """Prometheus families built from the stream views at scrape time (label: exchange).

    Counters restart from zero when the streams restart on a reload; Prometheus reads that as a
    counter reset, as it does for a process restart.
    """

    def __init__(self, views: Callable[[], tuple[StreamView, ...]]) -> None:
        self._views = views

    def collect(self) -> Iterator[Metric]:
        views = self._views()
        state = GaugeMetricFamily(
            "cts_stream_state", "Market stream state: 1 for the state the stream is in, 0 for the others",
            labels=["exchange", "state"],
        )
        messages = CounterMetricFamily("cts_stream_messages", "Ticker messages received", labels=["exchange"])
        reconnects = CounterMetricFamily("cts_stream_reconnects", "Stream reconnects", labels=["exchange"])
        stalls = CounterMetricFamily("cts_stream_stalls", "Times the stream went silent past its threshold",
                                     labels=["exchange"])
        malformed = CounterMetricFamily("cts_stream_malformed_frames", "Frames that could not be read",
                                        labels=["exchange"])
        rate = GaugeMetricFamily("cts_stream_messages_per_second", "Recent message rate", labels=["exchange"])
        age = GaugeMetricFamily("cts_stream_last_message_age_seconds", "Time since the last message",
                                labels=["exchange"])
        lateness = GaugeMetricFamily(
            "cts_stream_lateness_seconds", "Receipt minus exchange event time (clock offset corrected)",
            labels=["exchange", "quantile"],
        )
        for view in views:
            ex = view.exchange
            for candidate in StreamState:
                state.add_metric([ex, candidate.value], 1.0 if view.state is candidate else 0.0)
            messages.add_metric([ex], view.messages)
            reconnects.add_metric([ex], view.reconnects)
            stalls.add_metric([ex], view.stalls)
            malformed.add_metric([ex], view.malformed)
            rate.add_metric([ex], view.messages_per_s)
            if view.last_message_age_s is not None:
                age.add_metric([ex], view.last_message_age_s)
            for quantile, value in (("0.5", view.lateness_p50_ms), ("0.99", view.lateness_p99_ms)):
                if value is not None:
                    lateness.add_metric([ex, quantile], value / 1000)
        yield from (state, messages, reconnects, stalls, malformed, rate, age, lateness)
