"""Request bodies and query strings, as pydantic models: the validation *is* the schema.

Field names follow the specification's wire names (``connectionIds``, ``apiType``); unknown keys
are refused so that a typo is a 4xx naming it, never silently ignored.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SecretStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cts_tui.capabilities import HAS_TESTNET, SUPPORTED_API_TYPES, ApiType, ExchangeId, PassphrasePolicy, passphrase_policy
from cts_tui.core.batch import TaskKind
from cts_tui.key_facts import IntendedUse
from cts_tui.models import (
    BASE_URL, NO_BLANKS, ConnectionDraft, ConnectionPatch, Flag, Name, Tag, Weight, has_blanks, inapplicable_fields,
)

StrategyName = Literal[
    "round_robin", "weighted_round_robin", "least_latency", "least_connections", "failover"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)


class StrategyBody(_Strict):
    strategy: StrategyName


_TASK_OF_TEST_TYPE: dict[str, TaskKind] = {
    "all": "test", "connection": "test", "balance": "balance", "capabilities": "capabilities", "health": "health",
}


class BatchTestBody(_Strict):
    """The specification's batch request. The upper bound on ids is the config's
    ``batch.max_per_request``, checked at request time so a reload applies at once."""

    connectionIds: list[str] = Field(min_length=1)  # noqa: N815 - the specification's wire name
    testType: Literal["all", "connection", "balance", "capabilities", "health"] = Field(  # noqa: N815
        default="all",
        description="all or connection: the full test (markets, clock, balance, permissions); balance: "
        "balances only; capabilities: what the key may do (permissions) and which methods it supports; "
        "health: a health check",
    )

    @property
    def kind(self) -> TaskKind:
        """The batch task the test type runs."""
        return _TASK_OF_TEST_TYPE[self.testType]


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
    return {"if": {"properties": {"exchange": {"const": exchange.value}}, "required": ["exchange"]}, "then": then}


def _combination_rules(schema: dict[str, Any]) -> None:
    """What a new connection needs (passphrases where required, testnet only where it exists);
    what it may carry in excess (a passphrase, margin fields for spot) is ignored, not refused."""
    _field_rules(schema)
    schema["allOf"] = [_exchange_rule(exchange) for exchange in ExchangeId]


def _well_formed(name: str, value: object) -> bool:
    """An ignored field is still held to its type: the schema states every field's type whatever
    the exchange, so a malformed one is refused (422) rather than dropped."""
    if name == "api_passphrase":
        return isinstance(value, str) and (value == "" or not has_blanks(value))
    try:
        TypeAdapter(ConnectionDraft.model_fields[name].annotation).validate_python(value)
    except ValidationError:
        return False
    return True


class CreateConnectionBody(ConnectionDraft):
    """``POST``: the data model's own input type; the schema states its rules. A field the
    exchange or API type has no use for (a passphrase for Bybit, a margin type for spot) is
    ignored, and ``warnings`` says so: the schema allows such fields for that reason."""

    model_config = ConfigDict(json_schema_extra=_combination_rules, str_strip_whitespace=False)
    _warnings: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _ignore_inapplicable(cls, data: Any, handler: ModelWrapValidatorHandler[CreateConnectionBody]) -> CreateConnectionBody:
        warnings: list[str] = []
        if isinstance(data, dict):
            try:
                exchange, api_type = ExchangeId(str(data.get("exchange"))), ApiType(str(data.get("api_type")))
            except ValueError:
                pass  # the model's own validation names what is wrong
            else:
                dropped = {
                    name: why for name, why in inapplicable_fields(exchange, api_type, data).items()
                    if _well_formed(name, data[name])
                }
                data = {key: value for key, value in data.items() if key not in dropped}
                warnings = [f"{name} ignored: {why}" for name, why in dropped.items()]
        body = handler(data)
        body._warnings = warnings
        return body

    @property
    def warnings(self) -> list[str]:
        return list(self._warnings)


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
    intended_use: IntendedUse = None  # type: ignore[assignment]

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
