"""Everything the front ends need, built in order and torn down in reverse.

The CLI (``conn test``), the TUI and ``serve`` all run the same stack: store -> rate limiter ->
exchange hub -> coordinator. Building it in one place keeps the order of shutdown right (no
client outlives its limiter, no coordinator task outlives the store it writes to).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cts_tui.config import Config
from cts_tui.core.coordinator import ConnectionCoordinator
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.ratelimit.limiter import RateLimiter
from cts_tui.core.tasks import cancel_and_wait
from cts_tui.store import ConnectionStore, MasterKey
from cts_tui.store.env_connections import env_connection_ids, with_env_connections


@dataclass(frozen=True, slots=True)
class Runtime:
    store: ConnectionStore
    limiter: RateLimiter
    hub: ExchangeHub
    coordinator: ConnectionCoordinator
    env_tests: asyncio.Future[Any] | None = None
    """The first test of the connections the config and the environment give (they are due
    for one, like a connection just added); None when there are none, or the run is unscheduled."""

    @property
    def config(self) -> Config:
        """The configuration in force now (it changes on reload)."""
        return self.coordinator.config


@contextlib.asynccontextmanager
async def open_runtime(
    config: Config,
    db_path: Path | str | None,
    *,
    master_key: MasterKey | str | bytes | None = None,
    config_path: Path | str | None = None,
    kind: str = "library",
    scheduled: bool = True,
) -> AsyncIterator[Runtime]:
    """Open the store at ``db_path`` (None: the default location), start the limiter, the hub
    and the coordinator; with ``config_path`` the coordinator reloads that file on change and on
    SIGHUP. ``kind`` and ``scheduled`` say what this process is to the others on the store
    (``ConnectionCoordinator``)."""
    async with contextlib.AsyncExitStack() as stack:
        store = with_env_connections(
            await ConnectionStore.open(db_path, master_key, results_kept=config.store.results_kept), config
        )
        stack.push_async_callback(store.close)
        limiter = RateLimiter.from_config(config, kind)
        await limiter.start()
        stack.push_async_callback(limiter.close)
        hub = ExchangeHub(config, limiter)
        stack.push_async_callback(hub.close)
        coordinator = ConnectionCoordinator(config, store, limiter, hub, kind=kind, scheduled=scheduled)
        await coordinator.start()
        stack.push_async_callback(coordinator.close)
        if config_path is not None:
            coordinator.watch_config(config_path)
        env_tests = None
        env_ids = env_connection_ids(store)
        if env_ids and scheduled:
            env_tests = asyncio.ensure_future(asyncio.gather(*(coordinator.test_connection(i) for i in env_ids)))
            stack.push_async_callback(cancel_and_wait, [env_tests])
        yield Runtime(store, limiter, hub, coordinator, env_tests)
