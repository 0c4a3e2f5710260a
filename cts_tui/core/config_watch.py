"""A new configuration while running: from a call, a changed file or SIGHUP.

``reload`` puts the new configuration in force in every part at once (``LiveConfig``), tells
the parts that keep something derived from it (the limiter's plans, the hub's pools, each
connection's settings, the health schedule, the batch slots, the alert rules, the streams, the
strategy), logs what changed (setting names, never values) and events it. A file that does not
load raises ``ConfigError`` with its message and changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from cts_tui.config import Config, changed_settings, load_config
from cts_tui.core.alerts import AlertEngine
from cts_tui.core.connection_tests import ConnectionTests
from cts_tui.core.documented import beyond_documented
from cts_tui.core.events import ConfigReloaded
from cts_tui.core.health_watch import HealthWatch
from cts_tui.core.routing import Picker
from cts_tui.core.services import Services
from cts_tui.core.streams import CoordinatorStreams
from cts_tui.errors import ConfigError
from cts_tui.stopping import cancel_and_wait

if TYPE_CHECKING:
    from cts_tui.ratelimit.limiter import RateLimiter

log = logging.getLogger(__name__)

CONFIG_POLL_S = 1.0


def warn_beyond_documented(config: Config) -> None:
    """Settings above an exchange's documented figures, in the log (at start and each reload)."""
    for note in beyond_documented(config):
        log.warning("%s", note)


class ConfigWatch:
    def __init__(
        self,
        services: Services,
        limiter: RateLimiter,
        health: HealthWatch,
        tests: ConnectionTests,
        alerts: AlertEngine,
        streams: CoordinatorStreams,
        picker: Picker,
    ) -> None:
        self._live, self._table, self._publisher = services.live, services.table, services.publisher
        self._hub, self._spawner, self._limiter = services.hub, services.spawner, limiter
        self._health, self._tests, self._alerts, self._streams, self._picker = health, tests, alerts, streams, picker
        self._poll: asyncio.Task[None] | None = None
        self._sighup_installed = False

    async def reload(self, new: Config | Path | str, source: str = "call") -> Config:
        config = new if isinstance(new, Config) else load_config(Path(new), required=True)
        old = self._live.current
        self._live.current = config
        self._limiter.reconfigure(config)
        self._hub.reconfigure(config)
        self._table.reconfigure()
        self._health.reconfigure(old)
        self._tests.batches.reconfigure(config.batch)
        self._alerts.reconfigure(config.alerts)
        await self._streams.reconfigure(config.streams)
        self._picker.reconfigure(old)
        changed = changed_settings(old, config)
        shown = ", ".join(changed[:20]) + (f" and {len(changed) - 20} more" if len(changed) > 20 else "")
        log.warning("configuration reloaded (%s): %s", source, f"changed {shown}" if changed else "nothing changed")
        warn_beyond_documented(config)
        self._publisher.publish(ConfigReloaded(source, changed=tuple(changed)))
        self._publisher.mark_dirty()
        return config

    async def reload_quietly(self, path: Path, source: str) -> None:
        """``reload``, with a refused file logged and evented instead of raised."""
        try:
            await self.reload(path, source)
        except ConfigError as exc:
            log.warning("configuration not reloaded: %s", exc.message)
            self._publisher.publish(ConfigReloaded(source, error=exc.message))

    def watch(self, path: Path | str) -> None:
        """Reload ``path`` when it changes (polled each second) and on SIGHUP (when running in
        the main thread on a Unix loop)."""
        target = Path(path)
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGHUP, lambda: self._spawner.spawn(self.reload_quietly(target, "SIGHUP"))
            )
            self._sighup_installed = True
        self._poll = asyncio.create_task(self._poll_file(target, _file_signature(target)), name="cts-config-watch")

    async def close(self) -> None:
        if self._sighup_installed:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            self._sighup_installed = False
        if self._poll is not None:
            await cancel_and_wait([self._poll])
            self._poll = None

    async def _poll_file(self, path: Path, seen: tuple[float, int] | None) -> None:
        while True:
            await asyncio.sleep(CONFIG_POLL_S)
            current = _file_signature(path)
            if current != seen and current is not None:
                seen = current
                await self.reload_quietly(path, "file")


def _file_signature(path: Path) -> tuple[float, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime, stat.st_size
