"""The connection store: one SQLite file, secrets encrypted with a Fernet master key."""

from cts_tui.store.secrets import ENV_MASTER_KEY, MasterKey
from cts_tui.store.store import SOURCES, AuditEntry, ConnectionStore, Source, UnreadableConnection

__all__ = ["ENV_MASTER_KEY", "SOURCES", "AuditEntry", "ConnectionStore", "MasterKey", "Source", "UnreadableConnection"]
