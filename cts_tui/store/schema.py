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
)

SCHEMA_VERSION = len(MIGRATIONS)
