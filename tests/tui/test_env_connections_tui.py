"""A connection from the environment in the app: shown as "(env)", used like the others, and
read-only: the edit form does not open and a delete is refused, each with a message saying
where to change it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cts_tui.capabilities import ExchangeId
from cts_tui.config import Credentials
from cts_tui.core.runtime import Runtime, open_runtime
from cts_tui.models import ConnectionState
from cts_tui.tui.app import CtsApp
from cts_tui.tui.modals.connection_form import ConnectionForm
from cts_tui.tui.widgets.connections_table import ConnectionsTable

from .conftest import fast_config
from .test_flows import SIZE, until


@pytest.fixture
async def env_runtime(sim, tmp_path) -> AsyncIterator[Runtime]:
    config = fast_config()
    account = sim.account("binance")
    config.exchanges[ExchangeId.BINANCE].base_url = sim.base_url("binance")
    config.credentials = {ExchangeId.BINANCE: Credentials(api_key=account.api_key, api_secret=account.secret)}
    async with open_runtime(config, tmp_path / "cts.sqlite") as runtime:
        assert runtime.env_tests is not None
        await runtime.env_tests
        yield runtime


def messages(app: CtsApp) -> list[str]:
    return [notification.message for notification in app._notifications]


async def test_an_env_connection_is_shown_and_read_only(env_runtime: Runtime) -> None:
    app = CtsApp(env_runtime.coordinator, env_runtime.store)
    coordinator = env_runtime.coordinator
    async with app.run_test(size=SIZE) as pilot:
        await until(lambda: app.screen.query_one(ConnectionsTable).shown_keys == ["env-binance"], pilot)
        assert "(env)" in app.export_screenshot()
        await pilot.press("e")
        await until(lambda: any("comes from the config or the environment" in m for m in messages(app)), pilot)
        assert not isinstance(app.screen, ConnectionForm)
        await pilot.press("x", "y")
        await until(lambda: any("read-only" in m for m in messages(app)), pilot)
        assert coordinator.get_connection("env-binance").state is ConnectionState.ACTIVE
