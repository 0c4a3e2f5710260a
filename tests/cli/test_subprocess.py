"""The real console script, as a user runs it: exit codes, one-line stderr, a hidden prompt."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("cts-tui")
# Makes the pty the child's controlling terminal, as a login shell would, so getpass uses it.
WITH_TTY = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); os.execv(sys.argv[1], sys.argv[1:])"
)


def cts(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "cts_tui"]
    return subprocess.run(
        [*command, *argv], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert done.returncode == code, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cts-tui: ") and "Traceback" not in done.stderr
    return lines[0]


def test_add_and_list_through_the_console_script(tmp_path):
    db = str(tmp_path / "store.db")
    secrets = {"CTS_API_KEY": "SubKeySubKey0123456789", "CTS_API_SECRET": "SubSecretSubSecret0123"}
    added = cts("--db", db, "conn", "add", "--name", "sub", "--exchange", "binance", "--api-type", "spot", env=secrets)
    assert added.returncode == 0, added.stderr
    listed = cts("--db", db, "conn", "list", "--json")
    assert listed.returncode == 0
    assert json.loads(listed.stdout)[0]["api_key"] == "SubK…6789"
    for secret in secrets.values():
        assert secret not in added.stdout + added.stderr + listed.stdout + listed.stderr


def test_python_dash_m_and_config_check(tmp_path):
    config = tmp_path / "cts.yaml"
    config.write_text("batch:\n  max_concurrent: 4\n")
    done = subprocess.run(
        [sys.executable, "-m", "cts_tui", "config", "check", str(config)], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"{config}: ok")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["conn", "frobnicate"], "invalid choice"),
        (["conn", "rm", "ghost"], "(cts-tui conn add creates one)"),  # no store yet
        (["config", "check", "/nonexistent/cts.yaml"], "config file not found"),
    ],
)
def test_bad_input_is_exit_2_with_one_line(argv, expected):
    assert expected in assert_one_line_error(cts(*argv))


def test_foreign_store_file_is_exit_2_and_untouched(tmp_path):
    foreign = tmp_path / "photo.jpg"
    foreign.write_bytes(b"\xff\xd8\xff\xe0" + bytes(200))
    line = assert_one_line_error(cts("--db", str(foreign), "conn", "list"))
    assert str(foreign) in line
    assert foreign.read_bytes() == b"\xff\xd8\xff\xe0" + bytes(200)


def _converse(fd: int, answers: dict[str, str], deadline_s: float = 30.0) -> str:
    """Answer each prompt as it appears; return everything the terminal showed."""
    shown = ""
    pending = dict(answers)
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096).decode(errors="replace")
        except OSError:  # the child closed the terminal
            return shown
        if not chunk:
            return shown
        shown += chunk
        for prompt in list(pending):
            if shown.rstrip().endswith(prompt):
                os.write(fd, (pending.pop(prompt) + "\n").encode())
    raise AssertionError(f"no end of conversation; terminal showed {shown!r}")


def test_secrets_typed_at_the_hidden_prompt_are_not_echoed(tmp_path):
    db = str(tmp_path / "tty.db")
    answers = {"API key:": "TtyKeyTtyKey0123456789", "API secret:": "TtySecretTtySecret0123", "API passphrase:": "tty-pass-phrase"}
    main, child_side = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTS_API_")}
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "cts_tui"]
    process = subprocess.Popen(
        [sys.executable, "-c", WITH_TTY, *command, "--db", db, "conn", "add", "--name", "tty", "--exchange", "okx",
         "--api-type", "spot"],
        stdin=child_side, stdout=child_side, stderr=child_side, start_new_session=True, env=env,
    )
    os.close(child_side)
    try:
        shown = _converse(main, answers)
        assert process.wait(timeout=30) == 0, shown
    finally:
        os.close(main)
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "added" in shown
    for secret in answers.values():
        assert secret not in shown
    listed = json.loads(cts("--db", db, "conn", "list", "--json").stdout)
    assert listed[0]["api_key"] == "TtyK…6789" and listed[0]["api_passphrase"] == "********"
