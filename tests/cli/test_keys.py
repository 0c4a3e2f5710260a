"""`cts-tui keys rotate` in-process."""

from __future__ import annotations

import json

from cts_tui import paths
from cts_tui.store.secrets import previous_key_path, read_key_file, read_previous_key

from .helpers import add, one_line_error
from .test_subprocess import cts


def test_rotate_says_where_the_new_key_is_and_the_store_still_opens(cli, api_env):
    add(cli, "main")
    old = paths.master_key_path().read_bytes()
    outcome = cli("keys", "rotate")
    assert outcome.code == 0, outcome.err
    new_id = read_key_file(paths.master_key_path()).id
    assert f"the new master key (key {new_id}) is in {paths.master_key_path()}" in outcome.out
    assert f"the previous key is kept in {previous_key_path(paths.master_key_path())} until `cts-tui keys confirm`" in (
        outcome.out
    )
    assert "re-encrypted 1 connection(s)" in outcome.out
    assert paths.master_key_path().read_bytes() != old
    listed = cli("conn", "list", "--json")
    assert listed.code == 0 and json.loads(listed.out)[0]["name"] == "main"


def test_rotate_json(cli, api_env, tmp_path):
    db = str(tmp_path / "other.db")
    cli("--db", db, "conn", "add", "--name", "m", "--exchange", "bybit", "--api-type", "spot")
    report = json.loads(cli("--db", db, "keys", "rotate", "--json").out)
    assert report == {
        "store": db,
        "connections": 1,
        "new_key_path": str(paths.master_key_path()),
        "new_key_id": read_key_file(paths.master_key_path()).id,
        "old_key_source": f"key file {paths.master_key_path()}",
        "previous_key_path": str(previous_key_path(paths.master_key_path())),
        "left_on_previous_key": [],
    }


def test_rotate_with_a_wrong_key_is_exit_2_and_changes_nothing(cli, api_env, monkeypatch):
    add(cli, "main")
    before = paths.master_key_path().read_bytes()
    monkeypatch.setenv("CTS_MASTER_KEY", "B" * 43 + "=")
    monkeypatch.delenv("CTS_API_KEY")
    line = one_line_error(cli("keys", "rotate", "--key-out", str(paths.config_dir() / "fresh.key")))
    assert "does not open store" in line
    assert paths.master_key_path().read_bytes() == before
    assert not (paths.config_dir() / "fresh.key").exists()


# --- the key file's other stores, the previous key and `keys confirm` ---------------------------


def key_files() -> dict[str, bytes]:
    """Everything beside the key file, by name (staging files included, were any left)."""
    return {p.name: p.read_bytes() for p in paths.master_key_path().parent.iterdir()}


def test_rotate_refuses_when_the_key_file_also_opens_another_store(cli, api_env, tmp_path):
    other = tmp_path / "other.db"
    add(cli, "main")
    add(cli, "side", db=other)
    before = key_files()
    line = one_line_error(cli("keys", "rotate"))
    assert f"key file {paths.master_key_path()} also opens store {other}" in line
    assert "--allow-shared-key" in line
    assert key_files() == before  # no backup, no pending key: nothing happened
    for db in (paths.default_db_path(), other):
        assert cli("--db", str(db), "conn", "list").code == 0


def test_rotate_with_allow_shared_key_leaves_the_other_store_on_the_previous_key(cli, api_env, tmp_path):
    other = tmp_path / "other.db"
    add(cli, "main")
    add(cli, "side", db=other)
    outcome = cli("keys", "rotate", "--allow-shared-key")
    assert outcome.code == 0, outcome.err
    assert f"still on the previous key: {other}" in outcome.out
    assert cli("conn", "list").code == 0
    # the other store says which key it needs and where that key is
    line = one_line_error(cli("--db", str(other), "conn", "list"))
    assert f"the previous key, which `keys rotate` kept in {previous_key_path(paths.master_key_path())}" in line
    # and the previous key is not let go while it is the only key of that store
    line = one_line_error(cli("keys", "confirm"))
    assert f"still opens store {other}" in line
    assert previous_key_path(paths.master_key_path()).exists()


def test_stores_that_are_gone_or_moved_to_another_key_do_not_count(cli, api_env, tmp_path, monkeypatch):
    gone, moved = tmp_path / "gone.db", tmp_path / "moved.db"
    add(cli, "main")
    for db in (gone, moved):
        assert add(cli, "x", db=db).code == 0
    gone.unlink()
    with monkeypatch.context() as env:  # `moved` gets its own key
        env.setenv("CTS_MASTER_KEY", paths.master_key_path().read_text().strip())
        assert cli("--db", str(moved), "keys", "rotate", "--key-out", str(tmp_path / "moved.key")).code == 0
    outcome = cli("keys", "rotate")
    assert outcome.code == 0, outcome.err
    assert "still on the previous key" not in outcome.out


def test_the_previous_key_is_kept_until_confirm_checks_the_store(cli, api_env):
    add(cli, "main")
    old = read_key_file(paths.master_key_path())
    assert cli("keys", "rotate").code == 0
    backup = previous_key_path(paths.master_key_path())
    assert backup.stat().st_mode & 0o777 == 0o600
    kept = json.loads(backup.read_text())
    assert kept == {"key": old.key.decode(), "stores": [str(paths.default_db_path())]}
    # a second rotation would make the first one's backup pointless: confirm first
    assert "awaits `cts-tui keys confirm`" in one_line_error(cli("keys", "rotate"))

    confirmed = cli("keys", "confirm")
    assert confirmed.code == 0, confirmed.err
    new_id = read_key_file(paths.master_key_path()).id
    assert f"key {new_id} opens {paths.default_db_path()} (1 connection(s)); removed the previous key" in confirmed.out
    assert not backup.exists()
    assert cli("conn", "list").code == 0
    again = cli("keys", "confirm")
    assert (again.code, again.out, again.err.strip()) == (0, "", "nothing to confirm: no key rotation is waiting")
    assert cli("keys", "rotate").code == 0  # and the next rotation may go ahead


def test_confirm_refuses_when_the_key_file_does_not_open_the_store(cli, api_env):
    add(cli, "main")
    assert cli("keys", "rotate").code == 0
    previous = read_previous_key(paths.master_key_path())
    assert previous is not None
    paths.master_key_path().write_bytes(previous.key.key)  # someone put the old key back
    line = one_line_error(cli("keys", "confirm"))
    assert f"key file {paths.master_key_path()} does not open store {paths.default_db_path()}" in line
    assert previous_key_path(paths.master_key_path()).exists()


def test_a_new_key_file_is_announced_once_on_stderr(tmp_path):
    secrets = {"CTS_API_KEY": "SubKeySubKey0123456789", "CTS_API_SECRET": "SubSecretSubSecret0123"}
    argv = ("conn", "add", "--name", "m", "--exchange", "bybit", "--api-type", "spot")
    first = cts("--db", str(tmp_path / "a.db"), *argv, env=secrets)
    assert first.returncode == 0, first.stderr
    [line] = first.stderr.strip().splitlines()
    assert f"created master key file {paths.master_key_path()}; back it up" in line
    second = cts("--db", str(tmp_path / "b.db"), *argv, env=secrets)
    assert (second.returncode, second.stderr) == (0, "")
