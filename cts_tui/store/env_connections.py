"""Connections from the config or the environment: held in memory beside the store, never in it.

12-factor deployments, containers and secret managers hand a process its keys in variables
(``BINANCE_API_KEY``) or a config that interpolates them (``${BINANCE_API_KEY:}``); such keys
must not land in a file on disk. ``env_connections(config)`` makes one connection per exchange
with complete ``credentials`` (``spec_config`` fills those from the specification's variables),
and ``WithEnvConnections`` puts them beside the store: every reader (coordinator, CLI, REST, TUI)
sees them, their state, tests, checks and balances live in this process's memory, and an edit or
a removal is refused with the place to change them. ``rows.to_row`` refuses them too, so no code
path can write one to the file.
"""

from __future__ import annotations

import builtins
import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from cts_tui.capabilities import ApiType, ExchangeId, PassphrasePolicy, passphrase_policy
from cts_tui.config import Config
from cts_tui.errors import ConfigError, NotFoundError, ReadOnlyError, describe_validation_error
from cts_tui.models import Connection, ConnectionPatch, ConnectionState, TestResult
from cts_tui.store.records import CheckRecord, TestClaim
from cts_tui.store.store import ConnectionStore, Source

log = logging.getLogger(__name__)

ENV_ID_PREFIX = "env-"


def env_connections(config: Config) -> list[Connection]:
    """One connection per enabled exchange whose key and secret the config or the environment
    gives, due for a test. A passphrase the exchange has no use for is ignored with a warning."""
    found: list[Connection] = []
    for exchange, credentials in config.credentials.items():
        if not credentials.complete or not config.exchanges[exchange].enabled:
            continue
        passphrase = credentials.api_passphrase
        if passphrase is not None and passphrase_policy(exchange) is PassphrasePolicy.NONE:
            log.warning("credentials.%s.api_passphrase ignored: %s keys have no passphrase", exchange.value, exchange.value)
            passphrase = None
        try:
            found.append(
                Connection(
                    id=f"{ENV_ID_PREFIX}{exchange.value}",
                    name=f"{exchange.value} (env)",
                    exchange=exchange,
                    api_type=credentials.api_type,
                    api_key=credentials.api_key,
                    api_secret=credentials.api_secret,
                    api_passphrase=passphrase,
                    is_testnet=credentials.testnet,
                    weight=config.exchanges[exchange].weight,
                    state=ConnectionState.TESTING,
                    origin="env",
                )
            )
        except ValidationError as exc:
            raise ConfigError(f"credentials.{exchange.value}: {describe_validation_error(exc)}") from None
    return found


def with_env_connections(store: ConnectionStore, config: Config) -> ConnectionStore:
    """``store``, with the connections the config and the environment give beside it (the
    store itself when there are none)."""
    connections = env_connections(config)
    if not connections:
        return store
    return WithEnvConnections(store, connections)  # type: ignore[return-value]  # same interface, delegating


def env_connection_ids(store: ConnectionStore) -> list[str]:
    """The ids of the environment's connections beside ``store`` (none for a bare store)."""
    return list(store._env) if isinstance(store, WithEnvConnections) else []


def _matches(
    connection: Connection, exchange: Any, api_type: Any, enabled: bool | None, active: bool | None
) -> bool:
    return (
        (exchange is None or connection.exchange is ExchangeId(exchange))
        and (api_type is None or connection.api_type is ApiType(api_type))
        and (enabled is None or connection.enabled is enabled)
        and (active is None or (connection.state is ConnectionState.ACTIVE) is active)
    )


class WithEnvConnections:
    """A ``ConnectionStore`` seen with the environment's connections added; everything else is
    the store's (attribute access falls through to it)."""

    def __init__(self, store: ConnectionStore, connections: list[Connection]) -> None:
        self._store = store
        self._env = {c.id: c for c in connections}
        self._results: dict[str, list[TestResult]] = {}
        self._checks: dict[str, CheckRecord] = {}
        self._balances: dict[str, float | None] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def __aenter__(self) -> WithEnvConnections:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._store.close()

    def is_env(self, connection_id: str) -> bool:
        return connection_id in self._env

    def _refuse(self, connection_id: str, what: str) -> ReadOnlyError:
        exchange = self._env[connection_id].exchange.value
        return ReadOnlyError(
            f"connection {connection_id} comes from the config or the environment and is read-only: "
            f"{what} it there (credentials.{exchange} or {exchange.upper()}_API_KEY / _API_SECRET), then restart"
        )

    # --- reads ----------------------------------------------------------------------------------

    async def get(self, connection_id: str) -> Connection:
        return self._env.get(connection_id) or await self._store.get(connection_id)

    async def get_by_name(self, name: str) -> Connection:
        found = next((c for c in self._env.values() if c.name == name), None)
        return found or await self._store.get_by_name(name)

    async def find_id(self, ref: str) -> str:
        if ref in self._env:
            return ref
        try:
            return await self._store.find_id(ref)
        except NotFoundError:
            named = next((c.id for c in self._env.values() if c.name == ref), None)
            if named is None:
                raise
            return named

    async def list(
        self, exchange: Any = None, api_type: Any = None, enabled: bool | None = None, active: bool | None = None
    ) -> builtins.list[Connection]:
        stored = await self._store.list(exchange=exchange, api_type=api_type, enabled=enabled, active=active)
        env = [c for c in self._env.values() if _matches(c, exchange, api_type, enabled, active)]
        return sorted([*stored, *env], key=lambda c: c.name)

    # --- edits: refused for the environment's ---------------------------------------------------

    async def update(self, connection_id: str, patch: ConnectionPatch, source: Source = "cli") -> Connection:
        if connection_id in self._env:
            raise self._refuse(connection_id, "change")
        return await self._store.update(connection_id, patch, source=source)

    async def delete(self, connection_id: str, source: Source = "cli") -> Any:
        if connection_id in self._env:
            raise self._refuse(connection_id, "remove")
        return await self._store.delete(connection_id, source=source)

    # --- state, tests, checks, balances: in memory for the environment's ------------------------

    def _moved(self, connection_id: str, state: ConnectionState) -> Connection:
        current = self._env[connection_id]
        updated = current.model_copy(
            update={"state": state, "enabled": state is not ConnectionState.DISABLED, "updated_at": datetime.now(UTC)}
        )
        self._env[connection_id] = updated
        return updated

    async def set_state(
        self, connection_id: str, state: ConnectionState, source: Source = "cli", expected: ConnectionState | None = None
    ) -> Connection:
        if connection_id not in self._env:
            return await self._store.set_state(connection_id, state, source=source, expected=expected)
        current = self._env[connection_id]
        if current.state is state or (expected is not None and current.state is not expected):
            return current
        return self._moved(connection_id, ConnectionState(state))

    async def begin_test(self, claim: TestClaim, source: Source) -> Connection:
        if claim.connection_id not in self._env:
            return await self._store.begin_test(claim, source)
        current = self._env[claim.connection_id]
        if current.state is not ConnectionState(claim.previous_state) or current.state is ConnectionState.TESTING:
            return current
        return self._moved(claim.connection_id, ConnectionState.TESTING)

    async def finish_test(
        self, result: TestResult, state: ConnectionState | None, source: Source, tester: str | None = None
    ) -> Connection:
        connection_id = result.connection_id
        if connection_id not in self._env:
            return await self._store.finish_test(result, state, source, tester=tester)
        await self.record_test(result)
        current = self._env[connection_id]
        if state is None or current.state is not ConnectionState.TESTING or state is current.state:
            return current
        return self._moved(connection_id, state)

    async def record_test(self, result: TestResult) -> None:
        if result.connection_id not in self._env:
            return await self._store.record_test(result)
        kept = self._results.setdefault(result.connection_id, [])
        kept.insert(0, result)
        del kept[self._store.results_kept:]

    async def test_results(self, connection_id: str, limit: int | None = None) -> builtins.list[TestResult]:
        if connection_id not in self._env:
            return await self._store.test_results(connection_id, limit)
        return self._results.get(connection_id, [])[:limit]

    async def latest_tests(self, connection_id: str | None = None) -> dict[str, TestResult]:
        found = {} if connection_id in self._env else await self._store.latest_tests(connection_id)
        for cid, results in self._results.items():
            if results and connection_id in (None, cid):
                found[cid] = results[0]
        return found

    async def record_check(self, check: CheckRecord) -> None:
        if check.connection_id not in self._env:
            return await self._store.record_check(check)
        self._checks[check.connection_id] = check

    async def checks(self, connection_id: str | None = None) -> builtins.list[CheckRecord]:
        stored = [] if connection_id in self._env else await self._store.checks(connection_id)
        return stored + [c for cid, c in self._checks.items() if connection_id in (None, cid)]

    async def record_balance(self, connection_id: str, balances: dict[str, float], quote: str = "USDT") -> None:
        if connection_id not in self._env:
            return await self._store.record_balance(connection_id, balances, quote)
        self._balances[connection_id] = balances.get(quote)

    async def balances(self, connection_id: str | None = None) -> dict[str, float | None]:
        found = {} if connection_id in self._env else await self._store.balances(connection_id)
        for cid, total in self._balances.items():
            if connection_id in (None, cid):
                found[cid] = total
        return found
