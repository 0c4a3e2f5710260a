"""The key hygiene policy: which risks a connection's key carries, how bad each is, and how to
fix it at the exchange.

Pure: it looks at what the exchange last reported about each key (``KeyProfile``), what the key
is meant for, when it was last used and which keys are stored twice, and at nothing else, so that
the CLI, the REST API, the metrics and the screens all judge alike. Only what the exchange
reported is judged: a property it does not report is said to be unknown, never flagged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cts_tui.config import Keys
from cts_tui.key_facts import IntendedUse, KeyProfile, Severity, exchange_title

# What a monitor key needs: reading. Anything else it may do is beyond its use.
MONITOR_PERMISSIONS = frozenset({"read"})


@dataclass(frozen=True, slots=True)
class KeyRisk:
    risk: str
    """One of the names in ``config.KeyRiskSeverities``."""
    severity: Severity
    message: str
    fix: str
    """What to do at the exchange (or here) to clear it."""


@dataclass(frozen=True, slots=True)
class KeySubject:
    """One connection's key as the policy sees it (no secret: ``fingerprint`` is a digest)."""

    connection_id: str
    name: str
    exchange: str
    api_type: str
    intended_use: IntendedUse
    fingerprint: str
    """The same for two connections with the same key, exchange, API type and network."""
    last_used: datetime | None
    """The last successful test or check, else when the connection was added."""
    profile: KeyProfile | None


@dataclass(frozen=True, slots=True)
class KeyAssessment:
    connection_id: str
    name: str
    exchange: str
    intended_use: IntendedUse
    profile: KeyProfile | None
    risks: tuple[KeyRisk, ...]
    expires_in_s: float | None
    """Seconds until the key expires (negative: expired); None when it never does or is not said."""

    @property
    def worst(self) -> Severity | None:
        return max((r.severity for r in self.risks), key=lambda s: s.rank, default=None)

    @property
    def unknown(self) -> str | None:
        """"never read" or "expiry not reported by Kraken"; None when everything is known."""
        if self.profile is None:
            return "not read yet (a passing test reads it)"
        return self.profile.unreported_note()


def assess(
    subjects: Iterable[KeySubject], settings: Keys, now: datetime, only: Collection[str] | None = None
) -> dict[str, KeyAssessment]:
    """Each subject's risks, worst first; with ``only``, just those connections' (the others
    still count for "stored twice")."""
    subjects = list(subjects)
    names: dict[str, list[str]] = {}
    for subject in subjects:
        names.setdefault(subject.fingerprint, []).append(subject.name)
    assessed = {}
    for subject in subjects:
        if only is not None and subject.connection_id not in only:
            continue
        others = [n for n in names[subject.fingerprint] if n != subject.name]
        risks = sorted(_risks(subject, settings, now, others), key=lambda r: -r.severity.rank)
        expires = subject.profile.expires_at if subject.profile is not None else None
        assessed[subject.connection_id] = KeyAssessment(
            connection_id=subject.connection_id,
            name=subject.name,
            exchange=subject.exchange,
            intended_use=subject.intended_use,
            profile=subject.profile,
            risks=tuple(risks),
            expires_in_s=(expires - now).total_seconds() if expires is not None else None,
        )
    return assessed


def _risks(subject: KeySubject, settings: Keys, now: datetime, others: list[str]) -> Iterable[KeyRisk]:
    severity = settings.severities
    where = f"{exchange_title(subject.exchange)}'s API key management"
    profile = subject.profile
    if others:
        yield KeyRisk(
            "duplicate", severity.duplicate,
            f"the same {subject.api_type} key is stored as {', '.join(sorted(others))}",
            "keep one of the connections (cts-tui conn rm ID): two copies are rotated and audited apart",
        )
    if subject.last_used is not None and now - subject.last_used > timedelta(days=settings.unused_days):
        days = (now - subject.last_used).days
        yield KeyRisk(
            "unused", severity.unused, f"unused for {days} days",
            f"delete the key in {where} and remove the connection, or enable and test it",
        )
    if profile is None:
        return
    permissions = set(profile.permissions or ())
    if "withdraw" in permissions:
        yield KeyRisk(
            "withdrawals", severity.withdrawals, "the key may withdraw funds",
            f"edit the key in {where} and turn withdrawals off (cts-tui never withdraws)",
        )
    if "transfer" in permissions:
        yield KeyRisk(
            "transfers", severity.transfers, "the key may move funds between accounts",
            f"edit the key in {where} and turn internal and universal transfers off",
        )
    if profile.ip_restricted is False:
        yield KeyRisk(
            "no_ip_whitelist", severity.no_ip_whitelist, "the key works from any IP address",
            f"bind the key to the addresses of the hosts that run cts-tui in {where}",
        )
    if profile.expires_at is not None:
        left = profile.expires_at - now
        if left <= timedelta(0):
            yield KeyRisk(
                "expired", severity.expired, f"the key expired on {profile.expires_at:%Y-%m-%d}",
                f"create a new key in {where} and put it into this connection",
            )
        elif left <= timedelta(days=settings.expiry_warning_days):
            yield KeyRisk(
                "expiring", severity.expiring,
                f"the key expires on {profile.expires_at:%Y-%m-%d} (in {_span(left)})",
                f"renew the key in {where} (binding it to an IP whitelist usually lifts the limit), "
                "or create a new one and put it into this connection",
            )
    if subject.intended_use is IntendedUse.MONITOR and (beyond := permissions - MONITOR_PERMISSIONS):
        yield KeyRisk(
            "excess_permissions", severity.excess_permissions,
            f"a monitor key with permissions beyond reading: {', '.join(sorted(beyond))}",
            f"make a read-only key in {where} for this connection, or set its intended use to trade",
        )


def audit_wire(audit: Iterable[KeyAssessment]) -> dict[str, object]:
    """The audit as JSON (``keys audit --json``, ``GET /api/v1/keys/audit``): each connection's
    key facts as last read, its risks worst first, and what its exchange does not report."""
    connections: list[dict[str, Any]] = []
    for assessed in audit:
        profile = assessed.profile
        connections.append({
            "id": assessed.connection_id,
            "name": assessed.name,
            "exchange": assessed.exchange,
            "intended_use": assessed.intended_use.value,
            "worst": assessed.worst.value if assessed.worst else None,
            "risks": [
                {"risk": r.risk, "severity": r.severity.value, "message": r.message, "fix": r.fix}
                for r in assessed.risks
            ],
            "read_at": profile.read_at.isoformat() if profile else None,
            "permissions": profile.permissions if profile else None,
            "ip_restricted": profile.ip_restricted if profile else None,
            "ips": profile.ips if profile else [],
            "expires_at": profile.expires_at.isoformat() if profile and profile.expires_at else None,
            "expires_in_s": assessed.expires_in_s,
            "not_reported": profile.not_reported() if profile else ["permissions", "IP whitelist", "expiry"],
            "unknown": assessed.unknown,
        })
    counts = Counter(risk["severity"] for entry in connections for risk in entry["risks"])
    return {"connections": connections, "risks": {s.value: counts.get(s.value, 0) for s in Severity}}


def _span(delta: timedelta) -> str:
    """Days to the nearest, as an exchange's "expires in 6 days" counts them; hours below a day."""
    days = round(delta.total_seconds() / 86_400)
    if days >= 1:
        return f"{days} days" if days > 1 else "1 day"
    return f"{max(1, int(delta.total_seconds() // 3600))} h"
