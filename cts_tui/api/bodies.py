"""Request bodies and query strings, as pydantic models: the validation *is* the schema.

Field names follow the specification's wire names (``connectionIds``, ``apiType``); unknown keys
are refused so that a typo is a 4xx naming it, never silently ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.models import ConnectionDraft, ConnectionPatch

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
# policy, loopback-only plain http) live there once.
CreateConnectionBody = ConnectionDraft
UpdateConnectionBody = ConnectionPatch
