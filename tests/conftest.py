"""Suite-wide isolation: no test reads or writes the user's real config, data or keys."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for var in ("CTS_DB", "CTS_CONFIG", "CTS_MASTER_KEY", "CTS_API_KEY", "CTS_API_SECRET",
                "CTS_API_PASSPHRASE", "CTS_API_TOKEN", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    return home


# --- a real redis-server for the tests that share state through Redis -------------------------

import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402


@dataclass
class RedisServer:
    """One private redis-server; tests may kill -9 it, SIGSTOP/SIGCONT it and start it again."""

    port: int
    workdir: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def cont(self) -> None:
        self.process.send_signal(signal.SIGCONT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_server(tmp_path: Path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server binary not found on PATH (install the redis-server package)")
    server = RedisServer(_free_port(), tmp_path, None)  # type: ignore[arg-type]
    server.start()
    yield server
    if server.process.poll() is None:
        server.cont()
        server.kill()


# --- the exchange simulator, for any test that needs exchanges to talk to --------------------


@pytest.fixture
async def sim():
    """A started exchange simulator with the default scenario (all exchanges, demo accounts)."""
    from cts_tui.sim import Simulator

    async with Simulator() as simulator:
        yield simulator
