"""What every client of one hub shares: config, limiter, the HTTP pool and the exchange clocks,
plus the per-call record of the HTTP answer that the error classification reads.

The record lives in a context variable holding a mutable box, so that a response seen deep inside
a library call (even in a task the library spawned with ``gather``) is visible to the wrapper that
classifies the failure, without the library having to pass it up.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field

import aiohttp

from cts_tui.capabilities import ExchangeId
from cts_tui.config import Config
from cts_tui.exchanges.classify import HttpReply
from cts_tui.exchanges.clock import ServerClock
from cts_tui.exchanges.http import HttpPool
from cts_tui.ratelimit import Permit, RateLimiter

@dataclass(slots=True)
class CallRecord:
    """What one client call saw on the wire: the last answer and its round-trip times.

    A task keeps its record between calls and clears it for the next one (``busy`` while a call
    runs; a task that finds it busy, such as one spawned mid-call, makes its own): setting a
    context variable on every call cost more than the call's own bookkeeping, because each value
    set is a new context mapping that every timer and callback scheduled meanwhile keeps alive,
    which kept the garbage collector busy (about ten times as many collections under load).
    """

    reply: HttpReply | None = None
    sent_at: float | None = None
    received_at: float | None = None
    busy: bool = False


CURRENT_CALL: ContextVar[CallRecord | None] = ContextVar("cts_current_call", default=None)


def begin_call() -> CallRecord:
    """This task's call record, cleared for a new call (see ``CallRecord``); the caller sets
    ``busy`` back to False when its call ends."""
    record = CURRENT_CALL.get()
    if record is None or record.busy:
        record = CallRecord()
        CURRENT_CALL.set(record)  # kept for this task's next call
    else:
        record.reply = record.sent_at = record.received_at = None
    record.busy = True
    return record


@dataclass(slots=True)
class HubContext:
    config: Config
    limiter: RateLimiter
    pool: HttpPool
    clocks: dict[ExchangeId, ServerClock] = field(default_factory=dict)
    shared_data: dict[tuple[object, ...], object] = field(default_factory=dict)
    """Data loaded once and shared by every client that needs it (native clients' markets)."""
    timeouts: dict[str, aiohttp.ClientTimeout] = field(init=False)
    """Each exchange's request timeout by its name, made once per configuration: every request
    reads it (a lookup by ``ExchangeId`` would hash through ``Enum.__hash__``, a Python call)."""

    def __post_init__(self) -> None:
        self.reconfigure(self.config)

    def reconfigure(self, config: Config) -> None:
        self.config = config
        self.timeouts = {
            exchange.value: aiohttp.ClientTimeout(total=limits.timeout_ms / 1000)
            for exchange, limits in config.exchanges.items()
        }

    def clock(self, exchange: ExchangeId) -> ServerClock:
        clock = self.clocks.get(exchange)
        if clock is None:
            clock = self.clocks[exchange] = ServerClock()
        return clock

    def timeout_ms(self, exchange: ExchangeId) -> int:
        return self.config.exchanges[exchange].timeout_ms

    @staticmethod
    def record_sent() -> CallRecord | None:
        """Mark the running call's record as sent now; the record goes back to ``record_reply``."""
        record = CURRENT_CALL.get()
        if record is not None:
            record.sent_at = time.time()
            record.reply = None
        return record

    @staticmethod
    def record_reply(permit: Permit, record: CallRecord | None, reply: HttpReply) -> None:
        """Keep the answer for classification and tell the limiter, through the request's
        permit, what it says about the budget."""
        if record is not None:
            record.reply = reply
            record.received_at = reply.received_at
        permit.answered(reply.status, reply.headers, reply.received_at)
