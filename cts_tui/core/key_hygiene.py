"""Each connection's key facts kept current, and the policy's verdict on them kept at hand.

Facts arrive from a connection test (every test asks the exchange), from a read on demand, and
from other processes through the store's change feed; each is stored with when it was read.
The verdict depends on the clock too (an expiry comes closer, a key goes unused), so all of it is
worked out again once a second; a key read meanwhile is judged again at
once, alone, so that a batch test of many keys does not judge every key at every result.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily, Metric

from cts_tui.config import Keys
from cts_tui.core.key_policy import KeyAssessment, KeySubject, assess
from cts_tui.core.managed import ManagedConnection
from cts_tui.key_facts import KeyFacts, KeyProfile
from cts_tui.models import Connection
from cts_tui.store import ConnectionStore

REASSESS_S = 1.0

Subjects = Callable[[], Iterable[ManagedConnection]]
"""The coordinator's connections."""


def fingerprint(connection: Connection) -> str:
    """Equal for the same key stored twice for one exchange, API type and network; a digest,
    so that nothing secret is compared or kept."""
    text = "|".join((connection.exchange.value, connection.api_type.value, str(connection.is_testnet),
                     connection.api_key.get_secret_value()))
    return hashlib.sha256(text.encode()).hexdigest()


def profile_of(connection: Connection, facts: KeyFacts, read_at: datetime, previous: KeyProfile | None) -> KeyProfile:
    before = previous.permissions if previous is not None else None
    added = sorted(set(facts.permissions or ()) - set(before)) if before is not None else []
    return KeyProfile(**facts.model_dump(), connection_id=connection.id, exchange=connection.exchange.value,
                      read_at=read_at, permissions_added=added)


class KeyHygiene:
    def __init__(
        self, store: ConnectionStore, settings: Callable[[], Keys], subjects: Subjects, on_change: Callable[[], None]
    ) -> None:
        """``on_change`` is called whenever the verdict may have changed (a new snapshot is due)."""
        self._store = store
        self._on_change = on_change
        self._settings = settings
        self._subjects = subjects
        self._profiles: dict[str, KeyProfile] = {}
        self._assessed: dict[str, KeyAssessment] = {}
        self._due = 0.0
        self._stale: set[str] = set()
        """Connections read since the last verdict (judged again alone, before the next full one)."""

    async def load(self) -> None:
        self._profiles = await self._store.key_profiles()
        self.changed()

    def changed(self, connection_id: str | None = None) -> None:
        """One key's facts changed (``connection_id``), or connections or settings did (None):
        the next look judges that key, or everything, again."""
        if connection_id is None:
            self._due = 0.0
        else:
            self._stale.add(connection_id)
        self._on_change()

    def profile(self, connection_id: str) -> KeyProfile | None:
        return self._profiles.get(connection_id)

    async def record(self, connection: Connection, facts: KeyFacts, read_at: datetime | None = None) -> KeyProfile:
        profile = profile_of(connection, facts, read_at or datetime.now(UTC), self._profiles.get(connection.id))
        await self._store.record_key_profile(profile)
        self._profiles[connection.id] = profile
        self.changed(connection.id)
        return profile

    async def reload(self, connection_id: str) -> None:
        """Another process read this key (or the connection went away)."""
        found = await self._store.key_profiles(connection_id)
        if connection_id in found:
            self._profiles[connection_id] = found[connection_id]
        else:
            self._profiles.pop(connection_id, None)
        self.changed(connection_id)

    def forget(self, connection_id: str) -> None:
        self._profiles.pop(connection_id, None)
        self.changed()

    def assessments(self) -> dict[str, KeyAssessment]:
        """Connection id -> its key's risks, at most a second old (a key read since: judged now)."""
        now = time.monotonic()
        if now >= self._due:
            only = None
            self._due = now + REASSESS_S
        elif self._stale:
            only = self._stale
        else:
            return self._assessed
        subjects = [self._subject(entry) for entry in self._subjects()]
        judged = assess(subjects, self._settings(), datetime.now(UTC), only)
        self._assessed = judged if only is None else {**self._assessed, **judged}
        self._stale = set()
        return self._assessed

    def _subject(self, entry: ManagedConnection) -> KeySubject:
        conn = entry.connection
        used = [conn.created_at]
        if entry.last_test is not None and entry.last_test.success:
            used.append(entry.last_test.at)
        if entry.stats.last_check is not None and entry.stats.consecutive_errors == 0:
            used.append(entry.stats.last_check)
        return KeySubject(
            connection_id=conn.id, name=conn.name, exchange=conn.exchange.value, api_type=conn.api_type.value,
            intended_use=conn.intended_use, fingerprint=fingerprint(conn), last_used=max(used),
            profile=self._profiles.get(conn.id),
        )

    def describe(self) -> list[Metric]:
        return []  # a prometheus collector whose families are made per scrape

    def collect(self) -> Iterable[Metric]:
        """``cts_key_risk`` and ``cts_key_expiry_seconds``, read at scrape time."""
        risk = GaugeMetricFamily(
            "cts_key_risk", "A risk of a connection's key, by its severity: 1 info ... 5 critical",
            labels=["connection", "risk"],
        )
        expiry = GaugeMetricFamily(
            "cts_key_expiry_seconds", "Seconds until a connection's key expires (negative: expired)",
            labels=["connection"],
        )
        for connection_id, assessed in sorted(self.assessments().items()):
            for found in assessed.risks:
                risk.add_metric([connection_id, found.risk], found.severity.rank)
            if assessed.expires_in_s is not None:
                expiry.add_metric([connection_id], assessed.expires_in_s)
        return [risk, expiry]

