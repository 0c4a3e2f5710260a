"""The master key and the Fernet encryption of connection secrets at rest.

The key comes from env ``CTS_MASTER_KEY``, else from a key file (mode 0600) created on first use.
A store remembers which key it was written under through a *key check*: a Fernet token of a fixed
text, kept in the database. Opening with another key fails at once with a clear message, before
anything is written, instead of failing later on the first row.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from cts_tui import paths
from cts_tui.errors import StoreError

ENV_MASTER_KEY = "CTS_MASTER_KEY"
_KEY_CHECK_TEXT = b"cts-tui master key check v1"


@dataclass(frozen=True)
class MasterKey:
    """A Fernet key and where it came from (said in every error about it; the key never is)."""

    key: bytes
    source: str

    def cipher(self) -> SecretCipher:
        return SecretCipher(self)


def pending_key_path(key_path: Path) -> Path:
    """Where ``keys rotate`` puts the new key until the store has committed to it."""
    return key_path.with_name(key_path.name + ".new")


def parse_key(raw: bytes | str, source: str) -> MasterKey:
    """Validate a Fernet key (32 url-safe base64-encoded bytes)."""
    key = (raw.encode() if isinstance(raw, str) else raw).strip()
    try:
        Fernet(key)
    except (ValueError, TypeError):
        raise StoreError(
            f"{source} is not a valid master key (expected 32 url-safe base64-encoded bytes, "
            "as `cts-tui keys rotate` writes)"
        ) from None
    return MasterKey(key, source)


def read_key_file(path: Path) -> MasterKey:
    try:
        return parse_key(path.read_bytes(), f"key file {path}")
    except OSError as exc:
        raise StoreError(f"cannot read key file {path} ({exc.strerror or exc.__class__.__name__})") from None


class KeyFileExists(StoreError):
    pass


def write_key_file(path: Path, key: MasterKey) -> None:
    """A new key file, mode 0600 from creation, complete and on disk before it appears under its
    name (a process starting beside this one never reads half a key); never replaces a file."""
    staging = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    paths.create_private_file(staging, key.key + b"\n")
    try:
        fd = os.open(staging, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.link(staging, path)
    except FileExistsError:
        raise KeyFileExists(f"key file {path} already exists; it was left as it is") from None
    finally:
        staging.unlink(missing_ok=True)


def generate_key(source: str) -> MasterKey:
    return MasterKey(Fernet.generate_key(), source)


def key_from_env() -> MasterKey | None:
    raw = os.environ.get(ENV_MASTER_KEY)
    if not raw:
        return None
    return parse_key(raw, f"env {ENV_MASTER_KEY}")


class SecretCipher:
    """Encrypts a connection's secrets as one token, bound to its id so that tokens cannot be
    swapped between rows unnoticed."""

    def __init__(self, master: MasterKey) -> None:
        self.master = master
        self._fernet = Fernet(master.key)

    def key_check(self) -> str:
        return self._fernet.encrypt(_KEY_CHECK_TEXT).decode()

    def matches(self, key_check: str) -> bool:
        try:
            return self._fernet.decrypt(key_check.encode()) == _KEY_CHECK_TEXT
        except InvalidToken:
            return False

    def seal(self, connection_id: str, secrets: dict[str, str | None]) -> str:
        payload = json.dumps({"id": connection_id, **secrets}, separators=(",", ":"))
        return self._fernet.encrypt(payload.encode()).decode()

    def open(self, connection_id: str, token: str) -> dict[str, str | None]:
        try:
            data = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise StoreError(
                f"cannot decrypt the keys of connection {connection_id} with the master key from "
                f"{self.master.source}"
            ) from None
        if data.pop("id", None) != connection_id:
            raise StoreError(f"the stored keys of connection {connection_id} belong to another row")
        return data


def _file_opens(path: Path, opens: Callable[[MasterKey], bool]) -> bool:
    """Whether a key file exists, is readable and opens the store (a probe, so never raises)."""
    try:
        return path.exists() and opens(read_key_file(path))
    except StoreError:
        return False


def resolve_master_key(
    key_check: str | None,
    store_path: Path,
    *,
    explicit: MasterKey | None = None,
    key_path: Path | None = None,
) -> MasterKey:
    """The master key that opens the store whose key check is ``key_check`` (None: a store with
    no secrets yet). Order: ``explicit``, env ``CTS_MASTER_KEY``, the key file. A key file is
    created only for a store that has no key check, so an existing store is never re-keyed by
    accident. A rotation interrupted after its commit is finished here: the pending key file that
    opens the store takes the place of the old one."""
    key_path = key_path or paths.master_key_path()
    pending = pending_key_path(key_path)

    def opens(key: MasterKey) -> bool:
        return key_check is None or key.cipher().matches(key_check)

    chosen = explicit or key_from_env()
    if chosen is not None:
        if opens(chosen):
            return chosen
        hint = ""
        for candidate in (key_path, pending):
            if _file_opens(candidate, opens):
                hint = f"; the key in {candidate} does (unset {ENV_MASTER_KEY} or set it to that key)"
                break
        raise StoreError(f"the master key from {chosen.source} does not open store {store_path}{hint}")

    if key_path.exists():
        stored = read_key_file(key_path)
        if opens(stored):
            return stored
        if _file_opens(pending, opens):
            os.replace(pending, key_path)
            return read_key_file(key_path)
        raise StoreError(f"the master key in key file {key_path} does not open store {store_path}")
    if _file_opens(pending, opens):
        os.replace(pending, key_path)
        return read_key_file(key_path)
    if key_check is not None:
        raise StoreError(
            f"store {store_path} is encrypted but no master key was found: set {ENV_MASTER_KEY} "
            f"or restore key file {key_path}"
        )
    created = generate_key(f"key file {key_path}")
    try:
        write_key_file(key_path, created)
    except KeyFileExists:  # another process starting on this fresh store made it first
        return read_key_file(key_path)
    return created
