"""Alert rules from the config, evaluated on every snapshot, each firing and resolving once.

Hysteresis: a threshold rule fires when its value crosses the threshold and resolves only when
the value is back past it by a margin (2 points for success rate, 5 points for rate-limit
usage, 10% for latency), so a value hovering at the line does not flap; ``stream_stalled``
resolves only once the stream has been live again for a stall threshold
(``core.streams.stream_down``). A rule's ``for_s`` adds hysteresis in time: a change of verdict
counts only once it has held that long, so a gauge that swings every second does not flap. A
success-rate rule needs at least ``MIN_REQUESTS`` recent
requests before it may fire. Changes go to a bounded log, to the coordinator's subscribers, and
(when ``alerts.webhook_url`` is set) as a JSON POST.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import aiohttp

from cts_tui.config import AlertRule, Alerts
from cts_tui.core.key_policy import KeyAssessment
from cts_tui.core.snapshots import Alert, Snapshot, to_jsonable
from cts_tui.core.streams import stalled_observations

log = logging.getLogger(__name__)

MIN_REQUESTS = 20
_ABSOLUTE_MARGIN = {"success_rate": 2.0, "rate_limit_usage": 5.0}
_RELATIVE_MARGIN = 0.10
WEBHOOK_TIMEOUT_S = 5.0


def _margin(rule: AlertRule, threshold: float) -> float:
    return _ABSOLUTE_MARGIN.get(rule.metric, abs(threshold) * _RELATIVE_MARGIN)


def _observations(rule: AlertRule, snapshot: Snapshot) -> Iterator[tuple[str, float | bool | None]]:
    """(subject, value) pairs the rule looks at; None means "nothing measured yet"."""
    if rule.metric == "breaker_open":
        for conn in snapshot.connections:
            if rule.exchange is None or conn.exchange == rule.exchange:
                yield f"{conn.exchange.value}/{conn.id}", conn.breaker != "closed"
        return
    if rule.metric == "suspect":  # out of rotation: its requests went unanswered
        for conn in snapshot.connections:
            if rule.exchange is None or conn.exchange == rule.exchange:
                yield f"{conn.exchange.value}/{conn.id}", conn.suspect
        return
    if rule.metric in ("key_expiring", "key_permission_added"):
        for conn in snapshot.connections:
            if rule.exchange is None or conn.exchange == rule.exchange:
                yield f"{conn.exchange.value}/{conn.id}", _key_flag(rule.metric, conn.key)
        return
    if rule.metric == "stream_stalled":
        yield from stalled_observations(snapshot.streams, rule.exchange)
        return
    for exchange, view in snapshot.exchanges.items():
        if rule.exchange is not None and exchange != rule.exchange:
            continue
        if rule.metric == "banned":
            yield exchange.value, view.banned
        elif rule.metric == "success_rate":
            enough = view.recent_requests >= MIN_REQUESTS
            yield exchange.value, view.success_rate if enough else None
        elif rule.metric == "p95_latency_ms":
            yield exchange.value, view.p95_ms
        else:
            yield exchange.value, view.rate_limit_usage_pct


def _key_flag(metric: str, key: KeyAssessment | None) -> bool | None:
    """Whether a key expires soon (or has expired) / gained a permission at its last read;
    None before its first read."""
    if key is None or key.profile is None:
        return None
    if metric == "key_expiring":
        return any(r.risk in ("expiring", "expired") for r in key.risks)
    return bool(key.profile.permissions_added)


def _judge(rule: AlertRule, value: float | bool, firing: bool) -> bool:
    """Whether the alert is (still) firing given its value and whether it fired before."""
    if isinstance(value, bool):
        return value
    if rule.above is not None:
        return value > rule.above if not firing else value > rule.above - _margin(rule, rule.above)
    assert rule.below is not None
    return value < rule.below if not firing else value < rule.below + _margin(rule, rule.below)


def _describe(rule: AlertRule, subject: str, value: float | bool) -> str:
    if isinstance(value, bool):
        return f"{rule.name}: {subject}"
    if rule.above is not None:
        return f"{rule.name}: {subject} {rule.metric} {value:.1f} above {rule.above:g}"
    return f"{rule.name}: {subject} {rule.metric} {value:.1f} below {rule.below:g}"


class AlertEngine:
    def __init__(self, settings: Alerts, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._clock = clock
        self._firing: dict[tuple[str, str], Alert] = {}
        self._turning_since: dict[tuple[str, str], float] = {}
        """When each (rule, subject) whose verdict differs from its state first differed."""
        self._log: deque[Alert] = deque(maxlen=settings.log_size)
        self._session: aiohttp.ClientSession | None = None
        self._posts: set[asyncio.Task[None]] = set()

    def reconfigure(self, settings: Alerts) -> None:
        """New rules: alerts of rules that no longer exist are dropped without a resolve."""
        names = {rule.name for rule in settings.rules}
        self._firing = {key: a for key, a in self._firing.items() if key[0] in names}
        self._turning_since = {k: t for k, t in self._turning_since.items() if k[0] in names}
        self._log = deque(self._log, maxlen=settings.log_size)
        self.settings = settings

    def log(self) -> list[Alert]:
        """Every firing and resolving, oldest first (bounded by ``alerts.log_size``)."""
        return list(self._log)

    def firing(self) -> tuple[Alert, ...]:
        return tuple(self._firing.values())

    def evaluate(self, snapshot: Snapshot) -> list[Alert]:
        """The alerts that changed state with this snapshot."""
        changes: list[Alert] = []
        now = datetime.now(UTC)
        mono = self._clock()
        for rule in self.settings.rules:
            for subject, value in _observations(rule, snapshot):
                if value is None:
                    continue
                key = (rule.name, subject)
                was_firing = key in self._firing
                firing = _judge(rule, value, was_firing)
                if firing == was_firing:
                    self._turning_since.pop(key, None)
                    continue
                if mono - self._turning_since.setdefault(key, mono) < rule.for_s:
                    continue
                del self._turning_since[key]
                message = _describe(rule, subject, value)
                alert = Alert(at=now, rule=rule.name, subject=subject,
                              state="firing" if firing else "resolved", message=message)
                if firing:
                    self._firing[key] = alert
                else:
                    del self._firing[key]
                self._log.append(alert)
                changes.append(alert)
                self._post(alert)
        return changes

    def _post(self, alert: Alert) -> None:
        if not self.settings.webhook_url:
            return
        task = asyncio.create_task(self._send(self.settings.webhook_url, alert))
        self._posts.add(task)
        task.add_done_callback(self._posts.discard)

    async def _send(self, url: str, alert: Alert) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_S))
        try:
            async with self._session.post(url, json=to_jsonable(alert)) as response:
                if response.status >= 400:
                    log.warning("alert webhook answered HTTP %s", response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("alert webhook failed: %s", exc.__class__.__name__)

    async def close(self) -> None:
        """Let pending webhook posts finish (each is bounded by its timeout), then close."""
        if self._posts:
            await asyncio.gather(*self._posts, return_exceptions=True)
        if self._session is not None:
            with contextlib.suppress(Exception):
                await self._session.close()
            self._session = None
