"""Who spends the shared budgets: every process on a shared backend says, with each heartbeat,
where it runs, what it is and how many requests it sent per exchange in the last minute. A
process whose heartbeat stops drops out of the fleet once it is older than the liveness window,
like it drops out of the fair share.

Both keys share the ``{fleet}`` hash tag, so one script keeps them together on a cluster too.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections import defaultdict, deque
from typing import TYPE_CHECKING, Any

from cts_tui import __version__
from cts_tui.views.fleet import SPENT_WINDOW_S, Fleet, FleetMember

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

    from cts_tui.ratelimit.redis_client import AnyRedis


# KEYS: heartbeat set, info hash. ARGV: process id, liveness ms, the process's JSON.
# Returns {now_ms, id, last beat ms, JSON, id, ...} for every live process, itself included.
_BEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local live = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - live)
if #gone > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - live)
  redis.call('HDEL', KEYS[2], unpack(gone))
end
redis.call('PEXPIRE', KEYS[1], live * 2)
redis.call('PEXPIRE', KEYS[2], live * 2)
local r = {now}
local beats = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #beats, 2 do
  r[#r + 1] = beats[i]
  r[#r + 1] = tonumber(beats[i + 1])
  r[#r + 1] = redis.call('HGET', KEYS[2], beats[i]) or '{}'
end
return r
"""


# KEYS: heartbeat set, info hash. ARGV: process id. One round trip, so a clean close spends at
# most one socket timeout here when Redis is frozen.
_LEAVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 0
"""


class RecentRequests:
    """This process's requests per exchange over the last minute, for its heartbeat."""

    def __init__(self) -> None:
        self._times: dict[str, deque[float]] = defaultdict(deque)

    def add(self, exchange: str) -> None:
        self._times[exchange].append(time.monotonic())

    def counts(self) -> dict[str, int]:
        edge = time.monotonic() - SPENT_WINDOW_S
        for times in self._times.values():
            while times and times[0] < edge:
                times.popleft()
        return {exchange: len(times) for exchange, times in self._times.items() if times}


class FleetRegistry:
    """This process's entry in the fleet, kept by its heartbeat."""

    def __init__(self, client: AnyRedis, prefix: str, process_id: str, kind: str) -> None:
        self._keys = [f"{prefix}:{{fleet}}:procs", f"{prefix}:{{fleet}}:info"]
        self.process_id = process_id
        self._identity = {"host": socket.gethostname(), "pid": os.getpid(), "kind": kind,
                          "version": __version__, "started_at": round(time.time(), 3)}
        self._beat = client.register_script(_BEAT)
        self._leave = client.register_script(_LEAVE)

    def beat_call(self, live_ms: int, spent: dict[str, int]) -> tuple[AsyncScript, list[str], list[str | int | float]]:
        """The heartbeat as a script call, to send alone or in the pipeline of a check."""
        info = json.dumps({**self._identity, "spent": spent}, separators=(",", ":"))
        return self._beat, self._keys, [self.process_id, live_ms, info]

    async def beat(self, live_ms: int, spent: dict[str, int]) -> Fleet:
        script, keys, args = self.beat_call(live_ms, spent)
        return self.heard(await script(keys=keys, args=args))

    def heard(self, reply: Any) -> Fleet:
        """The fleet as a heartbeat's answer lists it."""
        members = []
        for i in range(1, len(reply), 3):
            member_id = reply[i].decode() if isinstance(reply[i], bytes) else str(reply[i])
            about = json.loads(reply[i + 2])
            members.append(FleetMember(
                id=member_id, host=str(about.get("host", "?")), pid=int(about.get("pid", 0)),
                kind=str(about.get("kind", "?")), version=str(about.get("version", "?")),
                started_at=float(about.get("started_at", 0)), seen_at=int(reply[i + 1]) / 1000,
                spent={str(k): int(v) for k, v in about.get("spent", {}).items()},
            ))
        return Fleet(self.process_id, tuple(members), int(reply[0]) / 1000)

    async def leave(self) -> None:
        """Out of the fleet at once on a clean close (a crash drops out when its beat ages)."""
        await self._leave(keys=self._keys, args=[self.process_id])
