"""A private redis-server for the benchmarks (the tests' own, in a temp dir, no persistence)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.redis_server import RedisServer  # noqa: E402


class RedisProcess(RedisServer):
    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            sys.exit("redis-server not found on PATH: install it to run this benchmark")
        self._dir = tempfile.TemporaryDirectory()
        super().__init__(Path(self._dir.name))

    def __enter__(self) -> RedisProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self._dir.cleanup()
