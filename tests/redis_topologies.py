"""Real Redis topologies on loopback, for the tests and the benchmarks: a 3-master cluster, and a
master with a replica watched by three sentinels. Each node is a ``RedisServer`` with extra
arguments, so callers can kill or freeze any of them like the single server."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from tests.redis_server import RedisServer, free_port

SERVICE = "budgets"
MISSING = "redis-server and redis-cli are needed for the Redis topologies"


class Topology(Protocol):
    def start(self) -> None: ...
    def shutdown(self) -> None: ...


T = TypeVar("T", bound=Topology)


@contextmanager
def running(topology: T) -> Iterator[T]:
    """``topology`` started, and shut down afterwards even when it failed to start halfway."""
    try:
        topology.start()
        yield topology
    finally:
        topology.shutdown()


def tools_present() -> bool:
    return shutil.which("redis-server") is not None and shutil.which("redis-cli") is not None


def _ask(port: int, *command: str) -> str:
    return subprocess.run(
        [shutil.which("redis-cli") or "redis-cli", "-p", str(port), *command],
        capture_output=True, text=True, timeout=10, check=True,
    ).stdout


def _until(check: object, what: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not happen within {timeout_s} s")


@dataclass
class RedisClusterTopology:
    workdir: Path
    masters: list[RedisServer] = field(default_factory=list)

    @property
    def nodes(self) -> list[str]:
        return [f"127.0.0.1:{m.port}" for m in self.masters]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(self.nodes)

    def start(self) -> None:
        for i in range(3):
            node_dir = self.workdir / f"cluster-{i}"
            node_dir.mkdir(parents=True, exist_ok=True)
            # The bus port is named: port + 10,000 (the default) may be taken or past 65,535.
            server = RedisServer(node_dir, extra=["--cluster-enabled", "yes",
                                                  "--cluster-port", str(free_port()),
                                                  "--cluster-config-file", "nodes.conf",
                                                  "--cluster-node-timeout", "2000"])
            server.start()
            self.masters.append(server)
        subprocess.run(
            [shutil.which("redis-cli") or "redis-cli", "--cluster", "create", *self.nodes,
             "--cluster-yes"],
            capture_output=True, timeout=30, check=True,
        )
        _until(lambda: all("cluster_state:ok" in _ask(m.port, "cluster", "info") for m in self.masters),
               "the cluster's slots being served")

    def shutdown(self) -> None:
        for server in self.masters:
            server.shutdown()


@dataclass
class RedisSentinelTopology:
    """A master, one replica and three sentinels that fail over after 500 ms of silence."""

    workdir: Path
    master: RedisServer | None = None
    replica: RedisServer | None = None
    sentinels: list[RedisServer] = field(default_factory=list)

    @property
    def sentinel_nodes(self) -> list[str]:
        return [f"127.0.0.1:{s.port}" for s in self.sentinels]

    @property
    def url(self) -> str:
        return "redis+sentinel://" + ",".join(self.sentinel_nodes) + "/" + SERVICE

    def master_port(self) -> int:
        """Where the sentinels say the master is now."""
        reply = _ask(self.sentinels[0].port, "sentinel", "get-master-addr-by-name", SERVICE)
        return int(reply.split()[1])

    def start(self) -> None:
        # No 5 s wait for more replicas before the first full sync.
        self.master = RedisServer(self.workdir / "master", extra=["--repl-diskless-sync-delay", "0"])
        self.replica = RedisServer(self.workdir / "replica")
        for server in (self.master, self.replica):
            server.workdir.mkdir(parents=True, exist_ok=True)
        self.master.start()
        self.replica.extra = ["--replicaof", "127.0.0.1", str(self.master.port)]
        self.replica.start()
        _until(lambda: "master_link_status:up" in _ask(self.replica.port, "info", "replication"),
               "the replica's link to the master")
        for i in range(3):
            directory = self.workdir / f"sentinel-{i}"
            directory.mkdir(parents=True, exist_ok=True)
            config = directory / "sentinel.conf"
            port = free_port()
            config.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {directory}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.master.port} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} 500\n"
                f"sentinel failover-timeout {SERVICE} 3000\n"
                f"sentinel parallel-syncs {SERVICE} 1\n"
            )
            sentinel = RedisServer(directory, port=port, config=config, extra=["--sentinel"])
            sentinel.start()
            self.sentinels.append(sentinel)
        _until(lambda: all("sentinels=3" in _ask(s.port, "info", "sentinel") for s in self.sentinels)
               and "slaves=1" in _ask(self.sentinels[0].port, "info", "sentinel"),
               "the sentinels finding each other and the replica")

    def wait_for_failover(self, old_port: int) -> int:
        """Block until the sentinels name a new master (and it takes writes); return its port."""
        _until(lambda: self.master_port() != old_port, "the failover")
        port = self.master_port()
        _until(lambda: "role:master" in _ask(port, "info", "replication"), "the promotion")
        return port

    def shutdown(self) -> None:
        for server in (*self.sentinels, self.replica, self.master):
            if server is not None:
                server.shutdown()

