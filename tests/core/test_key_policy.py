"""The key policy, rule by rule: what is flagged, how badly, and what is never flagged because
the exchange did not say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cts_tui.config import Keys
from cts_tui.core.key_policy import KeySubject, assess
from cts_tui.key_facts import IntendedUse, KeyProfile, Severity

NOW = datetime(2026, 6, 1, tzinfo=UTC)
SAFE = dict(permissions=["read", "trade"], ip_restricted=True, ips=["10.0.0.1"], expiry_reported=True)


def subject(name="a", use=IntendedUse.TRADE, fingerprint=None, last_used=NOW, **facts) -> KeySubject:
    profile = KeyProfile(**{**SAFE, **facts}, connection_id=name, exchange="binance", read_at=NOW)
    return KeySubject(name, name, "binance", "spot", use, fingerprint or name, last_used, profile)


def risks_of(*subjects: KeySubject, settings: Keys | None = None) -> dict[str, list[str]]:
    found = assess(subjects, settings or Keys(), NOW)
    return {cid: [r.risk for r in a.risks] for cid, a in found.items()}


@pytest.mark.parametrize(
    ("facts", "use", "expected"),
    [
        ({}, IntendedUse.TRADE, []),
        ({"permissions": ["read", "trade", "withdraw"]}, IntendedUse.TRADE, ["withdrawals"]),
        ({"permissions": ["read", "transfer"]}, IntendedUse.MONITOR, ["excess_permissions", "transfers"]),
        ({"ip_restricted": False, "ips": []}, IntendedUse.TRADE, ["no_ip_whitelist"]),
        ({"expires_at": NOW + timedelta(days=13)}, IntendedUse.TRADE, ["expiring"]),
        ({"expires_at": NOW + timedelta(days=15)}, IntendedUse.TRADE, []),
        ({"expires_at": NOW - timedelta(hours=1)}, IntendedUse.TRADE, ["expired"]),
        ({"permissions": ["read", "trade"]}, IntendedUse.MONITOR, ["excess_permissions"]),
        ({"permissions": ["read"]}, IntendedUse.MONITOR, []),
        # Not reported is unknown, never a risk.
        ({"permissions": None, "ip_restricted": None, "expiry_reported": False}, IntendedUse.MONITOR, []),
    ],
)
def test_each_rule(facts, use, expected):
    assert sorted(risks_of(subject(use=use, **facts))["a"]) == sorted(expected)


def test_risks_come_worst_first_with_the_configured_severities():
    settings = Keys(severities={"no_ip_whitelist": "critical"})
    found = assess([subject(permissions=["read", "withdraw"], ip_restricted=False)], settings, NOW)["a"]
    assert [(r.risk, r.severity) for r in found.risks] == [
        ("no_ip_whitelist", Severity.CRITICAL), ("withdrawals", Severity.HIGH),
    ]
    assert found.worst is Severity.CRITICAL
    assert all("Binance" in r.fix or "cts-tui" in r.fix for r in found.risks)


def test_the_warning_window_is_configurable():
    key = subject(expires_at=NOW + timedelta(days=20))
    assert risks_of(key)["a"] == []
    assert risks_of(key, settings=Keys(expiry_warning_days=30))["a"] == ["expiring"]


def test_an_unused_key_is_flagged_after_the_configured_days():
    assert risks_of(subject(last_used=NOW - timedelta(days=31)))["a"] == ["unused"]
    assert risks_of(subject(last_used=NOW - timedelta(days=29)))["a"] == []
    assert risks_of(subject(last_used=NOW - timedelta(days=8)), settings=Keys(unused_days=7))["a"] == ["unused"]


def test_the_same_key_stored_twice_is_flagged_on_both_and_names_the_other():
    found = assess([subject("a", fingerprint="k"), subject("b", fingerprint="k"), subject("c")], Keys(), NOW)
    assert [r.risk for r in found["a"].risks] == ["duplicate"] and "b" in found["a"].risks[0].message
    assert [r.risk for r in found["b"].risks] == ["duplicate"]
    assert found["c"].risks == ()
    alone = assess([subject("a", fingerprint="k"), subject("b", fingerprint="k")], Keys(), NOW, only={"a"})
    assert list(alone) == ["a"] and [r.risk for r in alone["a"].risks] == ["duplicate"]


def test_expiry_seconds_and_what_is_unknown():
    found = assess([subject(expires_at=NOW + timedelta(hours=2), permissions=None)], Keys(), NOW)["a"]
    assert found.expires_in_s == 7200
    assert found.unknown == "permissions not reported by Binance"
    never = KeySubject("n", "n", "kraken", "spot", IntendedUse.TRADE, "n", NOW, None)
    assert assess([never], Keys(), NOW)["n"].unknown.startswith("not read yet")
