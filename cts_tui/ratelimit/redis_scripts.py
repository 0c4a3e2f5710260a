"""The budget counted inside Redis by Lua scripts, so that every process and host sharing a key
prefix spends one budget. Each script runs atomically and reads Redis ``TIME``: no client's clock
takes part in any decision.

Layout under the prefix: ``<p>:{<exchange>}:w:<window>`` is a rolling window's log (a sorted set
of grants, member ``<token>:<units>``, score the grant's millisecond) with ``...:n`` its running
sum and ``...:q<priority>`` the last wake-up it handed out at that priority, or an aligned window's
hash (``s`` its start, ``u`` its units); ``<p>:{<exchange>}:p:<scope>``
holds a pause as ``<until_ms>:<1 if ban else 0>``; the fleet's keys are ``fleet.py``'s. The braces are Redis Cluster's hash
tags: every key one script call touches (an exchange's windows and pauses, or the fleet's two
keys) hashes to one slot, which a cluster requires of a script and which keeps each budget on one
node."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError

from cts_tui.ratelimit.plan import Charge, Plan
from cts_tui.ratelimit.redis_client import AnyRedis

# KEYS: the plan's pause keys, then three keys per window (log or hash, sum, the wake-up queue of
# the request's priority). ARGV: pause count, window count, grant
# token, dry-run flag, one string of four numbers per window: aligned (0/1), period ms, cap,
# units (one packed argument costs the client far less than many), and how far ahead (ms) the
# caller may be granted.
# Returns {granted, wait_ms, blocking (-i: pause i, +w: window w, 0: none), banned, granted_ms,
# used...}: a grant's wait is how long its request must be held (0 but for a grant ahead).
# A rolling grant is logged as '~<token>:<units>' until its settlement dates it when its request
# ended ('<token>:<units>'). A check that meets full rolling windows which all free room within
# the caller's reach, by grants that are all settled, is granted ahead: counted from now,
# logged at the moment the room frees, and its request held until then. A saturated budget
# then costs one check per request instead of a refusal and a second check. Only settled
# grants decide that moment: an unsettled one may reach the exchange any time before it
# ends, and a successor dated by its grant could arrive within one window of it.
# Denied requests of one priority are told to come back one after the other, spaced as the cap
# frees (period x units / cap), not all at the moment the first unit frees: one of them would
# get it and the others would only ask again.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local npause, nwin = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 1, npause do
  local v = redis.call('GET', KEYS[i])
  if v then
    local u, b = string.match(v, '^(%d+):(%d)$')
    if tonumber(u) > now then return {0, tonumber(u) - now, -i, tonumber(b), now} end
  end
end
local spec = {}
for v in string.gmatch(ARGV[5], '%S+') do spec[#spec + 1] = tonumber(v) end
-- when the window w, holding total units, has room for units more (now if it has already), and
-- whether that moment is final: every grant leaving by then is settled (its request ended)
local function free_at(w, total)
  local a = (w - 1) * 4
  local period, cap, units = spec[a + 2], spec[a + 3], spec[a + 4]
  if total + units <= cap or total == 0 then return now, true end
  if spec[a + 1] == 1 then return now - now % period + period, false end
  local excess = total + units - cap
  local log = redis.call('ZRANGE', KEYS[npause + 3 * w - 2], 0, 63, 'WITHSCORES')
  local final = true
  for j = 1, #log, 2 do
    excess = excess - tonumber(string.match(log[j], ':(%d+)$'))
    final = final and string.sub(log[j], 1, 1) ~= '~'
    if excess <= 0 then return tonumber(log[j + 1]) + period, final end
  end
  return tonumber(log[#log]) + period, false
end
-- the longest wait over the windows, the window it is for, and whether every window's is final
local function longest(used)
  local wait, blocking, final = 0, 0, true
  for w = 1, nwin do
    local at, known = free_at(w, used[w])
    final = final and known
    if at - now > wait then wait, blocking = at - now, w end
  end
  return wait, blocking, final
end
local used = {}
for w = 1, nwin do
  local a = (w - 1) * 4
  local period = spec[a + 2]
  local k1, k2 = KEYS[npause + 3 * w - 2], KEYS[npause + 3 * w - 1]
  local total = 0
  if spec[a + 1] == 1 then
    if tonumber(redis.call('HGET', k1, 's') or '-1') == now - now % period then
      total = tonumber(redis.call('HGET', k1, 'u') or '0')
    end
  else
    local edge = now - period
    local old = redis.call('ZRANGEBYSCORE', k1, '-inf', edge)
    if #old > 0 then
      local freed = 0
      for _, m in ipairs(old) do freed = freed + tonumber(string.match(m, ':(%d+)$')) end
      redis.call('ZREMRANGEBYSCORE', k1, '-inf', edge)
      redis.call('DECRBY', k2, freed)
    end
    total = math.max(0, tonumber(redis.call('GET', k2) or '0'))
  end
  used[w] = total
end
local wait, blocking, final = longest(used)
local at = now
if blocking > 0 and final and ARGV[4] ~= '1' and wait <= tonumber(ARGV[6]) then
  -- every window has room then: granted ahead, unless an aligned window (counted in this
  -- period) would see the request in the next
  local same = true
  for w = 1, nwin do
    local period = spec[(w - 1) * 4 + 2]
    if spec[(w - 1) * 4 + 1] == 1 and (now + wait) - (now + wait) % period ~= now - now % period then
      same = false
    end
  end
  if same then at, blocking = now + wait, 0 end
end
if blocking > 0 and ARGV[4] ~= '1' and spec[(blocking - 1) * 4 + 1] == 0 then
  local a = (blocking - 1) * 4
  local queue = KEYS[npause + 3 * blocking]
  local last = tonumber(redis.call('GET', queue) or '0')
  local wake = math.max(now + wait, last + math.ceil(spec[a + 2] * spec[a + 4] / spec[a + 3]))
  redis.call('SET', queue, wake, 'PX', spec[a + 2])
  wait = wake - now
end
if blocking > 0 or ARGV[4] == '1' then
  local r = {0, wait, blocking, 0, now}
  for w = 1, nwin do r[5 + w] = used[w] end
  return r
end
for w = 1, nwin do
  local a = (w - 1) * 4
  local period, units = spec[a + 2], spec[a + 4]
  local k1, k2 = KEYS[npause + 3 * w - 2], KEYS[npause + 3 * w - 1]
  if spec[a + 1] == 1 then
    local start = now - now % period
    if tonumber(redis.call('HGET', k1, 's') or '-1') == start then
      redis.call('HINCRBY', k1, 'u', units)
    else
      redis.call('HSET', k1, 's', start, 'u', units)
    end
    redis.call('PEXPIRE', k1, period * 2)
  else
    redis.call('ZADD', k1, at, '~' .. ARGV[3] .. ':' .. units)
    redis.call('INCRBY', k2, units)
    redis.call('PEXPIRE', k1, period + 1000 + at - now)
    redis.call('PEXPIRE', k2, period + 1000 + at - now)
  end
  used[w] = used[w] + units
end
local r = {1, at - now, 0, 0, at}
for w = 1, nwin do r[5 + w] = used[w] end
return r
"""

# KEYS: two per settled window. ARGV: one string of six fields per window: aligned, period ms,
# member, units, granted ms, age ms (how long ago the request ended, by the caller's clock).
# Moves a rolling grant to when its request ended (never earlier than it stood), marked settled;
# counts an aligned grant that ended in a later window, still running, there too.
_SETTLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local f = {}
for v in string.gmatch(ARGV[1], '%S+') do f[#f + 1] = v end
for i = 1, #f / 6 do
  local a = (i - 1) * 6
  local k1, k2, period = KEYS[2 * i - 1], KEYS[2 * i], tonumber(f[a + 2])
  local done = now - tonumber(f[a + 6])
  if f[a + 1] == '1' then
    local start, granted = done - done % period, tonumber(f[a + 5])
    if granted - granted % period ~= start and start == now - now % period then
      if tonumber(redis.call('HGET', k1, 's') or '-1') == start then
        redis.call('HINCRBY', k1, 'u', f[a + 4])
      else
        redis.call('HSET', k1, 's', start, 'u', f[a + 4])
      end
      redis.call('PEXPIRE', k1, period * 2)
    end
  else
    local stood = redis.call('ZSCORE', k1, '~' .. f[a + 3])
    if stood then
      redis.call('ZREM', k1, '~' .. f[a + 3])
      redis.call('ZADD', k1, math.max(tonumber(stood), done), f[a + 3])
      redis.call('PEXPIRE', k1, period + 1000)
      redis.call('PEXPIRE', k2, period + 1000)
    end
  end
end
return 0
"""

_EVICT = """local edge = now - period
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', edge)
if #old > 0 then
  local freed = 0
  for _, m in ipairs(old) do freed = freed + tonumber(string.match(m, ':(%d+)$')) end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', edge)
  redis.call('DECRBY', KEYS[2], freed)
end
"""
"""Lua: forget the grants of the rolling window at KEYS[1] (its sum at KEYS[2]) that are older
than ``period`` ms before ``now``; leaves ``edge``, the window's start."""

# KEYS: window log, window sum. ARGV: aligned, period ms, units seen by the exchange, token,
# observed-at ms, tolerance, age ms of the observation. Raises the window to what the exchange
# counted when that exceeds our count by more than the tolerance; never lowers it. A rolling
# window counts the difference as spent when it was observed (now minus its age), not now.
_RAISE = (
    """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local period, seen, tolerance = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[6])
if ARGV[1] == '1' then
  local start = now - now % period
  local observed = tonumber(ARGV[5])
  if observed - observed % period ~= start then return 0 end
  if tonumber(redis.call('HGET', KEYS[1], 's') or '-1') ~= start then
    redis.call('HSET', KEYS[1], 's', start, 'u', 0)
  end
  local u = tonumber(redis.call('HGET', KEYS[1], 'u'))
  if seen > u + tolerance then redis.call('HSET', KEYS[1], 'u', seen) end
  redis.call('PEXPIRE', KEYS[1], period * 2)
  return math.max(seen, u)
end
"""
    + _EVICT
    + """
local total = math.max(0, tonumber(redis.call('GET', KEYS[2]) or '0'))
local at = now - tonumber(ARGV[7])
if seen > total + tolerance and at > edge then
  redis.call('ZADD', KEYS[1], at, ARGV[4] .. ':' .. (seen - total))
  redis.call('INCRBY', KEYS[2], seen - total)
  redis.call('PEXPIRE', KEYS[1], period + 1000)
  redis.call('PEXPIRE', KEYS[2], period + 1000)
  return seen
end
return total
"""
)

# KEYS: rolling window log, window sum. ARGV: period ms, token, "age_ms units" pairs youngest
# first (a grant ahead's age is negative), slack ms. Raises the log so that, for every pair, the units granted since that moment
# (less the slack) are at least the pairs' units up to it: what one process counted while Redis
# was away joins the shared count at the moments it was spent (never re-dated to now), and what
# Redis already holds (a frozen server keeps its data) is not counted twice. The slack covers
# our clock reading a grant a round trip after Redis stamped it.
_RESTORE = (
    """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local period = tonumber(ARGV[1])
"""
    + _EVICT
    + """
local log = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local j = #log - 1
local theirs, mine, added, n = 0, 0, 0, 0
for age, units in string.gmatch(ARGV[3], '(-?%d+) (%d+)') do
  local at = now - tonumber(age)
  if at > edge then
    while j >= 1 and tonumber(log[j + 1]) >= at - tonumber(ARGV[4]) do
      theirs = theirs + tonumber(string.match(log[j], ':(%d+)$'))
      j = j - 2
    end
    mine = mine + tonumber(units)
    local missing = mine - theirs - added
    if missing > 0 then
      n = n + 1
      redis.call('ZADD', KEYS[1], at, ARGV[2] .. '.' .. n .. ':' .. missing)
      added = added + missing
    end
  end
end
if added > 0 then
  redis.call('INCRBY', KEYS[2], added)
  redis.call('PEXPIRE', KEYS[1], period + 1000)
  redis.call('PEXPIRE', KEYS[2], period + 1000)
end
return added
"""
)

# KEYS: pause key. ARGV: milliseconds, ban flag. Extends a pause, never shortens it.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilms = now + tonumber(ARGV[1])
local v = redis.call('GET', KEYS[1])
if v then
  local u, b = string.match(v, '^(%d+):(%d)$')
  if tonumber(u) >= untilms then return tonumber(u) end
end
redis.call('SET', KEYS[1], untilms .. ':' .. ARGV[2], 'PX', tonumber(ARGV[1]))
return untilms
"""

_PendingTake = tuple[list[str], list[str | int | float], "asyncio.Future[list[int]]"]
_Call = tuple[AsyncScript, list[str], list[str | int | float]]
_Deferred = tuple[list[_Call], list["asyncio.Future[object]"]]
"""Script calls to send first (the riders' last) and the riders' futures, in order."""


def _answer(futures: Sequence[asyncio.Future[Any]], replies: Sequence[object]) -> None:
    """Each waiting future gets its reply; a reply that is an error is raised there."""
    for reply, future in zip(replies, futures, strict=True):
        if future.done():
            continue
        if isinstance(reply, Exception):
            future.set_exception(reply)
        else:
            future.set_result(reply)


@dataclass(frozen=True, slots=True)
class TakeResult:
    granted: bool
    wait_s: float
    blocking: int
    """-i: the plan's i-th pause key (1-based); +w: its w-th window; 0: nothing."""
    banned: bool
    used: tuple[int, ...]
    receipt: RedisReceipt | None


@dataclass(frozen=True, slots=True)
class RedisReceipt:
    """A grant in Redis, to be settled when its request is done."""

    plan: Plan
    token: str
    granted_ms: int


class RedisScripts:
    """Typed calls of the scripts for one key prefix."""

    def __init__(self, client: AnyRedis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self.process = uuid.uuid4().hex[:16]
        self._grants = itertools.count()
        self._take = client.register_script(_TAKE)
        self._raise = client.register_script(_RAISE)
        self._restore = client.register_script(_RESTORE)
        self._pause = client.register_script(_PAUSE)
        self._settle = client.register_script(_SETTLE)
        self._keys: dict[tuple[Plan, int], list[str]] = {}
        self._specs: dict[tuple[Plan, int], str] = {}
        self._pending: list[_PendingTake] = []
        self._sending: set[asyncio.Task[None]] = set()
        self._settled: list[tuple[RedisReceipt, float]] = []
        """Grants whose requests ended (monotonic time of the end), not yet told to Redis."""
        self._riders: list[tuple[_Call, asyncio.Future[object]]] = []
        """Calls whose answers someone awaits (the heartbeat) that ride with the next check."""
        self._readings: dict[str, tuple[Charge, int, float, float]] = {}
        """Window key -> the latest usage the exchange reported (units, epoch time, tolerance),
        not yet told to Redis."""

    def _token(self) -> str:
        return f"{self.process}.{next(self._grants)}"

    def _slot(self, key: str) -> str:
        """The exchange's hash tag: a plan's windows and pauses all start with its exchange."""
        return f"{self._prefix}:{{{key.split('|', 1)[0]}}}"

    def window_keys(self, charge: Charge) -> tuple[str, str]:
        base = f"{self._slot(charge.key)}:w:{charge.key}"
        return base, base + ":n"

    def pause_key(self, scope: str) -> str:
        return f"{self._slot(scope)}:p:{scope}"

    def _plan_keys(self, plan: Plan, priority: int) -> list[str]:
        keys = self._keys.get((plan, priority))
        if keys is None:
            keys = [self.pause_key(k) for k in plan.pause_keys]
            for charge in plan.charges:
                log, total = self.window_keys(charge)
                keys += [log, total, f"{log}:q{priority}"]
            self._keys[(plan, priority)] = keys
        return keys

    def forget_plans(self) -> None:
        self._keys.clear()
        self._specs.clear()

    async def take(self, plan: Plan, priority: int, dry_run: bool = False, ahead_s: float = 0.0) -> TakeResult:
        """``ahead_s``: how long the caller can hold its request for a grant ahead (0: none)."""
        spec = self._specs.get((plan, priority))
        if spec is None:
            spec = self._specs[(plan, priority)] = " ".join(
                f"{1 if charge.spec.aligned else 0} {int(charge.spec.period_s * 1000)} "
                f"{charge.caps[priority]!r} {charge.units}"
                for charge in plan.charges
            )
        token = self._token()
        args: list[str | int | float] = [len(plan.pause_keys), len(plan.charges), token,
                                          1 if dry_run else 0, spec, int(ahead_s * 1000)]
        reply = await self._batched_take(self._plan_keys(plan, priority), args)
        granted = bool(reply[0])
        return TakeResult(granted, reply[1] / 1000, reply[2], bool(reply[3]), tuple(reply[5:]),
                          RedisReceipt(plan, token, int(reply[4])) if granted else None)

    async def _batched_take(self, keys: list[str], args: list[str | int | float]) -> list[int]:
        """Checks asked for in the same loop iteration travel in one pipeline, with the deferred
        writes (settlements, usage readings) before them: one round trip for all of them, each
        script still atomic on its own."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[int]] = loop.create_future()
        self._pending.append((keys, args, future))
        if len(self._pending) > 1:
            return await future  # the first caller of this iteration sends for us
        try:
            await asyncio.sleep(0)  # let the other checks of this iteration join
        except BaseException:
            future.cancel()  # nobody will read this caller's answer
            raise
        finally:
            batch, self._pending = self._pending, []
            deferred = self._deferred_calls()
            if len(batch) > 1 or deferred[0]:
                # Sent by a task of its own: the callers riding along must not depend on this
                # one staying uncancelled, nor the deferred writes.
                task = loop.create_task(self._send(batch, deferred))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)
        if len(batch) == 1 and not deferred[0]:
            return await self._take(keys=keys, args=args)
        return await future

    async def _send(self, batch: list[_PendingTake], deferred: _Deferred) -> None:
        calls, riders = deferred
        futures: list[asyncio.Future[Any]] = [*riders, *(future for _keys, _args, future in batch)]
        try:
            replies = (await self._run(calls + [(self._take, k, a) for k, a, _f in batch]))[len(calls) - len(riders):]
        except Exception as error:  # every caller in the batch gets the failure
            for future in futures:
                if not future.done():
                    future.set_exception(error)
            return
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        _answer(futures, replies)

    async def _run(self, calls: list[_Call]) -> list[object]:
        """Script calls in one pipeline (one send; a cluster sends once per master concerned);
        a reply that is an error is returned, not raised, and a script Redis lost (restarted
        empty) is loaded and run again."""
        async with self._client.pipeline(transaction=False) as pipe:
            for script, keys, args in calls:
                pipe.evalsha(script.sha, len(keys), *keys, *args)
            replies: list[object] = await pipe.execute(raise_on_error=False)
        if any(isinstance(r, NoScriptError) for r in replies):
            replies = [await script(keys=keys, args=args) if isinstance(reply, NoScriptError) else reply
                       for reply, (script, keys, args) in zip(replies, calls, strict=True)]
        return replies

    # --- deferred writes: what no decision waits for travels with the next check -----------------

    def settle_later(self, receipt: RedisReceipt, ended: float) -> None:
        """``ended``: monotonic time the request ended; Redis dates the settlement so, however
        late it is sent."""
        self._settled.append((receipt, ended))

    def raise_later(self, charge: Charge, used: int, observed_at: float, tolerance: float) -> None:
        """Only the latest reading of a window is sent: it holds what the earlier ones said."""
        self._readings[charge.key] = (charge, used, observed_at, tolerance)

    def ride(self, call: _Call) -> asyncio.Future[object]:
        """Send ``call`` with the next check (or the next flush); the future gets its answer."""
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._riders.append((call, future))
        return future

    @property
    def deferred(self) -> bool:
        return bool(self._settled or self._readings or self._riders)

    def drop_deferred(self) -> None:
        self._settled.clear()
        self._readings.clear()
        riders, self._riders = self._riders, []
        for _call, future in riders:
            if not future.done():
                future.set_exception(RedisConnectionError("not sent: Redis stopped answering"))

    async def flush(self) -> None:
        """Send the deferred writes now (when no check came to carry them)."""
        calls, riders = self._deferred_calls()
        if not calls:
            return
        try:
            replies = await self._run(calls)
        except BaseException as error:
            for future in riders:
                if not future.done():
                    future.set_exception(error if isinstance(error, Exception) else RedisConnectionError("cancelled"))
            raise
        writes = len(calls) - len(riders)
        _answer(riders, replies[writes:])
        for reply in replies[:writes]:
            if isinstance(reply, Exception):
                raise reply

    def _deferred_calls(self) -> _Deferred:
        """The deferred writes as script calls, their ages taken now, then the riders' calls,
        and the riders' futures; empties the queues."""
        calls = self._settle_calls(self._settled)
        calls += [self._raise_call(*reading) for reading in self._readings.values()]
        riders, self._riders = self._riders, []
        calls += [call for call, _future in riders]
        self._settled.clear()
        self._readings.clear()
        return calls, [future for _call, future in riders]

    async def drain(self) -> None:
        """Wait for the batches already on their way."""
        await asyncio.gather(*self._sending, return_exceptions=True)

    def _settle_calls(self, settled: Sequence[tuple[RedisReceipt, float]]) -> list[_Call]:
        """One script call per exchange (a call's keys must share a slot)."""
        now = time.monotonic()
        by_exchange: dict[str, tuple[list[str], list[str]]] = {}
        for receipt, ended in settled:
            keys, fields = by_exchange.setdefault(receipt.plan.exchange, ([], []))
            age_ms = max(0, int((now - ended) * 1000))
            for charge in receipt.plan.charges:
                keys.extend(self.window_keys(charge))
                fields.append(f"{1 if charge.spec.aligned else 0} {int(charge.spec.period_s * 1000)} "
                              f"{receipt.token}:{charge.units} {charge.units} {receipt.granted_ms} {age_ms}")
        return [(self._settle, keys, [" ".join(fields)]) for keys, fields in by_exchange.values() if keys]

    def _raise_call(self, charge: Charge, used: int, observed_at: float, tolerance: float) -> _Call:
        """``observed_at``: epoch seconds of the count; a rolling window dates it by its age
        (by our clock, applied to Redis's), an aligned one keeps it only in its own period."""
        age_ms = max(0, int((time.time() - observed_at) * 1000))
        args: list[str | int | float] = [1 if charge.spec.aligned else 0, int(charge.spec.period_s * 1000), used,
                                          self._token(), int(observed_at * 1000), tolerance, age_ms]
        return self._raise, list(self.window_keys(charge)), args

    async def raise_usage(
        self, charge: Charge, used: int, observed_at: float, tolerance: float = 0
    ) -> int:
        script, keys, args = self._raise_call(charge, used, observed_at, tolerance)
        return int(await script(keys=keys, args=args))

    async def restore(self, charge: Charge, spent: Sequence[tuple[float, int]], slack_s: float) -> int:
        """Merge ``spent`` ((age in seconds, units), youngest first) into a rolling window, each
        at its own moment by Redis's clock, a grant of Redis's up to ``slack_s`` older standing
        for one of ours; returns the units added."""
        pairs = " ".join(f"{int(age * 1000)} {units}" for age, units in spent)
        args: list[str | int] = [int(charge.spec.period_s * 1000), self._token(), pairs, int(slack_s * 1000)]
        return int(await self._restore(keys=list(self.window_keys(charge)), args=args))

    async def pause(self, scope: str, seconds: float, banned: bool) -> float:
        """Returns the pause's end, epoch seconds in Redis's clock."""
        until_ms = await self._pause(keys=[self.pause_key(scope)],
                                     args=[max(1, int(seconds * 1000)), 1 if banned else 0])
        return int(until_ms) / 1000
