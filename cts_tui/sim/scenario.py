"""The scenario: everything that makes one simulator run repeatable, as a pydantic model.

A scenario is plain data (loadable from YAML) so that a test, a benchmark and the demo can each
describe the world they need: how many markets, which keys with which permissions and balances,
how strict the rate limits are, which faults are active and how far the server clock is off.
Anything not given takes the real exchange's figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

API_TYPES = ("spot", "perpetual_futures", "futures", "margin", "unified")
"""API type names as the rest of cts-tui spells them (kept as strings: the simulator stands apart)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountSpec(_Strict):
    """One API key on one exchange. Credentials left empty are derived from the seed."""

    name: str = "main"
    api_key: str | None = None
    secret: str | None = None
    passphrase: str | None = None
    permissions: frozenset[str] = frozenset({"read", "trade"})
    testnet: bool = False
    # api type -> asset -> amount; an api type not listed gets the default demo balances.
    balances: dict[str, dict[str, float]] = Field(default_factory=dict)
    # Exchange-specific account settings, named in each exchange module's docstring
    # (e.g. Bybit {"unified": false} for a classic account).
    options: dict[str, str | int | float | bool] = Field(default_factory=dict)
    # The key's IP whitelist as the exchange reports it (empty: no restriction). The simulator
    # answers only on loopback, so a key bound to 127.0.0.1 is the realistic default.
    ip_whitelist: list[str] = Field(default_factory=lambda: ["127.0.0.1"])
    # Days from the simulator's start until the exchange expires the key (None: never).
    expires_in_days: float | None = Field(None, gt=0)


class FaultSpec(_Strict):
    """Faults of one exchange. All off by default; each can be changed at runtime."""

    latency_ms: float = Field(0.0, ge=0)
    jitter_ms: float = Field(0.0, ge=0)
    error_rate: float = Field(0.0, ge=0, le=1)  # share of requests answered with a 5xx
    outage: Literal["refused", "reset", "hang"] | None = None
    rate_limit_storm: bool = False  # every request answered with the exchange's 429
    maintenance: bool = False  # every request answered with the exchange's maintenance error
    malformed: Literal["html", "truncated"] | None = None  # HTML page with 200, or cut JSON
    clock_skew_ms: int = 0  # the server clock runs ahead (+) or behind (-) by this much
    # Successful (2xx) JSON answers rewritten: "empty" ({}), "nulls" (every value null), "drop"
    # (fields dropped at random), "types" (values of the wrong type), "huge" (absurd numbers),
    # "content_type" (the body unchanged, sent as text/html), "trickle" (a byte every 50 ms, a
    # body that never ends). Only below the paths in mutate_endpoints when it is not empty.
    mutate: Literal["empty", "nulls", "drop", "types", "huge", "content_type", "trickle"] | None = None
    mutate_endpoints: list[str] = Field(default_factory=list)  # path prefixes below the base URL

    @property
    def active(self) -> bool:
        """True when any fault other than clock skew needs the request path to look."""
        return bool(
            self.latency_ms or self.jitter_ms or self.error_rate or self.outage
            or self.rate_limit_storm or self.maintenance or self.malformed or self.mutate
        )

    def mutates(self, path: str) -> bool:
        """True when an answer to ``path`` (below the base URL) is to be rewritten."""
        return self.mutate is not None and (
            not self.mutate_endpoints or any(path.startswith(prefix) for prefix in self.mutate_endpoints)
        )


class ExchangeScenario(_Strict):
    enabled: bool = True
    # None: the exchange's real market list (cts_tui.sim.listings); a count takes the majors of
    # each kind first, or adds invented markets beyond the real list.
    markets: int | None = Field(None, ge=10, le=5000)
    # None: the exchange's default demo accounts (a read+trade key, a read-only key, and a demo
    # key where the exchange has demo-only keys).
    accounts: list[AccountSpec] | None = None
    # Overrides of the exchange's rate-limit parameters, by the names its module documents.
    limits: dict[str, float] = Field(default_factory=dict)
    faults: FaultSpec = Field(default_factory=FaultSpec)


class Scenario(_Strict):
    seed: int = 42
    price_step_s: float = Field(1.0, gt=0)  # the random walk takes one step per this many seconds
    journal_size: int = Field(200_000, ge=100)
    exchanges: dict[str, ExchangeScenario] = Field(default_factory=dict)

    def for_exchange(self, exchange: str) -> ExchangeScenario:
        return self.exchanges.get(exchange) or ExchangeScenario()

    @classmethod
    def from_yaml_text(cls, text: str, source: str = "<scenario>") -> Scenario:
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ScenarioError(f"{source}: not valid YAML ({exc.__class__.__name__})") from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "scenario"
            raise ScenarioError(f"{source}: {where}: {first['msg']}") from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> Scenario:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(f"cannot read scenario {path}: {exc.strerror}") from None
        return cls.from_yaml_text(text, str(path))


class ScenarioError(ValueError):
    """A scenario that cannot be loaded; the message is one line naming the bad field."""
