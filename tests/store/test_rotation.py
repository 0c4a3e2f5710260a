"""Master key rotation: every row moves in one transaction, and a crash at any point leaves a
store that opens (old key before the commit, new key after it)."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from cts_tui.errors import StoreError
from cts_tui.store import ENV_MASTER_KEY, ConnectionStore
from cts_tui.store.binding import peek_binding
from cts_tui.store.rotation import confirm_rotation, rotate_master_key
from cts_tui.store.secrets import pending_key_path, previous_key_path, read_key_file, read_previous_key

from .helpers import SECRET, raw_bytes


async def fill(db_path: Path, make_connection, count: int = 5) -> list:
    async with await ConnectionStore.open(db_path) as store:
        return [await store.add(make_connection()) for _ in range(count)]


async def read_all(db_path: Path) -> list:
    async with await ConnectionStore.open(db_path) as store:
        return await store.list()


def crash_during_rotation(db_path: Path, sabotage: str) -> int:
    """Run a real rotation in a child process that dies (os._exit) where ``sabotage`` says."""
    script = textwrap.dedent(
        f"""
        import asyncio, os, sys
        from pathlib import Path
        from cts_tui.store import secrets
        from cts_tui.store.rotation import rotate_master_key
        {textwrap.indent(textwrap.dedent(sabotage), "        ").strip()}
        asyncio.run(rotate_master_key(Path(sys.argv[1])))
        """
    )
    return subprocess.run([sys.executable, "-c", script, str(db_path)], timeout=60).returncode


async def test_rotation_re_encrypts_every_row_under_a_new_key_file(db_path, key_path, make_connection):
    added = await fill(db_path, make_connection)
    old_key = key_path.read_bytes()
    rotation = await rotate_master_key(db_path)

    assert rotation.connections == len(added)
    assert rotation.new_key_path == key_path
    assert str(key_path) in rotation.describe()
    assert key_path.read_bytes() != old_key
    assert not pending_key_path(key_path).exists()
    assert sorted(await read_all(db_path), key=lambda c: c.id) == sorted(added, key=lambda c: c.id)
    assert SECRET.encode() not in raw_bytes(db_path)
    with pytest.raises(StoreError, match="does not open"):
        await ConnectionStore.open(db_path, master_key=old_key)
    async with await ConnectionStore.open(db_path) as store:
        [entry] = [e for e in await store.audit_log() if e.action == "rotate_master_key"]
        assert entry.details == {"connections": len(added)} and entry.source == "cli"


async def test_crash_before_commit_leaves_the_old_key_valid(db_path, key_path, make_connection):
    added = await fill(db_path, make_connection)
    old_key = key_path.read_bytes()
    code = crash_during_rotation(
        db_path,
        """
        real_seal, calls = secrets.SecretCipher.seal, []
        def seal(self, *args):
            calls.append(1)
            if len(calls) == 3:
                os._exit(17)  # mid-transaction: two rows already re-encrypted
            return real_seal(self, *args)
        secrets.SecretCipher.seal = seal
        """,
    )
    assert code == 17
    assert key_path.read_bytes() == old_key
    assert sorted(await read_all(db_path), key=lambda c: c.id) == sorted(added, key=lambda c: c.id)
    # the abandoned pending key is not in the way of the next rotation
    rotation = await rotate_master_key(db_path)
    assert rotation.connections == len(added)
    assert len(await read_all(db_path)) == len(added)


async def test_crash_after_commit_is_finished_by_the_next_open(db_path, key_path, make_connection):
    added = await fill(db_path, make_connection)
    old_key = key_path.read_bytes()
    code = crash_during_rotation(
        db_path,
        """
        real_replace = os.replace
        def replace(source, target):
            if str(source).endswith(".new"):
                os._exit(18)  # committed, key file not yet swapped
            real_replace(source, target)
        os.replace = replace
        """,
    )
    assert code == 18
    assert key_path.read_bytes() == old_key and pending_key_path(key_path).exists()
    previous = read_previous_key(key_path)
    assert previous is not None and previous.key.key == old_key.strip() and previous.stores == (db_path,)
    assert sorted(await read_all(db_path), key=lambda c: c.id) == sorted(added, key=lambda c: c.id)
    assert key_path.read_bytes() != old_key
    assert not pending_key_path(key_path).exists()


async def test_rotation_with_env_key_writes_a_new_key_file_and_says_so(db_path, key_path, monkeypatch, make_connection):
    monkeypatch.setenv(ENV_MASTER_KEY, Fernet.generate_key().decode())
    added = await fill(db_path, make_connection, count=2)
    rotation = await rotate_master_key(db_path)
    assert rotation.new_key_path == key_path and rotation.key_from_env
    assert rotation.previous_key_path is None and not previous_key_path(key_path).exists()  # the user holds it
    assert f"set {ENV_MASTER_KEY}" in rotation.describe()
    with pytest.raises(StoreError, match=f"the key in {key_path} does"):
        await ConnectionStore.open(db_path)
    monkeypatch.setenv(ENV_MASTER_KEY, key_path.read_text().strip())
    assert len(await read_all(db_path)) == len(added)


async def test_rotation_never_overwrites_an_unrelated_key_file(db_path, key_path, tmp_path, monkeypatch, make_connection):
    await fill(db_path, make_connection, count=1)  # creates the key file
    unrelated = key_path.read_bytes()
    monkeypatch.setenv(ENV_MASTER_KEY, unrelated.decode().strip())
    with pytest.raises(StoreError, match="--key-out"):
        await rotate_master_key(db_path)
    out = tmp_path / "keys" / "new.key"
    rotation = await rotate_master_key(db_path, key_out=out)
    assert rotation.new_key_path == out and key_path.read_bytes() == unrelated
    monkeypatch.setenv(ENV_MASTER_KEY, out.read_text().strip())
    assert len(await read_all(db_path)) == 1


async def test_a_store_opened_before_a_rotation_refuses_to_write_under_the_old_key(db_path, make_connection):
    [added] = await fill(db_path, make_connection, count=1)
    async with await ConnectionStore.open(db_path) as stale:
        await rotate_master_key(db_path)
        with pytest.raises(StoreError, match="rotated by another process"):
            await stale.add(make_connection())
        with pytest.raises(StoreError, match=f"cannot decrypt the keys of connection {added.id}"):
            await stale.get(added.id)
    assert await read_all(db_path) == [added]


ROTATE_WHEN_TOLD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from cts_tui.store.rotation import rotate_master_key
    print("imported", flush=True)
    asyncio.run(rotate_master_key(Path(sys.argv[1])))
    print("rotated", flush=True)
    """
)


def rotate_and_kill(db_path: Path, after_s: float | None) -> float:
    """A real rotation in a child process, SIGKILLed ``after_s`` after its imports (None: left
    to finish). Returns how long the rotation took, when it was left to finish."""
    child = subprocess.Popen(
        [sys.executable, "-c", ROTATE_WHEN_TOLD, str(db_path)], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    assert child.stdout is not None and child.stdout.readline() == b"imported\n"
    started = time.monotonic()
    if after_s is None:
        assert child.stdout.readline() == b"rotated\n"
    else:
        time.sleep(after_s)
        child.kill()
    took = time.monotonic() - started
    child.wait(timeout=30)
    child.stdout.close()
    return took


async def test_rotation_killed_at_random_points_never_loses_a_key(db_path, key_path, make_connection):
    added = sorted(await fill(db_path, make_connection, count=20), key=lambda c: c.id)
    pick = random.Random(14)
    span = rotate_and_kill(db_path, None)  # how long a whole rotation takes here
    await confirm_rotation()
    kills = [0.0] + [pick.uniform(0, span * 1.1) for _ in range(13)] + [None]
    moved = 0
    for after_s in kills:
        before = read_key_file(key_path)
        rotate_and_kill(db_path, after_s)

        binding = await peek_binding(db_path)
        assert binding is not None
        if not binding.opened_by(before):  # it committed: the new key is there, and so is the old
            new_key = pending_key_path(key_path) if pending_key_path(key_path).exists() else key_path
            assert binding.opened_by(read_key_file(new_key))
            previous = read_previous_key(key_path)
            assert previous is not None and previous.key.key == before.key and previous.stores == (db_path,)
        assert sorted(await read_all(db_path), key=lambda c: c.id) == added  # every secret decrypts
        if not binding.opened_by(before):
            moved += 1
            confirmed = await confirm_rotation()
            assert confirmed is not None and confirmed.completed and not previous_key_path(key_path).exists()
    assert moved >= 1  # the last one was left to finish
