"""What the handlers share: the running runtime (store, limiter, hub, coordinator), the token,
and when the server started."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from cts_tui.api.token import _checked
from cts_tui.errors import ConfigError

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

    def follow_token(self) -> None:
        """A reloaded config's ``api.token`` applies at once when it is a valid token; an invalid
        one, or one removed from the file, is refused with a log line and the running token
        stays (a token from env or the token file is never replaced by a reload)."""
        from cts_tui.core.events import ConfigReloaded

        in_force = self.coordinator.config.api.token

        def on_event(event: object) -> None:
            nonlocal in_force
            if not isinstance(event, ConfigReloaded) or event.error is not None:
                return
            wanted = self.coordinator.config.api.token
            if wanted == in_force:
                return
            if not wanted:
                log.warning("api.token removed from the config: the running token stays until a restart")
            else:
                try:
                    self.token = _checked(wanted, "api.token")
                except ConfigError as exc:
                    log.warning("api.token not applied (%s): the running token stays", exc.message)
                else:
                    log.warning("api.token changed: requests need the new token from now on")
            in_force = wanted

        self.coordinator.subscribe(on_event)


log = logging.getLogger("cts_tui.api")

API_STATE = web.AppKey("cts_api_state", ApiState)
OPENAPI = web.AppKey("cts_openapi", dict)
DOCS = web.AppKey("cts_docs", str)
