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
    field_validator,
    model_validator,
)

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.core.batch import TaskKind
from cts_tui.key_facts import IntendedUse
from cts_tui.models import ConnectionDraft, ConnectionPatch, Name, Tag, inapplicable_fields

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
    testType: Literal["all", "connection", "balance", "capabilities", "health"] = Field(  # noqa: N815
        default="all",
        description="all or connection: the full test (markets, clock, balance, permissions); balance: "
        "balances only; capabilities: what the key may do (permissions) and which methods it supports; "
        "health: a health check",
    )

    @property
    def kind(self) -> TaskKind:
        """The batch task the test type runs."""
        return "test" if self.testType in ("all", "connection") else self.testType


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
# policy, loopback-only plain http) live there once.
_NO_SPACE: dict[str, object] = {"minLength": 1, "pattern": r"^\S+$"}
"""What the secrets' validators enforce (non-empty, no whitespace), said in the schema."""


def _secret_rules(schema: dict[str, Any]) -> None:
    for name in ("api_key", "api_secret", "api_passphrase"):
        prop = schema.get("properties", {}).get(name, {})
        for branch in prop.get("anyOf", [prop]):
            if branch.get("type") == "string":
                branch.update(_NO_SPACE)


class CreateConnectionBody(ConnectionDraft):
    """``POST``: the data model's own input type; the schema states its rules on secrets. A
    field the exchange or API type has no use for (a passphrase for Bybit, a margin type for
    spot) is ignored, and ``warnings`` says so."""

    model_config = ConfigDict(json_schema_extra=_secret_rules)
    _warnings: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _ignore_inapplicable(cls, data: Any, handler: ModelWrapValidatorHandler[CreateConnectionBody]) -> CreateConnectionBody:
        warnings: list[str] = []
        if isinstance(data, dict):
            try:
                exchange, api_type = ExchangeId(data.get("exchange")), ApiType(data.get("api_type"))
            except ValueError:
                pass  # the model's own validation names what is wrong
            else:
                dropped = inapplicable_fields(exchange, api_type, data)
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
    model_config = ConfigDict(json_schema_extra=_secret_rules)

    api_key: SecretStr = None  # type: ignore[assignment]
    api_secret: SecretStr = None  # type: ignore[assignment]
    is_testnet: bool = None  # type: ignore[assignment]
    enabled: bool = None  # type: ignore[assignment]
    weight: int = Field(default=None, ge=0, le=10_000)  # type: ignore[assignment]
    tags: list[Tag] = None  # type: ignore[assignment]
    intended_use: IntendedUse = None  # type: ignore[assignment]

    @field_validator("api_key", "api_secret", "api_passphrase")
    @classmethod
    def _no_whitespace(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and (not value.get_secret_value() or any(c.isspace() for c in value.get_secret_value())):
            raise ValueError("must be non-empty and contain no whitespace")
        return value
