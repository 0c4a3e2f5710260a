"""Signed Bybit requests sent flat out through the whole stack (store, coordinator, limiter, hub,
ccxt) while a test breaks the shared backend under them, judged at the simulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from cts_tui.config import Config
from cts_tui.core.coordinator import ConnectionCoordinator
from cts_tui.errors import ExchangeError
from cts_tui.models import ConnectionDraft
from cts_tui.sim import Simulator

BALANCE = "/v5/account/wallet-balance"
PER_SECOND = 5
"""Bybit's balance budget in these tests, at the simulator and in our config alike: small, so
that the callers keep it spent."""


def bybit_at_five_per_second(sim: Simulator, config: Config) -> Config:
    """The simulator's Bybit answers 429 past ``PER_SECOND`` balance reads a second, and
    ``config`` allows exactly that many (the minute left roomy): any overspending shows."""
    sim.set_limits("bybit", private_per_second=PER_SECOND, wallet_balance_per_second=PER_SECOND)
    limits = config.limits("bybit")
    limits.per_second, limits.per_minute = PER_SECOND, 10_000
    return config


def draft(sim: Simulator, exchange: str) -> ConnectionDraft:
    account = sim.account(exchange, "main")
    return ConnectionDraft(name=f"{exchange}-main", exchange=exchange, api_type="spot", api_key=account.api_key,
                           api_secret=account.secret, api_passphrase=account.passphrase,
                           base_url=sim.base_url(exchange))


@contextlib.asynccontextmanager
async def balance_callers(coordinator: ConnectionCoordinator, connection_id: str,
                          callers: int = 4) -> AsyncIterator[list[ExchangeError]]:
    """Callers that never pause on their own; yields the failures they met (none expected)."""
    failures: list[ExchangeError] = []
    stop = asyncio.Event()

    async def caller() -> None:
        while not stop.is_set():
            try:
                await coordinator.execute_request("fetch_balance", exchange_id=connection_id)
            except ExchangeError as error:
                failures.append(error)
                await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(caller()) for _ in range(callers)]
    try:
        yield failures
    finally:
        stop.set()
        await asyncio.gather(*tasks)
