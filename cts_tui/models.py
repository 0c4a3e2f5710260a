"""The data model: connections, their state machine, and test results.

Secrets are ``SecretStr`` so that ``repr``, ``str`` and ``model_dump`` never show them; the only
way out is ``get_secret_value()``, used by the store's encryption and by the clients' signing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, Strict, field_validator, model_validator

from cts_tui.capabilities import (
    DERIVATIVE_API_TYPES,
    HAS_TESTNET,
    ApiType,
    ExchangeId,
    PassphrasePolicy,
    describe_support,
    passphrase_policy,
    supports,
)
from cts_tui.errors import ErrorKind, InvalidTransition, mask, register_secret
from cts_tui.key_facts import IntendedUse, KeyFacts
from cts_tui.pem_keys import body_lines, canonical_pem, looks_like_pem
from cts_tui.venues import VENUES

PEM_KEYS = ", ".join(venue.pem_keys for venue in VENUES.values() if venue.pem_keys)
"""The keys whose secret is a PEM private key, for the error that refuses one elsewhere."""

__all__ = [
    "ApiType",
    "Connection",
    "ConnectionDraft",
    "ConnectionPatch",
    "ConnectionState",
    "ErrorKind",
    "ExchangeId",
    "IntendedUse",
    "MarginType",
    "PositionMode",
    "TestResult",
    "Transition",
    "next_state",
]


class MarginType(StrEnum):
    CROSS = "cross"
    ISOLATED = "isolated"


class PositionMode(StrEnum):
    HEDGE = "hedge"
    ONE_WAY = "one_way"


class ConnectionState(StrEnum):
    DISABLED = "disabled"
    TESTING = "testing"
    ACTIVE = "active"
    PAUSED = "paused"
    ERROR = "error"


class Transition(StrEnum):
    ENABLE = "enable"
    PASS = "pass"
    FAIL = "fail"
    PAUSE = "pause"
    RESUME = "resume"
    RETEST = "retest"
    DISABLE = "disable"


_S = ConnectionState
_T = Transition
# The specification's state machine. RETEST puts a working (or paused/broken) connection back
# through a test; DISABLE is allowed from anywhere; deletion is not a state.
_TRANSITIONS: dict[tuple[ConnectionState, Transition], ConnectionState] = {
    (_S.DISABLED, _T.ENABLE): _S.TESTING,
    (_S.TESTING, _T.PASS): _S.ACTIVE,
    (_S.TESTING, _T.FAIL): _S.ERROR,
    (_S.ACTIVE, _T.PAUSE): _S.PAUSED,
    (_S.PAUSED, _T.RESUME): _S.ACTIVE,
    (_S.ACTIVE, _T.FAIL): _S.ERROR,
    (_S.PAUSED, _T.FAIL): _S.ERROR,
    (_S.ERROR, _T.PAUSE): _S.PAUSED,
    (_S.ERROR, _T.PASS): _S.ACTIVE,
    (_S.ACTIVE, _T.RETEST): _S.TESTING,
    (_S.PAUSED, _T.RETEST): _S.TESTING,
    (_S.ERROR, _T.RETEST): _S.TESTING,
    **{(state, _T.DISABLE): _S.DISABLED for state in _S},
}


def next_state(state: ConnectionState, transition: Transition) -> ConnectionState:
    """The state ``transition`` leads to from ``state``; an illegal move raises."""
    try:
        return _TRANSITIONS[(state, transition)]
    except KeyError:
        raise InvalidTransition(f"cannot {transition.value} a connection that is {state.value}") from None


def allowed_transitions(state: ConnectionState) -> list[Transition]:
    return [t for (s, t) in _TRANSITIONS if s == state]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


BLANKS = r"\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""Every character ``str.isspace()`` (and so ``str.strip()``) takes for whitespace, as a regex
class that reads the same in Python and in the ECMAScript of a JSON Schema ``pattern``, whose
``\\s`` is another set: the published schema then says exactly what the server refuses."""
NOT_BLANK = f"[^{BLANKS}]"
NO_BLANKS = f"^[^{BLANKS}]+$"


def has_blanks(raw: str) -> bool:
    """Empty, or holding whitespace: what no key, secret or passphrase may be."""
    return not raw or any(c.isspace() for c in raw)


def _not_a_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("must be an integer, not true or false")
    return value


Name = Annotated[str, Field(min_length=1, max_length=80, pattern=NOT_BLANK)]
Flag = Annotated[bool, Strict()]
"""true or false only (not 1, "yes" or "on"): what the schema's boolean admits."""
Weight = Annotated[int, Field(ge=0, le=10_000), BeforeValidator(_not_a_bool)]
"""An integer (5.0 too, as JSON Schema counts it), never a boolean."""
Tag = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.:-]+$")]


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_LOOPBACK = rf"(?:localhost|127(?:\.{_OCTET}){{3}}|\[::1\])"
_PORT = r"(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_TAIL = rf"(?::{_PORT})?(?:/[^?#{BLANKS}]*)?"
BASE_URL = rf"^(?:https://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|https?://{_LOOPBACK}){_TAIL}$"
"""What a base URL may be, as one regex that reads the same in Python and in the published
schema: https to a host name or an address, plain http only to a loopback address (proxies on
the box, the simulator), no credentials, query or fragment."""
_BASE_URL_RE = re.compile(BASE_URL)


def validate_base_url(url: str | None) -> str | None:
    """``BASE_URL``, said in a message that names what is wrong; a trailing slash is dropped."""
    if url is None or url == "":
        return None
    if _BASE_URL_RE.fullmatch(url):
        return url.rstrip("/")
    parts = urlsplit(url) if url.isprintable() else None
    if parts is not None and (parts.query or parts.fragment):
        raise ValueError("base_url must not carry a query or fragment")
    if parts is not None and parts.scheme == "http" and parts.netloc:
        raise ValueError("base_url must use https (plain http only to a loopback address)")
    raise ValueError("base_url must be an http(s) URL with a host")


class _ConnectionFields(BaseModel):
    """Fields and cross-field rules shared by a stored connection and a draft of one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name
    exchange: ExchangeId
    api_type: ApiType
    api_key: SecretStr
    api_secret: SecretStr
    api_passphrase: SecretStr | None = None
    margin_type: MarginType | None = None
    position_mode: PositionMode | None = None
    is_testnet: Flag = False
    enabled: Flag = True
    base_url: str | None = None
    weight: Weight = 100
    tags: list[Tag] = Field(default_factory=list, max_length=16)
    intended_use: IntendedUse = IntendedUse.TRADE

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        return validate_base_url(value)

    @field_validator("api_key")
    @classmethod
    def _non_empty(cls, value: SecretStr) -> SecretStr:
        return _token_secret(value)

    @field_validator("api_secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        """A token, or a PEM private key (Coinbase CDP keys) brought to canonical form."""
        if not looks_like_pem(value.get_secret_value()):
            return _token_secret(value)
        pem = canonical_pem(value.get_secret_value())
        for part in (pem, *body_lines(pem)):
            register_secret(part)
        return SecretStr(pem)

    @field_validator("api_passphrase")
    @classmethod
    def _register_passphrase(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value() == "":
            return None  # none, as null says
        if value is not None and has_blanks(value.get_secret_value()):
            raise ValueError("must contain no whitespace")
        if value is not None:
            register_secret(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _check_capabilities(self) -> _ConnectionFields:
        if looks_like_pem(self.api_secret.get_secret_value()) and VENUES[self.exchange].pem_keys is None:
            raise ValueError(f"{self.exchange.value} secrets are tokens; a PEM key is for {PEM_KEYS}")
        check_combination(
            self.exchange,
            self.api_type,
            has_passphrase=self.api_passphrase is not None,
            is_testnet=self.is_testnet,
            margin_type=self.margin_type,
            position_mode=self.position_mode,
        )
        return self


def inapplicable_fields(exchange: ExchangeId, api_type: ApiType, given: Mapping[str, object]) -> dict[str, str]:
    """Fields of ``given`` that ``exchange`` or ``api_type`` has no use for, each with why: the
    specification's example body carries a passphrase for Bybit, which a lenient reader
    ignores (and says so) rather than refusing the whole body."""
    found: dict[str, str] = {}
    if given.get("api_passphrase") not in (None, "") and passphrase_policy(exchange) is PassphrasePolicy.NONE:
        found["api_passphrase"] = f"{exchange.value} keys have no passphrase"
    if api_type not in DERIVATIVE_API_TYPES:
        for name in ("margin_type", "position_mode"):
            if given.get(name) is not None:
                found[name] = f"it applies to derivatives only, and {api_type.value} is not one"
    return found


def _token_secret(value: SecretStr) -> SecretStr:
    raw = value.get_secret_value()
    if has_blanks(raw):
        raise ValueError("must be non-empty and contain no whitespace")
    register_secret(raw)
    return value


def check_combination(
    exchange: ExchangeId,
    api_type: ApiType,
    *,
    has_passphrase: bool,
    is_testnet: bool,
    margin_type: MarginType | None,
    position_mode: PositionMode | None,
) -> None:
    """Refuse what the exchange cannot do, naming what it can (raises ValueError)."""
    if not supports(exchange, api_type):
        raise ValueError(
            f"{exchange.value} has no {api_type.value} API (it supports: {describe_support(exchange)})"
        )
    policy = passphrase_policy(exchange)
    if policy is PassphrasePolicy.REQUIRED and not has_passphrase:
        raise ValueError(f"{exchange.value} keys need an api_passphrase")
    if policy is PassphrasePolicy.NONE and has_passphrase:
        raise ValueError(f"{exchange.value} keys have no passphrase; leave api_passphrase empty")
    if is_testnet and exchange not in HAS_TESTNET:
        raise ValueError(f"{exchange.value} has no testnet")
    derivative = api_type in DERIVATIVE_API_TYPES
    if not derivative and (margin_type is not None or position_mode is not None):
        raise ValueError("margin_type and position_mode apply to derivatives only")


class ConnectionDraft(_ConnectionFields):
    """What a user supplies to create a connection."""


class Connection(_ConnectionFields):
    """A stored connection."""

    id: str = Field(default_factory=_new_id, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    state: ConnectionState = ConnectionState.DISABLED
    created_at: datetime = Field(default_factory=_utcnow)
    updated_at: datetime = Field(default_factory=_utcnow)
    origin: Literal["store", "env"] = "store"
    """"env": given by the config or the environment, held in memory only and read-only
    (``store/env_connections.py``); never a column of the store."""

    @classmethod
    def from_draft(cls, draft: ConnectionDraft) -> Connection:
        return cls(**draft.model_dump(), id=_new_id())

    def apply(self, patch: ConnectionPatch) -> Connection:
        """A new, validated connection with the patch's fields replaced."""
        data = self.model_dump()
        data.update(patch.model_dump(exclude_unset=True))
        data["updated_at"] = _utcnow()
        return Connection(**data)

    def public_dict(self) -> dict[str, object]:
        """JSON-ready view with secrets masked: for the CLI, REST responses and the screen."""
        data = self.model_dump(mode="json", exclude={"api_key", "api_secret", "api_passphrase"})
        data["api_key"] = mask(self.api_key.get_secret_value())
        data["api_secret"] = "********"
        data["api_passphrase"] = "********" if self.api_passphrase is not None else None
        return data

    @property
    def is_active(self) -> bool:
        return self.state is ConnectionState.ACTIVE

    @property
    def account(self) -> str:
        """A stable, non-secret account label for per-key rate limits and the simulator."""
        return mask(self.api_key.get_secret_value())


class ConnectionPatch(BaseModel):
    """A partial update: only the fields that are set change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name | None = None
    api_type: ApiType | None = None
    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    api_passphrase: SecretStr | None = None
    margin_type: MarginType | None = None
    position_mode: PositionMode | None = None
    is_testnet: Flag | None = None
    enabled: Flag | None = None
    base_url: str | None = None
    weight: Weight | None = None
    tags: list[Tag] | None = None
    intended_use: IntendedUse | None = None

    @property
    def rotates_keys(self) -> bool:
        return bool({"api_key", "api_secret", "api_passphrase"} & self.model_fields_set)


class TestResult(BaseModel):
    """The outcome of one connection test, with the log a user reads to see what happened."""

    __test__ = False  # not a pytest class

    connection_id: str
    success: bool
    balance: float | None = None
    quote: str = "USDT"
    balances: dict[str, float] = Field(default_factory=dict)
    capabilities: list[str] = Field(default_factory=list)
    permissions: list[str] = Field(default_factory=list)
    key: KeyFacts | None = None
    """What the exchange said about the key (permissions, IP whitelist, expiry); None when the
    test failed before asking."""
    log: list[str] = Field(default_factory=list)
    duration_ms: int = 0
    error_kind: ErrorKind | None = None
    error: str | None = None
    tested_at: datetime = Field(default_factory=_utcnow)

    def brief(self) -> dict[str, object]:
        """The specification's per-id batch entry."""
        if self.success:
            return {"success": True, "balance": self.balance}
        return {"success": False, "error": self.error, "errorKind": self.error_kind}


class BatchResult(BaseModel):
    """The specification's batch-test shape (camelCase on the wire)."""

    batch_id: str = Field(default_factory=_new_id)
    success: bool
    total_connections: int
    successful: int
    failed: int
    duration_ms: int
    results: dict[str, TestResult]
    finished_at: datetime = Field(default_factory=_utcnow)

    @classmethod
    def of(cls, results: dict[str, TestResult], duration_ms: int) -> BatchResult:
        ok = sum(1 for r in results.values() if r.success)
        return cls(
            success=ok == len(results),
            total_connections=len(results),
            successful=ok,
            failed=len(results) - ok,
            duration_ms=duration_ms,
            results=results,
        )

    def wire(self) -> dict[str, Any]:
        """``success`` as the specification's example has it: the batch ran (its example says
        true with one connection failed); each connection's outcome is in ``results``."""
        return {
            "success": True,
            "totalConnections": self.total_connections,
            "successful": self.successful,
            "failed": self.failed,
            "duration": self.duration_ms,
            "results": {cid: r.brief() for cid, r in self.results.items()},
        }
