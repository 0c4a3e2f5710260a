"""Secrets at rest: never in clear on disk, and a wrong or missing master key is a clear error
that changes nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from cts_tui.errors import StoreError
from cts_tui.models import ConnectionPatch
from cts_tui.store import ENV_MASTER_KEY, ConnectionStore, secrets
from cts_tui.store.binding import peek_binding

from .helpers import PASSPHRASE, SECRET, SECRET_KEY, raw_bytes


def fingerprint(*files: Path) -> dict[str, str | None]:
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() if f.exists() else None for f in files}


async def test_raw_files_never_hold_a_secret(db_path, make_connection):
    async with await ConnectionStore.open(db_path) as store:
        okx = await store.add(make_connection(exchange="okx", api_type="spot", api_passphrase=PASSPHRASE))
        await store.add(make_connection())
        await store.update(okx.id, ConnectionPatch(api_secret=SECRET + "rotated"))
        on_disk_open = raw_bytes(db_path)  # WAL still holding the recent writes
    on_disk_closed = raw_bytes(db_path)
    for blob in (on_disk_open, on_disk_closed):
        for secret in (SECRET_KEY, SECRET, PASSPHRASE, SECRET_KEY[:12], SECRET[-12:]):
            assert secret.encode() not in blob, secret
    # the non-secret fields are there in clear: the grep would have found a clear secret
    assert okx.name.encode() in on_disk_closed


async def test_env_master_key_is_used_and_no_key_file_is_made(db_path, key_path, monkeypatch, make_connection):
    monkeypatch.setenv(ENV_MASTER_KEY, Fernet.generate_key().decode())
    async with await ConnectionStore.open(db_path) as store:
        added = await store.add(make_connection())
        assert store.key_source == f"env {ENV_MASTER_KEY}"
    assert not key_path.exists()
    async with await ConnectionStore.open(db_path) as store:
        assert await store.get(added.id) == added


async def test_wrong_master_key_is_a_clear_error_and_nothing_changes(db_path, key_path, monkeypatch, make_connection):
    async with await ConnectionStore.open(db_path) as store:
        await store.add(make_connection())
    before = fingerprint(db_path, key_path)
    wrong = Fernet.generate_key()
    monkeypatch.setenv(ENV_MASTER_KEY, wrong.decode())

    with pytest.raises(StoreError) as caught:
        await ConnectionStore.open(db_path)
    message = str(caught.value)
    bound = secrets.read_key_file(key_path).id
    wrong_id = secrets.parse_key(wrong, "test").id
    # both keys named by id, so that the user can tell which key is which
    assert (
        f"env {ENV_MASTER_KEY} (key {wrong_id}) does not open store {db_path}, which is bound to key {bound}"
        in message
    )
    assert f"the key in {key_path} does" in message  # the way out
    assert "\n" not in message
    assert fingerprint(db_path, key_path) == before


async def test_changed_key_file_is_a_clear_error_and_nothing_changes(db_path, key_path, make_connection):
    async with await ConnectionStore.open(db_path) as store:
        await store.add(make_connection())
    bound = secrets.read_key_file(key_path).id
    key_path.write_bytes(Fernet.generate_key())
    before = fingerprint(db_path, key_path)
    with pytest.raises(StoreError) as caught:
        await ConnectionStore.open(db_path)
    other = secrets.read_key_file(key_path).id
    assert f"key file {key_path} (key {other}) does not open store {db_path}, which is bound to key {bound}" in str(
        caught.value
    )
    assert fingerprint(db_path, key_path) == before


async def test_lost_key_file_is_not_silently_replaced(db_path, key_path, make_connection):
    async with await ConnectionStore.open(db_path) as store:
        await store.add(make_connection())
    key_path.unlink()
    with pytest.raises(StoreError, match="encrypted but no master key was found"):
        await ConnectionStore.open(db_path)
    assert not key_path.exists()


@pytest.mark.parametrize("bad", ["not-a-key", "c2hvcnQ=", "x" * 44])
async def test_malformed_env_key_is_refused_without_echoing_it(db_path, monkeypatch, bad):
    monkeypatch.setenv(ENV_MASTER_KEY, bad)
    with pytest.raises(StoreError, match=f"env {ENV_MASTER_KEY} is not a valid master key") as caught:
        await ConnectionStore.open(db_path)
    assert bad not in str(caught.value)


async def test_explicit_master_key_argument(db_path, key_path, make_connection):
    key = Fernet.generate_key()
    async with await ConnectionStore.open(db_path, master_key=key) as store:
        added = await store.add(make_connection())
    async with await ConnectionStore.open(db_path, master_key=key.decode()) as store:
        assert await store.get(added.id) == added
    with pytest.raises(StoreError, match="does not open"):
        await ConnectionStore.open(db_path, master_key=Fernet.generate_key())
    assert not key_path.exists()


async def test_secrets_moved_to_another_row_are_detected(db_path, make_connection):
    async with await ConnectionStore.open(db_path) as store:
        a = await store.add(make_connection())
        b = await store.add(make_connection())
    with closing(sqlite3.connect(db_path)) as plain:
        token = plain.execute("SELECT secrets FROM connections WHERE id = ?", (a.id,)).fetchone()[0]
        plain.execute("UPDATE connections SET secrets = ? WHERE id = ?", (token, b.id))
        plain.commit()
    async with await ConnectionStore.open(db_path) as store:
        assert await store.get(a.id) == a
        with pytest.raises(StoreError, match=f"keys of connection {b.id} belong to another row"):
            await store.get(b.id)


async def test_malformed_key_file_is_named(db_path, key_path, make_connection):
    async with await ConnectionStore.open(db_path) as store:
        await store.add(make_connection())
    key_path.write_text("garbage\n")
    with pytest.raises(StoreError, match=f"key file {key_path} is not a valid master key"):
        await ConnectionStore.open(db_path)


async def test_wrong_env_key_is_reported_even_beside_a_malformed_key_file(db_path, key_path, monkeypatch, make_connection):
    async with await ConnectionStore.open(db_path) as store:
        await store.add(make_connection())
    key_path.write_text("garbage\n")
    monkeypatch.setenv(ENV_MASTER_KEY, Fernet.generate_key().decode())
    with pytest.raises(
        StoreError,
        match=rf"^the master key from env {ENV_MASTER_KEY} \(key \w{{12}}\) does not open store {db_path}, "
        r"which is bound to key \w{12}$",
    ):
        await ConnectionStore.open(db_path)


async def test_key_file_made_by_another_process_meanwhile_is_used_not_overwritten(db_path, key_path, monkeypatch):
    """Another process starting on the same fresh store creates the key file between our look
    and our write: its key wins and ours is dropped."""
    theirs = Fernet.generate_key()
    real_generate = secrets.generate_key

    def generate_while_another_process_writes(source: str):
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key_path.write_bytes(theirs + b"\n")
        return real_generate(source)

    monkeypatch.setattr(secrets, "generate_key", generate_while_another_process_writes)
    async with await ConnectionStore.open(db_path) as store:
        assert store.key_source == f"key file {key_path}"
    assert key_path.read_bytes() == theirs + b"\n"
    async with await ConnectionStore.open(db_path, master_key=theirs):
        pass


async def test_a_store_bound_before_key_ids_gets_its_id_at_the_next_open(db_path, key_path, make_connection):
    async with await ConnectionStore.open(db_path) as store:
        await store.add(make_connection())
    with closing(sqlite3.connect(db_path)) as plain:
        plain.execute("DELETE FROM meta WHERE key = 'key_id'")
        plain.commit()
    assert (await peek_binding(db_path)).key_id is None
    async with await ConnectionStore.open(db_path):
        pass
    assert (await peek_binding(db_path)).key_id == secrets.read_key_file(key_path).id
