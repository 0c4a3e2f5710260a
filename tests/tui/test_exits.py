"""`cts-tui --demo` on a real pseudo-terminal leaves cleanly however the session ends: q,
ctrl+c, SIGTERM, SIGHUP, and the terminal itself going away (an SSH drop)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pty_reader import start_reader

ROOT = Path(__file__).resolve().parents[2]
ROWS, COLS = 24, 80
DRAWN = "Name ▲".encode()
LEAVE_ALT_SCREEN = b"\x1b[?1049l"
SHOW_CURSOR = b"\x1b[?25h"
ESCAPE_SEQUENCE = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


class Session:
    """The app in a child process whose controlling terminal is a pty we hold the other end of."""

    def __init__(self, home: Path) -> None:
        env = dict(os.environ, TERM="xterm-256color", PYTHONPATH=str(ROOT), HOME=str(home),
                   XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"))
        env.pop("NO_COLOR", None)
        self.pid, self.master = pty.fork()
        if self.pid == 0:  # the child: size the terminal, then become the app
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
            os.execve(sys.executable, [sys.executable, "-m", "cts_tui", "--demo"], env)
        self.output = bytearray()
        self._lock = threading.Lock()
        self._reader = start_reader(self.master, self._keep)
        self.status: int | None = None

    def _keep(self, data: bytes) -> None:
        with self._lock:
            self.output += data

    def wait_drawn(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while DRAWN not in self.output:
            assert time.monotonic() < deadline, f"never drew; the terminal shows {bytes(self.output[-400:])!r}"
            time.sleep(0.05)
        time.sleep(0.5)  # a refresh or two with the demo's activity running

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def hang_up(self) -> None:
        """What an SSH drop does: the terminal's other end closes (the kernel sends SIGHUP)."""
        os.close(self.master)
        self.master = -1

    def wait_exit(self, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self._reader.join(timeout=2)
                self.status = os.waitstatus_to_exitcode(status)
                return self.status
            time.sleep(0.05)
        raise AssertionError(f"still running {timeout} s later; the terminal shows {bytes(self.output[-400:])!r}")

    def close(self) -> None:
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        if self.master >= 0:
            os.close(self.master)

    def after_leaving(self) -> bytes:
        """What was written after the app gave the screen back."""
        output = bytes(self.output)
        assert LEAVE_ALT_SCREEN in output, "the alternate screen was never left"
        return output[output.rindex(LEAVE_ALT_SCREEN) + len(LEAVE_ALT_SCREEN):]


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    running = Session(tmp_path)
    try:
        yield running
    finally:
        running.close()


def assert_left_cleanly(session: Session) -> None:
    assert session.wait_exit() == 0
    output = bytes(session.output)
    assert b"Traceback" not in output and b"Error" not in output
    tail = session.after_leaving()
    assert SHOW_CURSOR in output[output.rindex(LEAVE_ALT_SCREEN) - 200:] + tail  # the cursor is back
    assert ESCAPE_SEQUENCE.sub(b"", tail).strip() == b""  # nothing printed after the app


@pytest.mark.parametrize("key", [pytest.param(b"q", id="q"), pytest.param(b"\x03", id="ctrl+c")])
def test_keys_quit_cleanly(session: Session, key: bytes) -> None:
    session.wait_drawn()
    session.send(key)
    assert_left_cleanly(session)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_signals_exit_cleanly(session: Session, signum: signal.Signals) -> None:
    session.wait_drawn()
    os.kill(session.pid, signum)
    assert_left_cleanly(session)


def test_a_lost_terminal_ends_the_app(session: Session, tmp_path: Path) -> None:
    session.wait_drawn()
    session.hang_up()
    status = session.wait_exit()
    log = (tmp_path / "data" / "cts-tui" / "cts-tui.log").read_text()
    assert status == 0, log[-2000:]
    assert "Traceback" not in log
