"""The master key and the Fernet encryption of connection secrets at rest.

The key comes from env ``CTS_MASTER_KEY``, else from a key file (mode 0600) created on first use.
A store is bound to its key: it keeps a *key check* (a Fernet token of a fixed text, which only
that key decrypts) and the key's id (a fingerprint that gives nothing of the key away). Opening
with another key fails at once, before anything is written, with both ids in the message,
instead of failing later on the first row.

Beside the key file live the pending key of a rotation in progress (``<key file>.new``) and the
key a rotation replaced (``<key file>.previous``), kept until ``keys confirm``: a rotation that
went wrong in a way no check here saw can still be undone by hand.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from cts_tui import paths
from cts_tui.errors import StoreError

ENV_MASTER_KEY = "CTS_MASTER_KEY"
_KEY_CHECK_TEXT = b"cts-tui master key check v1"
_KEY_ID_PREFIX = b"cts-tui master key id v1\x00"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MasterKey:
    """A Fernet key, where it came from (said in every error about it; the key never is) and the
    key file it was read from, if any (the stores it opens are remembered beside that file)."""

    key: bytes
    source: str
    path: Path | None = None

    @property
    def id(self) -> str:
        """Tells keys apart in messages; a hash of the key, so it gives nothing of the key away."""
        return hashlib.sha256(_KEY_ID_PREFIX + self.key).hexdigest()[:12]

    def cipher(self) -> SecretCipher:
        return SecretCipher(self)


@dataclass(frozen=True)
class KeyBinding:
    """What a store records of the key that opens it. ``key_id`` is None in a store bound before
    ids were kept, until an open that may write adds it."""

    check: str
    key_id: str | None

    def opened_by(self, key: MasterKey) -> bool:
        return key.cipher().matches(self.check)

    def describe(self) -> str:
        return f"key {self.key_id}" if self.key_id else "another key"


def _opens(binding: KeyBinding | None, key: MasterKey) -> bool:
    """A store with no binding yet has no secrets, so any key opens it (and gets bound)."""
    return binding is None or binding.opened_by(key)


def key_mismatch(key: MasterKey, binding: KeyBinding, store_path: Path, hint: str = "") -> StoreError:
    return StoreError(
        f"the master key from {key.source} (key {key.id}) does not open store {store_path}, "
        f"which is bound to {binding.describe()}{hint}"
    )


def pending_key_path(key_path: Path) -> Path:
    """Where ``keys rotate`` puts the new key until the store has committed to it."""
    return key_path.with_name(key_path.name + ".new")


def previous_key_path(key_path: Path) -> Path:
    """Where ``keys rotate`` keeps the key it replaced, until ``keys confirm``."""
    return key_path.with_name(key_path.name + ".previous")


def parse_key(raw: bytes | str, source: str, path: Path | None = None) -> MasterKey:
    """Validate a Fernet key (32 url-safe base64-encoded bytes)."""
    key = (raw.encode() if isinstance(raw, str) else raw).strip()
    try:
        Fernet(key)
    except (ValueError, TypeError):
        raise StoreError(
            f"{source} is not a valid master key (expected 32 url-safe base64-encoded bytes, "
            "as `cts-tui keys rotate` writes)"
        ) from None
    return MasterKey(key, source, path)


def read_key_file(path: Path) -> MasterKey:
    try:
        return parse_key(path.read_bytes(), f"key file {path}", path)
    except OSError as exc:
        raise StoreError(f"cannot read key file {path} ({exc.strerror or exc.__class__.__name__})") from None


class KeyFileExists(StoreError):
    pass


def write_key_file(path: Path, key: MasterKey) -> None:
    """A new key file, mode 0600 from creation, complete and on disk before it appears under its
    name (a process starting beside this one never reads half a key), and its name on disk too
    before anything is encrypted under it; never replaces a file."""
    with paths.staged_private_file(path, key.key + b"\n") as staging:
        try:
            os.link(staging, path)
        except FileExistsError:
            raise KeyFileExists(f"key file {path} already exists; it was left as it is") from None
    paths.sync_directory(path.parent)


def generate_key(source: str) -> MasterKey:
    return MasterKey(Fernet.generate_key(), source)


@dataclass(frozen=True)
class PreviousKey:
    """The key a rotation replaced, and the stores the rotation applied to."""

    key: MasterKey
    stores: tuple[Path, ...]


def keep_previous_key(key_path: Path, key: MasterKey, stores: Iterable[Path]) -> None:
    """Write the backup of ``key`` (replacing a stale one), on disk before the caller goes on."""
    target = previous_key_path(key_path)
    content = json.dumps({"key": key.key.decode(), "stores": [str(s) for s in stores]}, indent=2)
    with paths.staged_private_file(target, content.encode() + b"\n") as staging:
        os.replace(staging, target)
    paths.sync_directory(target.parent)


def read_previous_key(key_path: Path) -> PreviousKey | None:
    target = previous_key_path(key_path)
    try:
        data = json.loads(target.read_bytes())
        key = parse_key(data["key"], f"previous key file {target}")
        stores = tuple(Path(store) for store in data["stores"])
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {target} ({exc.strerror or exc.__class__.__name__})") from None
    except (ValueError, KeyError, TypeError):
        raise StoreError(f"{target} is not a previous-key file cts-tui wrote; it was left as it is") from None
    return PreviousKey(key, stores)


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


def _file_opens(path: Path, binding: KeyBinding | None) -> bool:
    """Whether a key file exists, is readable and opens the store (a probe, so never raises)."""
    try:
        return path.exists() and _opens(binding, read_key_file(path))
    except StoreError:
        return False


def _previous_key_opens(key_path: Path, binding: KeyBinding) -> bool:
    try:
        previous = read_previous_key(key_path)
    except StoreError:
        return False
    return previous is not None and binding.opened_by(previous.key)


def key_file_key(binding: KeyBinding | None, key_path: Path) -> MasterKey | None:
    """The key file's key if it opens the store; else the pending key of a rotation interrupted
    after its commit, which then takes the key file's place (finishing that rotation); else None,
    leaving the files as they are."""
    if key_path.exists():
        stored = read_key_file(key_path)
        if _opens(binding, stored):
            return stored
    if _file_opens(pending_key_path(key_path), binding):
        os.replace(pending_key_path(key_path), key_path)
        paths.sync_directory(key_path.parent)
        return read_key_file(key_path)
    return None


def resolve_master_key(
    binding: KeyBinding | None,
    store_path: Path,
    *,
    explicit: MasterKey | None = None,
    key_path: Path | None = None,
) -> MasterKey:
    """The master key that opens the store bound by ``binding`` (None: a store with no secrets
    yet). Order: ``explicit``, env ``CTS_MASTER_KEY``, the key file. A key file is created only for
    a store that has no binding, so an existing store is never re-keyed by accident; its creation
    is announced (on stderr from the command line) because losing it loses every stored key."""
    key_path = key_path or paths.master_key_path()

    chosen = explicit or key_from_env()
    if chosen is not None:
        if _opens(binding, chosen):
            return chosen
        assert binding is not None
        hint = ""
        for candidate in (key_path, pending_key_path(key_path)):
            if _file_opens(candidate, binding):
                hint = f"; the key in {candidate} does (unset {ENV_MASTER_KEY} or set it to that key)"
                break
        raise key_mismatch(chosen, binding, store_path, hint)

    found = key_file_key(binding, key_path)
    if found is not None:
        return found
    if binding is None:
        created = replace(generate_key(f"key file {key_path}"), path=key_path)
        try:
            write_key_file(key_path, created)
        except KeyFileExists:  # another process starting on this fresh store made it first
            return read_key_file(key_path)
        log.warning(
            "created master key file %s; back it up: without it the API keys in the store cannot "
            "be decrypted",
            key_path,
        )
        return created
    if key_path.exists():
        hint = ""
        if _previous_key_opens(key_path, binding):
            hint = (
                f"; the previous key, which `keys rotate` kept in {previous_key_path(key_path)}, "
                f"opens it (set {ENV_MASTER_KEY} to the key in that file)"
            )
        raise key_mismatch(read_key_file(key_path), binding, store_path, hint)
    raise StoreError(
        f"store {store_path} is encrypted but no master key was found: set {ENV_MASTER_KEY} "
        f"or restore key file {key_path}"
    )
