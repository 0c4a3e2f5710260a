"""Mapping between ``Connection`` models and rows of the ``connections`` table.

Secrets go through the cipher and nowhere else: a row holds them only as one sealed token.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from cts_tui.errors import ReadOnlyError, StoreError, describe_validation_error
from cts_tui.models import Connection
from cts_tui.store.secrets import SecretCipher

SECRET_FIELDS = ("api_key", "api_secret", "api_passphrase")

COLUMNS = (
    "id",
    "name",
    "exchange",
    "api_type",
    "secrets",
    "margin_type",
    "position_mode",
    "is_testnet",
    "enabled",
    "base_url",
    "weight",
    "tags",
    "state",
    "intended_use",
    "created_at",
    "updated_at",
)


def seal_secrets(connection: Connection, cipher: SecretCipher) -> str:
    passphrase = connection.api_passphrase
    return cipher.seal(
        connection.id,
        {
            "api_key": connection.api_key.get_secret_value(),
            "api_secret": connection.api_secret.get_secret_value(),
            "api_passphrase": passphrase.get_secret_value() if passphrase is not None else None,
        },
    )


def to_row(connection: Connection, cipher: SecretCipher) -> tuple[Any, ...]:
    if connection.origin != "store":  # the one way into a row: a connection from the environment never takes it
        raise ReadOnlyError(f"connection {connection.id} comes from the environment and is never stored")
    data = connection.model_dump(mode="json", exclude=set(SECRET_FIELDS))
    data["secrets"] = seal_secrets(connection, cipher)
    data["is_testnet"] = int(connection.is_testnet)
    data["enabled"] = int(connection.enabled)
    data["tags"] = json.dumps(connection.tags)
    return tuple(data[column] for column in COLUMNS)


def from_row(
    row: sqlite3.Row | Mapping[str, Any], cipher: SecretCipher, secrets: Mapping[str, Any] | None = None
) -> Connection:
    """``secrets``: entered again for a row whose own do not decrypt (its re-keying)."""
    data = {column: row[column] for column in COLUMNS if column != "secrets"}
    data.update(secrets if secrets is not None else cipher.open(row["id"], row["secrets"]))
    data["is_testnet"] = bool(data["is_testnet"])
    data["enabled"] = bool(data["enabled"])
    data["tags"] = json.loads(data["tags"])
    try:
        return Connection.model_validate(data)
    except ValidationError as exc:
        raise StoreError(
            f"stored connection {row['id']} is no longer valid: {describe_validation_error(exc)}"
        ) from None
