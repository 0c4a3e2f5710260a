"""Request bodies and query strings, as pydantic models: the validation *is* the schema.

Field names follow the specification's wire names (``connectionIds``, ``apiType``); unknown keys
are refused so that a typo is a 4xx naming it, never silently ignored.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator

from cts_tui.capabilities import (
    DERIVATIVE_API_TYPES, HAS_TESTNET, SUPPORTED_API_TYPES, ApiType, ExchangeId, PassphrasePolicy, passphrase_policy,
)
from cts_tui.models import BASE_URL, NO_BLANKS, ConnectionDraft, ConnectionPatch, Flag, Name, Tag, Weight, has_blanks

StrategyName = Literal[
    "round_robin", "weighted_round_robin", "least_latency", "least_connections", "failover"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)


class StrategyBody(_Strict):
    strategy: StrategyName


class BatchTestBody(_Strict):
    """The specification's batch request. The upper bound on ids is the config's
    ``batch.max_per_request``, checked at request time so a reload applies at once."""

    connectionIds: list[str] = Field(min_length=1)  # noqa: N815 - the specification's wire name
    testType: Literal["all"] = "all"  # noqa: N815


class ConnectionFilter(_Strict):
    """``GET /api/settings/connections``: every filter optional, combined with AND."""

    exchange: ExchangeId | None = None
    apiType: ApiType | None = None  # noqa: N815
    enabled: bool | None = None
    active: bool | None = None


class HealthFilter(_Strict):
    """``GET /api/settings/connections/health``: one connection, or one exchange / API type."""

    id: str | None = Field(default=None, min_length=1, max_length=64)
    exchange: ExchangeId | None = None
    apiType: ApiType | None = None  # noqa: N815


class HealthCheckFilter(_Strict):
    """``POST /api/v1/exchanges/health-check``: all connections, or those of one exchange."""

    exchange: ExchangeId | None = None


class StreamFilter(_Strict):
    """``GET /api/v1/exchanges/streams``: every market stream, or one exchange's."""

    exchange: ExchangeId | None = None


# Bodies that are the data model's own input types: their rules (capabilities, passphrase
# policy, loopback-only plain http) live there once, and the schema states them as they are
# checked, so that no request the document calls valid is refused, nor one it calls invalid
# accepted. REST takes strings as sent (the CLI trims what a paste brings).
_FIELD_RULES: dict[str, dict[str, object]] = {
    "api_key": {"minLength": 1, "pattern": NO_BLANKS},
    "api_secret": {"minLength": 1, "pattern": NO_BLANKS},
    "api_passphrase": {"pattern": NO_BLANKS.replace("]+$", "]*$")},
    "base_url": {"pattern": "^$|" + BASE_URL},
}
"""No whitespace in secrets (key and secret non-empty; an empty passphrase is none); a base
URL as ``models.BASE_URL`` says, or empty for the exchange's own."""


def _field_rules(schema: dict[str, Any]) -> None:
    for name, rules in _FIELD_RULES.items():
        prop = schema.get("properties", {}).get(name, {})
        for branch in prop.get("anyOf", [prop]):
            if branch.get("type") == "string":
                branch.update(rules)


def _exchange_rule(exchange: ExchangeId) -> dict[str, Any]:
    """What ``check_combination`` asks of a new connection to ``exchange``, as a schema."""
    then: dict[str, Any] = {"properties": {"api_type": {"enum": [t.value for t in SUPPORTED_API_TYPES[exchange]]}}}
    if exchange not in HAS_TESTNET:
        then["properties"]["is_testnet"] = {"const": False}
    policy = passphrase_policy(exchange)
    if policy is PassphrasePolicy.REQUIRED:
        then["required"] = ["api_passphrase"]
        then["properties"]["api_passphrase"] = {"type": "string", "minLength": 1}
    elif policy is PassphrasePolicy.NONE:
        then["properties"]["api_passphrase"] = {"anyOf": [{"type": "null"}, {"const": ""}]}
    return {"if": {"properties": {"exchange": {"const": exchange.value}}, "required": ["exchange"]}, "then": then}


def _combination_rules(schema: dict[str, Any]) -> None:
    _field_rules(schema)
    plain = [t.value for t in ApiType if t not in DERIVATIVE_API_TYPES]
    schema["allOf"] = [
        *(_exchange_rule(exchange) for exchange in ExchangeId),
        {
            "if": {"properties": {"api_type": {"enum": plain}}, "required": ["api_type"]},
            "then": {"properties": {"margin_type": {"type": "null"}, "position_mode": {"type": "null"}}},
        },
    ]


class CreateConnectionBody(ConnectionDraft):
    """``POST``: the data model's own input type; the schema states its rules."""

    model_config = ConfigDict(json_schema_extra=_combination_rules, str_strip_whitespace=False)


class UpdateConnectionBody(ConnectionPatch):
    """``PATCH``: a field left out keeps its value; explicit ``null`` only where "none" is a value
    (base_url: the exchange's own host, passphrase, margin type, position mode). Elsewhere null,
    and blank secrets, are 422 here, as the schema published from this model says."""

    name: Name = None  # type: ignore[assignment]
    api_type: ApiType = None  # type: ignore[assignment]
    model_config = ConfigDict(json_schema_extra=_field_rules, str_strip_whitespace=False)

    api_key: SecretStr = None  # type: ignore[assignment]
    api_secret: SecretStr = None  # type: ignore[assignment]
    is_testnet: Flag = None  # type: ignore[assignment]
    enabled: Flag = None  # type: ignore[assignment]
    weight: Weight = None  # type: ignore[assignment]
    tags: list[Tag] = None  # type: ignore[assignment]

    @field_validator("api_key", "api_secret", "api_passphrase")
    @classmethod
    def _no_whitespace(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            return None
        if info.field_name == "api_passphrase" and value.get_secret_value() == "":
            return None  # none, as null says
        if has_blanks(value.get_secret_value()):
            raise ValueError("must be non-empty and contain no whitespace")
        return value
