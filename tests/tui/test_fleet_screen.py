"""The fleet on the real app: with a second process on the same Redis, the header says who shares
the budgets and screen 2 shows each exchange's requests and each process's share."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from cts_tui.core.runtime import open_runtime
from cts_tui.ratelimit import Priority, RateLimiter, shared
from cts_tui.tui.app import CtsApp

from .conftest import fast_config
from .test_flows import until

WIDE = (160, 36)  # the header's long form: the headline beside "checks: this process"


async def test_the_header_and_screen_2_show_the_fleet(sim, redis_server, tmp_path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared, "SOCKET_TIMEOUT_S", 2.0)
    monkeypatch.setattr(shared, "HEARTBEAT_S", 0.05)
    config = fast_config()
    config.rate_limiting.backend, config.rate_limiting.redis_url = "redis", redis_server.url
    other = RateLimiter.from_config(config, kind="serve")
    await other.start()
    try:
        for _ in range(3):
            assert await other.acquire_permit("htx", "fetch_ticker", Priority.HIGH)
        async with open_runtime(config, tmp_path / "cts.sqlite", kind="tui") as runtime:
            app = CtsApp(runtime.coordinator, runtime.store)
            async with app.run_test(size=WIDE) as pilot:
                await pilot.press("2")

                def shown(widget: str) -> str:
                    return str(app.screen.query_one(widget, Static).render())

                await until(lambda: "2 processes on 1 host share these budgets" in shown("#totals"), pilot)
                await until(lambda: "htx: 3 req/min, serve pid" in shown("#limits-summary"), pilot)
                assert shown("#limits-summary").splitlines()[1].endswith(" 100%")
    finally:
        await other.close()
