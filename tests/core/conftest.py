"""A coordinator stack (store, limiter, hub, coordinator) against the simulator."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cts_tui.config import Config
from cts_tui.core.runtime import Runtime, open_runtime
from cts_tui.models import ConnectionDraft

from .helpers import EventLog, fast_config
from tests.sim_hosts import twin


@pytest.fixture
def config() -> Config:
    return fast_config()


@pytest.fixture
async def runtime(sim, tmp_path, config) -> Runtime:
    async with open_runtime(config, tmp_path / "cts.sqlite") as rt:
        yield rt


@pytest.fixture
def coordinator(runtime):
    return runtime.coordinator


@pytest.fixture
def draft(sim) -> Callable[..., ConnectionDraft]:
    def make(exchange: str, name: str | None = None, account: str = "main", **fields) -> ConnectionDraft:
        acct = sim.account(exchange, account)
        values = dict(
            name=name or f"{exchange}-{account}", exchange=exchange, api_type="spot", api_key=acct.api_key,
            api_secret=acct.secret, api_passphrase=acct.passphrase,
        )
        values.update(fields)
        values.setdefault("base_url", twin(sim, exchange, values["api_type"], acct.passphrase))
        return ConnectionDraft(**values)

    return make


@pytest.fixture
def events(coordinator) -> EventLog:
    log = EventLog()
    coordinator.subscribe(log)
    return log
