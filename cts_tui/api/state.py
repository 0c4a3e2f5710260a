"""What the handlers share: the running runtime (store, limiter, hub, coordinator), the token,
and when the server started."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from cts_tui.core.coordinator import ConnectionCoordinator
    from cts_tui.core.runtime import Runtime


@dataclass
class ApiState:
    runtime: Runtime
    token: str
    started_at: float = field(default_factory=time.time)

    @property
    def coordinator(self) -> ConnectionCoordinator:
        return self.runtime.coordinator


API_STATE = web.AppKey("cts_api_state", ApiState)
OPENAPI = web.AppKey("cts_openapi", dict)
