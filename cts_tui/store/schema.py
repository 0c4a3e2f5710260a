"""The store's schema as an ordered list of forward migrations.

Migration ``n`` (1-based) takes a store from ``PRAGMA user_version`` ``n - 1`` to ``n``. Version 0
is an empty file. Migrations only ever get appended; a released one is never edited.
"""

from __future__ import annotations

Migration = tuple[str, ...]

MIGRATIONS: tuple[Migration, ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        # Secrets live only in ``secrets``: one Fernet token per row (see store/secrets.py).
        """CREATE TABLE connections (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            exchange TEXT NOT NULL,
            api_type TEXT NOT NULL,
            secrets TEXT NOT NULL,
            margin_type TEXT,
            position_mode TEXT,
            is_testnet INTEGER NOT NULL,
            enabled INTEGER NOT NULL,
            base_url TEXT,
            weight INTEGER NOT NULL,
            tags TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX connections_by_exchange ON connections (exchange, api_type)",
        """CREATE TABLE test_results (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
            tested_at TEXT NOT NULL,
            success INTEGER NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX test_results_by_connection ON test_results (connection_id, seq)",
        """CREATE TABLE batch_results (
            batch_id TEXT PRIMARY KEY,
            expires_at REAL NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX batch_results_by_expiry ON batch_results (expires_at)",
        """CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            source TEXT NOT NULL,
            connection_id TEXT,
            connection_name TEXT,
            details TEXT NOT NULL
        )""",
        "CREATE INDEX audit_log_by_connection ON audit_log (connection_id, seq)",
    ),
    (
        # The change feed: one row per change to a connection, its test results, its latest
        # health check or balance, written by triggers so that no write path (of any version
        # of any process) can forget it. Watchers read "what changed since seq N" when
        # ``PRAGMA data_version`` says another connection committed.
        """CREATE TABLE changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            connection_id TEXT NOT NULL,
            kind TEXT NOT NULL
        )""",
        """CREATE TRIGGER changes_on_add AFTER INSERT ON connections BEGIN
            INSERT INTO changes (connection_id, kind) VALUES (NEW.id, 'connection'); END""",
        """CREATE TRIGGER changes_on_edit AFTER UPDATE ON connections BEGIN
            INSERT INTO changes (connection_id, kind) VALUES (NEW.id, 'connection'); END""",
        """CREATE TRIGGER changes_on_remove AFTER DELETE ON connections BEGIN
            INSERT INTO changes (connection_id, kind) VALUES (OLD.id, 'removed'); END""",
        """CREATE TRIGGER changes_on_test AFTER INSERT ON test_results BEGIN
            INSERT INTO changes (connection_id, kind) VALUES (NEW.connection_id, 'test'); END""",
        # The latest health check and balance read of each connection, whoever made them.
        """CREATE TABLE checks (
            connection_id TEXT PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
            checked_at REAL NOT NULL,
            ok INTEGER NOT NULL,
            latency_ms REAL NOT NULL,
            error_kind TEXT,
            error TEXT,
            origin TEXT NOT NULL
        )""",
        # Written with INSERT OR REPLACE: one trigger sees every new check.
        """CREATE TRIGGER changes_on_check AFTER INSERT ON checks BEGIN
            INSERT INTO changes (connection_id, kind) VALUES (NEW.connection_id, 'check'); END""",
        """CREATE TABLE balances (
            connection_id TEXT PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
            read_at TEXT NOT NULL,
            quote TEXT NOT NULL,
            total REAL,
            data TEXT NOT NULL
        )""",
        """CREATE TRIGGER changes_on_balance AFTER INSERT ON balances BEGIN
            INSERT INTO changes (connection_id, kind) VALUES (NEW.connection_id, 'balance'); END""",
        # A test in progress: who runs it, until when it may take, and the state to go back to
        # if it never finishes (the tester timed out, was cancelled or died).
        """CREATE TABLE tests_running (
            connection_id TEXT PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
            holder TEXT NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            started_at REAL NOT NULL,
            deadline REAL NOT NULL,
            previous_state TEXT NOT NULL
        )""",
        # Duties that one process per store runs (scheduled checks, purges, recovery).
        """CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            kind TEXT NOT NULL,
            acquired_at REAL NOT NULL,
            expires_at REAL NOT NULL
        )""",
    ),
    (
        # Key hygiene: what each key is meant for (the policy flags permissions beyond it), and
        # the latest facts its exchange reported about it (permissions, IP whitelist, expiry)
        # with when they were read, whichever process read them; the trigger lets the others
        # see a new read through the change feed.
        "ALTER TABLE connections ADD COLUMN intended_use TEXT NOT NULL DEFAULT 'trade'",
        """CREATE TABLE key_profiles (
            connection_id TEXT PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
            read_at TEXT NOT NULL,
            data TEXT NOT NULL
        )""",
        """CREATE TRIGGER changes_on_key_profile AFTER INSERT ON key_profiles BEGIN
            INSERT INTO changes (connection_id, kind) VALUES (NEW.connection_id, 'key'); END""",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
