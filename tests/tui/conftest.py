"""Apps for the TUI tests: on the real coordinator against the simulator (behaviour), or on
fixed snapshots (pixels)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from cts_tui.config import Config
from cts_tui.core.runtime import Runtime, open_runtime
from cts_tui.models import ConnectionDraft
from cts_tui.tui.app import CtsApp

from .static_backend import FIXED_NOW, StaticCoordinator, StaticStore
from tests.sim_hosts import twin

FAST_EXCHANGES = ("binance", "htx", "kraken", "pionex")


def fast_config() -> Config:
    """Roomy limits and short timeouts, so tests exercise behaviour, not waiting."""
    config = Config()
    for exchange in FAST_EXCHANGES:
        limits = config.limits(exchange)
        limits.per_second, limits.per_minute, limits.max_concurrent = 200, 10_000, 20
        limits.timeout_ms = 2000  # roomy: a loaded 2-core CI box must not turn a slow answer into a failure
    config.health.interval_s = 3600
    config.batch.task_timeout_s = 3
    return config


@pytest.fixture
async def runtime(sim, tmp_path) -> AsyncIterator[Runtime]:
    async with open_runtime(fast_config(), tmp_path / "cts.sqlite") as rt:
        yield rt


@pytest.fixture
def draft(sim) -> Callable[..., ConnectionDraft]:
    def make(exchange: str, name: str | None = None, **fields: object) -> ConnectionDraft:
        account = sim.account(exchange, "main")
        values: dict[str, object] = dict(
            name=name or f"{exchange}-main", exchange=exchange, api_type="spot", api_key=account.api_key,
            api_secret=account.secret, api_passphrase=account.passphrase,
        )
        values.update(fields)
        values.setdefault("base_url", twin(sim, exchange, str(values["api_type"]), account.passphrase))
        return ConnectionDraft(**values)

    return make


@pytest.fixture
def live_app(runtime: Runtime) -> CtsApp:
    return CtsApp(runtime.coordinator, runtime.store)


def static_app(count: int = 24) -> CtsApp:
    return CtsApp(StaticCoordinator(count), StaticStore(), clock=lambda: FIXED_NOW)
