"""``ConnectionStore``: connections, their test results, batch results and the audit log, in one
SQLite file with the secrets encrypted.

One asyncio lock serialises this object's use of its single SQLite connection (a transaction
cannot interleave with another coroutine's statements); other processes are kept apart by
SQLite's own locking (see store/database.py).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, get_args

import aiosqlite
import builtins
from pydantic import ValidationError

from cts_tui import paths
from cts_tui.errors import (
    AlreadyExists, CtsError, ErrorKind, InvalidTransition, NotFoundError, StoreError, describe_validation_error, scrub,
)
from cts_tui.key_facts import KeyProfile
from cts_tui.models import (
    ApiType,
    BatchResult,
    Connection,
    ConnectionPatch,
    ConnectionState,
    ExchangeId,
    TestResult,
)
from cts_tui.store import rows
from cts_tui.store.binding import bind, read_binding, rebind
from cts_tui.store.database import connect, is_read_only, pragma, write_transaction
from cts_tui.store.records import Change, ChangeKind, CheckRecord, Lease, ProcessIdentity, TestClaim
from cts_tui.store.registry import remember_store
from cts_tui.store.secrets import MasterKey, SecretCipher, key_mismatch, parse_key, resolve_master_key

Source = Literal["cli", "tui", "api", "system"]
"""Who made a change: a user through one of the front ends, or the coordinator itself
(tests, health checks and key failures it acts on)."""
SOURCES: tuple[str, ...] = get_args(Source)


@dataclass(frozen=True)
class AuditEntry:
    """One change: when, what, from where. ``details`` names changed fields, never secrets."""

    seq: int
    at: datetime
    action: str
    source: str
    connection_id: str | None
    connection_name: str | None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UnreadableConnection:
    """A stored connection whose keys cannot be decrypted (a damaged row, or one sealed under
    another key): listed so that it can be seen and removed, never used. The rest of the store
    works around it."""

    id: str
    name: str
    exchange: str
    reason: str

    def public_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "exchange": self.exchange, "state": "unreadable",
                "error": self.reason}


def _of_connection(connection_id: str | None) -> tuple[str, tuple[str, ...]]:
    """The WHERE clause and parameters of a query about one connection, or about all."""
    return ("WHERE connection_id = ?", (connection_id,)) if connection_id else ("", ())


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise CtsError(f"unknown change source {source!r} (one of {', '.join(SOURCES)})")


def _member(enum: type[StrEnum], value: str, what: str) -> str:
    try:
        return enum(value).value
    except ValueError:
        raise CtsError(f"unknown {what} {value!r} (one of {', '.join(m.value for m in enum)})") from None


def _state_for(enabled: bool, state: ConnectionState) -> ConnectionState:
    """The state that keeps ``enabled == (state != disabled)``: enabling a disabled connection
    makes it due for a test, disabling makes it disabled."""
    if not enabled:
        return ConnectionState.DISABLED
    return ConnectionState.TESTING if state is ConnectionState.DISABLED else state


class ConnectionStore:
    def __init__(
        self,
        db: aiosqlite.Connection,
        path: Path,
        cipher: SecretCipher,
        key_check: str,
        results_kept: int,
        clock: Callable[[], float],
    ) -> None:
        self._db = db
        self.path = path
        self._cipher = cipher
        self._key_check = key_check
        self.results_kept = results_kept
        self._clock = clock
        self._lock = asyncio.Lock()

    # --- lifecycle ------------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        path: Path | str | None = None,
        master_key: MasterKey | str | bytes | None = None,
        results_kept: int = 20,
        *,
        key_path: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> ConnectionStore:
        """Open (creating if new) the store at ``path`` (default: the user data dir / ``CTS_DB``).
        Fails with a ``StoreError`` naming the path, before writing anything, when the file is
        not a sound SQLite store or the master key does not open it. A store this process cannot
        write opens read-only: it can be read, and a write fails with one line saying so. The
        key file that opened it notes it (see store/registry.py)."""
        store_path = Path(path).expanduser() if path is not None else paths.default_db_path()
        explicit = master_key if isinstance(master_key, MasterKey) or master_key is None else parse_key(
            master_key, "the given master key"
        )
        db = await connect(store_path)
        try:
            binding = await read_binding(db)
            master = resolve_master_key(binding, store_path, explicit=explicit, key_path=key_path)
            cipher = master.cipher()
            writable = not await is_read_only(db)
            if writable and (binding is None or binding.key_id is None):
                key_check = await cls._claim_key_check(db, cipher, store_path)
            elif binding is not None:
                key_check = binding.check
            else:  # read-only, never bound: no secrets, and no write gets through
                key_check = cipher.key_check()
            store = cls(db, store_path, cipher, key_check, results_kept, clock)
            if writable:
                await store.purge_expired()
        except BaseException:
            await db.close()
            raise
        if master.path is not None:
            remember_store(master.path, store_path)
        return store

    @staticmethod
    async def _read_key_check(db: aiosqlite.Connection) -> str | None:
        binding = await read_binding(db)
        return binding.check if binding is not None else None

    @staticmethod
    async def _claim_key_check(db: aiosqlite.Connection, cipher: SecretCipher, path: Path) -> str:
        """Bind a new store to this key, or give a store bound before key ids were kept its id; if
        another process bound it first, that key must match."""
        async with write_transaction(db):
            binding = await bind(db, cipher)
        if not binding.opened_by(cipher.master):
            raise key_mismatch(cipher.master, binding, path)
        return binding.check

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> ConnectionStore:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def key_source(self) -> str:
        """Where the master key in use came from (a path or an env variable name; never the key)."""
        return self._cipher.master.source

    # --- plumbing -------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    async def _fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        async with self._lock:
            cursor = await self._db.execute(sql, params)
            cursor.row_factory = sqlite3.Row
            return list(await cursor.fetchall())

    async def rekeyed_elsewhere(self) -> bool:
        """Whether another process rotated the master key since this one opened the store (its
        rows no longer decrypt here; writes are refused until a restart)."""
        async with self._lock:
            return await self._read_key_check(self._db) != self._key_check

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction, refused if another process has re-keyed the store since we opened
        it (writing under the old key would leave rows nobody can read)."""
        async with self._lock, write_transaction(self._db) as db:
            if await self._read_key_check(db) != self._key_check:
                raise StoreError(
                    f"the master key of store {self.path} was rotated by another process; "
                    "restart to use the new key"
                )
            yield db

    async def _audit(
        self,
        db: aiosqlite.Connection,
        action: str,
        source: str,
        connection: Connection | UnreadableConnection | None,
        details: dict[str, Any] | None = None,
    ) -> None:
        await db.execute(
            "INSERT INTO audit_log (at, action, source, connection_id, connection_name, details) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                self._now().isoformat(),
                action,
                source,
                connection.id if connection else None,
                connection.name if connection else None,
                json.dumps(details or {}),
            ),
        )

    async def _load(self, db: aiosqlite.Connection, connection_id: str) -> Connection:
        return rows.from_row(await self._raw(db, connection_id), self._cipher)

    async def _raw(self, db: aiosqlite.Connection, connection_id: str) -> sqlite3.Row:
        cursor = await db.execute(
            f"SELECT {', '.join(rows.COLUMNS)} FROM connections WHERE id = ?", (connection_id,)
        )
        cursor.row_factory = sqlite3.Row
        row = await cursor.fetchone()
        if row is None:
            raise NotFoundError(f"no connection with id {connection_id}")
        return row

    def _decode(self, row: sqlite3.Row) -> Connection | UnreadableConnection:
        try:
            return rows.from_row(row, self._cipher)
        except StoreError as exc:
            return UnreadableConnection(row["id"], row["name"], row["exchange"], exc.message)

    async def _save(self, db: aiosqlite.Connection, connection: Connection) -> None:
        assignments = ", ".join(f"{column} = ?" for column in rows.COLUMNS[1:])
        values = rows.to_row(connection, self._cipher)
        try:
            await db.execute(f"UPDATE connections SET {assignments} WHERE id = ?", (*values[1:], values[0]))
        except sqlite3.IntegrityError:
            raise AlreadyExists(f"a connection named {connection.name!r} already exists") from None

    # --- connections ----------------------------------------------------------------------------

    async def add(self, connection: Connection, source: Source = "cli") -> Connection:
        """Store a new connection; ``enabled`` decides its state (enabled: due for a test)."""
        _check_source(source)
        state = _state_for(connection.enabled, connection.state)
        if state is not connection.state:
            connection = connection.model_copy(update={"state": state})
        placeholders = ", ".join("?" for _ in rows.COLUMNS)
        async with self._writing() as db:
            try:
                await db.execute(
                    f"INSERT INTO connections ({', '.join(rows.COLUMNS)}) VALUES ({placeholders})",
                    rows.to_row(connection, self._cipher),
                )
            except sqlite3.IntegrityError:
                taken = await (
                    await db.execute("SELECT 1 FROM connections WHERE name = ?", (connection.name,))
                ).fetchone()
                what = f"named {connection.name!r}" if taken else f"with id {connection.id}"
                raise AlreadyExists(f"a connection {what} already exists") from None
            await self._audit(
                db, "add", source, connection,
                {"exchange": connection.exchange.value, "api_type": connection.api_type.value},
            )
        return connection

    async def get(self, connection_id: str) -> Connection:
        async with self._lock:
            return await self._load(self._db, connection_id)

    async def get_by_name(self, name: str) -> Connection:
        found = await self._fetchall("SELECT id FROM connections WHERE name = ?", (name,))
        if not found:
            raise NotFoundError(f"no connection named {name!r}")
        return await self.get(found[0]["id"])

    async def list(
        self,
        exchange: ExchangeId | str | None = None,
        api_type: ApiType | str | None = None,
        enabled: bool | None = None,
        active: bool | None = None,
    ) -> builtins.list[Connection]:
        clauses: list[str] = []
        params: list[Any] = []
        if exchange is not None:
            clauses.append("exchange = ?")
            params.append(_member(ExchangeId, exchange, "exchange"))
        if api_type is not None:
            clauses.append("api_type = ?")
            params.append(_member(ApiType, api_type, "API type"))
        if enabled is not None:
            clauses.append("enabled = ?")
            params.append(int(enabled))
        if active is not None:
            clauses.append("state = ?" if active else "state != ?")
            params.append(ConnectionState.ACTIVE.value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        found = await self._fetchall(
            f"SELECT {', '.join(rows.COLUMNS)} FROM connections{where} ORDER BY name", tuple(params)
        )
        decoded = (self._decode(row) for row in found)
        return [c for c in decoded if isinstance(c, Connection)]  # the others: ``unreadable()``

    async def unreadable(self) -> builtins.list[UnreadableConnection]:
        """The stored connections ``list`` leaves out because their keys cannot be decrypted."""
        found = await self._fetchall(f"SELECT {', '.join(rows.COLUMNS)} FROM connections ORDER BY name")
        decoded = (self._decode(row) for row in found)
        return [c for c in decoded if isinstance(c, UnreadableConnection)]

    async def find_id(self, ref: str) -> str:
        """The id of the connection with id or name ``ref``, without decrypting anything (an
        unreadable connection can still be named to remove it)."""
        found = await self._fetchall("SELECT id FROM connections WHERE id = ? OR name = ? ORDER BY id = ? DESC",
                                     (ref, ref, ref))
        if not found:
            raise NotFoundError(f"no connection with id or name {ref!r}")
        return found[0]["id"]

    async def update(self, connection_id: str, patch: ConnectionPatch, source: Source = "cli") -> Connection:
        """Apply ``patch``. A connection whose keys do not decrypt takes only a patch that enters
        its API key and secret again (its re-keying); the rest of the edit applies with them."""
        _check_source(source)
        async with self._writing() as db:
            row = await self._raw(db, connection_id)
            current = self._decode(row)
            if isinstance(current, UnreadableConnection):
                current = self._rekeyed(row, current, patch)
            try:
                updated = current.apply(patch)
            except ValidationError as exc:
                raise CtsError(describe_validation_error(exc)) from None
            state = _state_for(updated.enabled, updated.state)
            if state is not updated.state:
                updated = updated.model_copy(update={"state": state})
            await self._save(db, updated)
            changed = sorted(patch.model_fields_set)
            values = patch.model_dump(mode="json", include=set(changed) - set(rows.SECRET_FIELDS))
            if patch.rotates_keys:
                action = "rotate_keys"
            elif changed == ["enabled"] and updated.enabled != current.enabled:
                action = "enable" if updated.enabled else "disable"
            else:
                action = "edit"
            await self._audit(db, action, source, updated, {"fields": changed, "values": values})
        return updated

    def _rekeyed(self, row: sqlite3.Row, unreadable: UnreadableConnection, patch: ConnectionPatch) -> Connection:
        if patch.api_key is None or patch.api_secret is None:
            raise InvalidTransition(
                f"connection {unreadable.id} ({unreadable.name}) is unreadable ({unreadable.reason}): "
                "enter its API key and secret again, or remove it"
            )
        secrets = {
            "api_key": patch.api_key.get_secret_value(),
            "api_secret": patch.api_secret.get_secret_value(),
            "api_passphrase": patch.api_passphrase.get_secret_value() if patch.api_passphrase else None,
        }
        return rows.from_row(row, self._cipher, secrets)

    async def set_state(
        self,
        connection_id: str,
        state: ConnectionState,
        source: Source = "cli",
        expected: ConnectionState | None = None,
    ) -> Connection:
        """Record a state the caller has decided on (the coordinator applies ``next_state``).
        ``enabled`` follows: only the disabled state is not enabled. With ``expected``, nothing
        changes unless the stored state still is that (another process may have moved it since
        the caller read it): the caller gets the stored connection back either way."""
        _check_source(source)
        state = ConnectionState(state)
        async with self._writing() as db:
            current = await self._load(db, connection_id)
            if current.state is state or (expected is not None and current.state is not expected):
                return current
            updated = current.model_copy(
                update={"state": state, "enabled": state is not ConnectionState.DISABLED, "updated_at": self._now()}
            )
            await self._save(db, updated)
            if state is ConnectionState.DISABLED:
                action = "disable"
            elif current.state is ConnectionState.DISABLED:
                action = "enable"
            else:
                action = "state"
            await self._audit(db, action, source, updated, {"from": current.state.value, "to": state.value})
        return updated

    async def delete(self, connection_id: str, source: Source = "cli") -> Connection | UnreadableConnection:
        """Remove a connection, unreadable ones included (that is how a damaged row goes)."""
        _check_source(source)
        async with self._writing() as db:
            current = self._decode(await self._raw(db, connection_id))
            await db.execute("DELETE FROM connections WHERE id = ?", (connection_id,))
            await self._audit(db, "delete", source, current)
        return current

    # --- test and batch results -----------------------------------------------------------------

    async def record_test(self, result: TestResult) -> None:
        """Keep the result, and only the newest ``results_kept`` per connection."""
        async with self._lock, write_transaction(self._db) as db:
            await self._insert_result(db, result)

    async def _insert_result(self, db: aiosqlite.Connection, result: TestResult) -> None:
        clean = result.model_copy(
            update={
                "error": scrub(result.error) if result.error else result.error,
                "log": [scrub(line) for line in result.log],
            }
        )
        try:
            await db.execute(
                "INSERT INTO test_results (connection_id, tested_at, success, data) VALUES (?, ?, ?, ?)",
                (clean.connection_id, clean.tested_at.isoformat(), int(clean.success), clean.model_dump_json()),
            )
        except sqlite3.IntegrityError:
            raise NotFoundError(f"no connection with id {clean.connection_id}") from None
        await db.execute(
            "DELETE FROM test_results WHERE connection_id = ? AND seq NOT IN "
            "(SELECT seq FROM test_results WHERE connection_id = ? ORDER BY seq DESC LIMIT ?)",
            (clean.connection_id, clean.connection_id, self.results_kept),
        )

    async def test_results(self, connection_id: str, limit: int | None = None) -> builtins.list[TestResult]:
        """Newest first."""
        found = await self._fetchall(
            "SELECT data FROM test_results WHERE connection_id = ? ORDER BY seq DESC LIMIT ?",
            (connection_id, limit if limit is not None else -1),
        )
        return [TestResult.model_validate_json(row["data"]) for row in found]

    async def save_batch(self, result: BatchResult, ttl_s: float = 3600) -> None:
        async with self._lock, write_transaction(self._db) as db:
            await db.execute("DELETE FROM batch_results WHERE expires_at <= ?", (self._clock(),))
            await db.execute(
                "INSERT OR REPLACE INTO batch_results (batch_id, expires_at, data) VALUES (?, ?, ?)",
                (result.batch_id, self._clock() + ttl_s, result.model_dump_json()),
            )

    async def get_batch(self, batch_id: str) -> BatchResult | None:
        """None when unknown or expired."""
        found = await self._fetchall(
            "SELECT data FROM batch_results WHERE batch_id = ? AND expires_at > ?", (batch_id, self._clock())
        )
        return BatchResult.model_validate_json(found[0]["data"]) if found else None

    async def purge_expired(self) -> int:
        """Drop expired batch results; returns how many. Runs on open and on every save."""
        async with self._lock, write_transaction(self._db) as db:
            cursor = await db.execute("DELETE FROM batch_results WHERE expires_at <= ?", (self._clock(),))
            return cursor.rowcount

    # --- audit and keys -------------------------------------------------------------------------

    async def audit_log(self, limit: int = 100, connection_id: str | None = None) -> builtins.list[AuditEntry]:
        """Newest first."""
        where, params = _of_connection(connection_id)
        found = await self._fetchall(
            f"SELECT * FROM audit_log {where} ORDER BY seq DESC LIMIT ?", (*params, limit)
        )
        return [
            AuditEntry(
                seq=row["seq"],
                at=datetime.fromisoformat(row["at"]),
                action=row["action"],
                source=row["source"],
                connection_id=row["connection_id"],
                connection_name=row["connection_name"],
                details=json.loads(row["details"]),
            )
            for row in found
        ]

    async def rekey(self, new_key: MasterKey, source: Source = "cli") -> int:
        """Re-encrypt every connection's secrets and the key check under ``new_key``, all in one
        transaction: either every row moves to the new key or none does. Returns the row count.
        Afterwards this object uses the new key."""
        _check_source(source)
        new_cipher = new_key.cipher()
        async with self._writing() as db:
            cursor = await db.execute("SELECT id, secrets FROM connections")
            found = list(await cursor.fetchall())
            for connection_id, token in found:
                sealed = new_cipher.seal(connection_id, self._cipher.open(connection_id, token))
                await db.execute("UPDATE connections SET secrets = ? WHERE id = ?", (sealed, connection_id))
            new_check = await rebind(db, new_cipher)
            await self._audit(db, "rotate_master_key", source, None, {"connections": len(found)})
        self._cipher, self._key_check = new_cipher, new_check
        return len(found)

    # --- what other processes see: the change feed, checks, balances, tests, leases ----------

    async def data_version(self) -> int:
        """Changes whenever another connection (another process) commits: the cheap question
        a watcher asks before it asks what changed."""
        async with self._lock:
            return int(await pragma(self._db, "data_version"))

    async def last_change(self) -> int:
        found = await self._fetchall("SELECT COALESCE(MAX(seq), 0) AS seq FROM changes")
        return found[0]["seq"]

    async def changes_since(self, seq: int, limit: int) -> builtins.list[Change]:
        """Up to ``limit`` changes after ``seq``, oldest first. A first row beyond ``seq + 1``
        means the feed was pruned past the caller: it must read everything again."""
        found = await self._fetchall(
            "SELECT seq, connection_id, kind FROM changes WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        )
        return [Change(row["seq"], row["connection_id"], ChangeKind(row["kind"])) for row in found]

    async def prune_changes(self, keep: int) -> int:
        """Keep the newest ``keep`` changes (watchers behind that read everything again)."""
        async with self._lock, write_transaction(self._db) as db:
            cursor = await db.execute(
                "DELETE FROM changes WHERE seq <= (SELECT COALESCE(MAX(seq), 0) FROM changes) - ?", (keep,)
            )
            return cursor.rowcount

    async def record_check(self, check: CheckRecord) -> None:
        async with self._lock, write_transaction(self._db) as db:
            await db.execute(
                "INSERT OR REPLACE INTO checks (connection_id, checked_at, ok, latency_ms, error_kind, error, origin) "
                "SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM connections WHERE id = ?)",
                (
                    check.connection_id, check.checked_at, int(check.ok), check.latency_ms,
                    check.error_kind.value if check.error_kind else None,
                    scrub(check.error) if check.error else None, check.origin, check.connection_id,
                ),
            )

    async def checks(self, connection_id: str | None = None) -> builtins.list[CheckRecord]:
        where, params = _of_connection(connection_id)
        found = await self._fetchall(f"SELECT * FROM checks {where}", params)
        return [
            CheckRecord(
                row["connection_id"], row["checked_at"], bool(row["ok"]), row["latency_ms"],
                ErrorKind(row["error_kind"]) if row["error_kind"] else None, row["error"], row["origin"],
            )
            for row in found
        ]

    async def record_balance(self, connection_id: str, balances: dict[str, float], quote: str = "USDT") -> None:
        async with self._lock, write_transaction(self._db) as db:
            await db.execute(
                "INSERT OR REPLACE INTO balances (connection_id, read_at, quote, total, data) "
                "SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM connections WHERE id = ?)",
                (
                    connection_id, self._now().isoformat(), quote, balances.get(quote),
                    json.dumps(balances), connection_id,
                ),
            )

    async def balances(self, connection_id: str | None = None) -> dict[str, float | None]:
        """Each connection's latest total in its quote currency (None: it holds none)."""
        where, params = _of_connection(connection_id)
        found = await self._fetchall(f"SELECT connection_id, total FROM balances {where}", params)
        return {row["connection_id"]: row["total"] for row in found}

    async def record_key_profile(self, profile: KeyProfile) -> None:
        """Keep a key's newest facts; a connection deleted meanwhile keeps nothing."""
        async with self._lock, write_transaction(self._db) as db:
            await db.execute(
                "INSERT OR REPLACE INTO key_profiles (connection_id, read_at, data) "
                "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM connections WHERE id = ?)",
                (profile.connection_id, profile.read_at.isoformat(), profile.model_dump_json(), profile.connection_id),
            )

    async def key_profiles(self, connection_id: str | None = None) -> dict[str, KeyProfile]:
        """Each connection's latest key facts, with when they were read."""
        where, params = _of_connection(connection_id)
        found = await self._fetchall(f"SELECT data FROM key_profiles {where}", params)
        profiles = (KeyProfile.model_validate_json(row["data"]) for row in found)
        return {profile.connection_id: profile for profile in profiles}

    async def latest_tests(self, connection_id: str | None = None) -> dict[str, TestResult]:
        """Each connection's newest test result."""
        where, params = _of_connection(connection_id)
        found = await self._fetchall(
            f"SELECT data FROM test_results WHERE seq IN "
            f"(SELECT MAX(seq) FROM test_results {where} GROUP BY connection_id)",
            params,
        )
        results = (TestResult.model_validate_json(row["data"]) for row in found)
        return {result.connection_id: result for result in results}

    async def begin_test(self, claim: TestClaim, source: Source) -> Connection:
        """Put a connection in ``testing`` and say who tests it, in one step, if it still is in
        the claim's previous state (else it is returned as it is)."""
        _check_source(source)
        async with self._writing() as db:
            current = await self._load(db, claim.connection_id)
            if current.state is not ConnectionState(claim.previous_state):
                return current  # another process moved it since the caller looked
            await db.execute(
                "INSERT OR REPLACE INTO tests_running "
                "(connection_id, holder, host, pid, started_at, deadline, previous_state) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    claim.connection_id, claim.tester.token, claim.tester.host, claim.tester.pid,
                    claim.started_at, claim.deadline, claim.previous_state,
                ),
            )
            if current.state is ConnectionState.TESTING:
                return current
            updated = current.model_copy(update={"state": ConnectionState.TESTING, "updated_at": self._now()})
            await self._save(db, updated)
            await self._audit(db, "state", source, updated, {"from": current.state.value, "to": "testing"})
        return updated

    async def finish_test(
        self, result: TestResult, state: ConnectionState | None, source: Source, tester: str | None = None
    ) -> Connection:
        """Record a test's outcome, end its claim and, if the connection is still ``testing``
        (nobody disabled or re-tested it meanwhile), move it to ``state``: all or nothing. With
        ``tester``, only that tester's claim counts (a recovery must not end a live test)."""
        _check_source(source)
        async with self._writing() as db:
            current = await self._load(db, result.connection_id)
            if tester is not None:
                holder = await (
                    await db.execute("SELECT holder FROM tests_running WHERE connection_id = ?", (current.id,))
                ).fetchone()
                if holder is not None and holder[0] != tester:
                    return current
            await self._insert_result(db, result)
            await db.execute("DELETE FROM tests_running WHERE connection_id = ?", (current.id,))
            if state is None or current.state is not ConnectionState.TESTING or state is current.state:
                return current
            updated = current.model_copy(update={"state": state, "updated_at": self._now()})
            await self._save(db, updated)
            await self._audit(db, "state", source, updated, {"from": "testing", "to": state.value})
        return updated

    async def test_claims(self) -> builtins.list[tuple[Connection, TestClaim | None]]:
        """Every connection in ``testing`` with its claim (None: stored mid-test by a process
        that predates claims, or added and not yet picked up)."""
        found = await self._fetchall(
            f"SELECT {', '.join('c.' + col for col in rows.COLUMNS)}, t.holder, t.host, t.pid, t.started_at, "
            "t.deadline, t.previous_state FROM connections c LEFT JOIN tests_running t ON t.connection_id = c.id "
            "WHERE c.state = ?",
            (ConnectionState.TESTING.value,),
        )
        claims: list[tuple[Connection, TestClaim | None]] = []
        for row in found:
            connection = rows.from_row(row, self._cipher)
            claim = None
            if row["holder"] is not None:
                tester = ProcessIdentity(row["holder"], row["host"], row["pid"], "tester")
                claim = TestClaim(
                    connection.id, tester, row["started_at"], row["deadline"], row["previous_state"]
                )
            claims.append((connection, claim))
        return claims

    async def claim_lease(self, name: str, me: ProcessIdentity, ttl_s: float) -> Lease:
        """Take or renew the lease ``name`` if it is free, ours, expired or its holder is dead;
        returns whoever holds it now."""
        now = self._clock()
        async with self._lock, write_transaction(self._db) as db:
            cursor = await db.execute("SELECT * FROM leases WHERE name = ?", (name,))
            cursor.row_factory = sqlite3.Row
            row = await cursor.fetchone()
            current = _lease(row) if row is not None else None
            if current is None or current.holder.token == me.token or current.expires_at < now or current.holder.is_dead():
                acquired = current.acquired_at if current is not None and current.holder.token == me.token else now
                current = Lease(name, me, acquired, now + ttl_s)
                await db.execute(
                    "INSERT OR REPLACE INTO leases (name, holder, host, pid, kind, acquired_at, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (name, me.token, me.host, me.pid, me.kind, current.acquired_at, current.expires_at),
                )
        return current

    async def release_lease(self, name: str, me: ProcessIdentity) -> None:
        async with self._lock, write_transaction(self._db) as db:
            await db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, me.token))


def _lease(row: sqlite3.Row) -> Lease:
    holder = ProcessIdentity(row["holder"], row["host"], row["pid"], row["kind"])
    return Lease(row["name"], holder, row["acquired_at"], row["expires_at"])
