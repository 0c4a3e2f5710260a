"""What an exchange says about one API key: its permissions, IP restriction and expiry.

Exchanges report different subsets, so every property keeps "not reported" apart from "none":
``permissions`` None is "the exchange does not say", ``[]`` is "the key may do nothing";
``ip_restricted`` None is "not said", False is "no whitelist"; ``expiry_reported`` False is
"not said", True with ``expires_at`` None is "never expires". A policy can then flag what is
known and say plainly what is not.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from cts_tui.venues import VENUES


class Severity(StrEnum):
    """How much a key risk matters, lowest first (``rank`` orders them)."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """1 (info) to 5 (critical): the value of the ``cts_key_risk`` gauge."""
        return list(Severity).index(self) + 1


class IntendedUse(StrEnum):
    """What a connection's key is for: the policy flags permissions beyond it."""

    MONITOR = "monitor"  # reads balances and health; never places an order
    TRADE = "trade"


# Permission names the clients report, in the order they are shown.
PERMISSION_ORDER = ("read", "trade", "futures", "margin", "transfer", "withdraw")


class KeyFacts(BaseModel):
    """What the exchange reported about a key when it was asked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    permissions: list[str] | None = None
    ip_restricted: bool | None = None
    ips: list[str] = Field(default_factory=list)
    """The whitelisted addresses where the exchange lists them (Binance says only whether)."""
    expires_at: datetime | None = None
    expiry_reported: bool = False
    created_at: datetime | None = None

    def describe(self) -> str:
        """IP whitelist and expiry in one line ("no IP whitelist; expires 2026-06-01 12:00 UTC")."""
        if self.ip_restricted is None:
            ips = "IP whitelist not reported"
        elif self.ip_restricted:
            ips = f"IP whitelist {', '.join(self.ips)}" if self.ips else "IP whitelist set"
        else:
            ips = "no IP whitelist"
        if not self.expiry_reported:
            expiry = "expiry not reported"
        elif self.expires_at is None:
            expiry = "never expires"
        else:
            expiry = f"expires {self.expires_at:%Y-%m-%d %H:%M} UTC"
        return f"{ips}; {expiry}"

    def not_reported(self) -> list[str]:
        """The properties the exchange does not tell, in the words the screens use."""
        missing = []
        if self.permissions is None:
            missing.append("permissions")
        if self.ip_restricted is None:
            missing.append("IP whitelist")
        if not self.expiry_reported:
            missing.append("expiry")
        return missing


class KeyProfile(KeyFacts):
    """A connection's key facts as stored: which connection, which exchange, and when read."""

    connection_id: str
    exchange: str
    read_at: datetime
    permissions_added: list[str] = Field(default_factory=list)
    """Permissions this read found that the read before did not (an alert, until a read finds
    nothing new)."""

    def unreported_note(self) -> str | None:
        """"expiry not reported by Kraken", or None when everything was reported."""
        missing = self.not_reported()
        if not missing:
            return None
        return f"{', '.join(missing)} not reported by {exchange_title(self.exchange)}"


def exchange_title(exchange: str) -> str:
    """The exchange's name as people write it (OKX, BingX), from its venue module."""
    known = VENUES.get(exchange)
    return known.title if known is not None else exchange.capitalize()
