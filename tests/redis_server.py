"""One private redis-server on a free loopback port, for the tests and the benchmarks alike.

Callers may kill -9 it, SIGSTOP/SIGCONT it and start it again, to see how the shared rate
limiter behaves when Redis dies or hangs.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RedisServer:
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    extra: list[str] = field(default_factory=list)
    """More arguments: cluster mode, replicaof, --sentinel (``tests/redis_topologies.py``)."""
    config: Path | None = None
    """A config file, for a sentinel (it rewrites its file as it learns the topology)."""

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server") or "redis-server"
        if self.config is not None:
            command = [server, str(self.config), *self.extra]
        else:
            command = [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                       "--appendonly", "no", "--dir", str(self.workdir), *self.extra]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def cont(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def shutdown(self) -> None:
        """Kill it if it still runs, frozen or not."""
        if self.process is not None and self.process.poll() is None:
            self.cont()
            self.kill()
