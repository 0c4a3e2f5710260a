"""Requests on the hot path: a chosen connection, measured, retried elsewhere when that helps.

``execute_request`` runs a ccxt unified method on the connection the ``Picker`` chooses. A
retryable failure of a read is retried (up to ``load_balancing.max_retries`` times, with
exponential backoff) on the next eligible connection, on another exchange when the failure was
exchange-wide and no exchange was asked for. State-changing calls are never retried, never
hedged and never registered with the watchdog. Every outcome goes to ``HealthWatch``.

It is written as one coroutine from here to the client's, because every request takes this
path and under a hundred concurrent callers each coroutine level costs a few microseconds
(``benchmarks/coordinator_throughput.py``, docs/CONTRACTS.md).
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from typing import TYPE_CHECKING, Any

from cts_tui.core.health_watch import HealthWatch
from cts_tui.core.hedging import Won
from cts_tui.core.managed import ManagedConnection
from cts_tui.core.routing import Picker
from cts_tui.core.services import Services
from cts_tui.core.watchdog import Watchdog
from cts_tui.errors import ErrorKind, ExchangeError, NotFoundError
from cts_tui.models import ExchangeId
from cts_tui.ratelimit.limiter import PLAN_SINK
from cts_tui.ratelimit.priority import Priority, request_priority

if TYPE_CHECKING:
    from cts_tui.ratelimit.plan import Plan

_STATE_CHANGING = re.compile(
    r"^(create|cancel|edit|withdraw|transfer|set|borrow|repay|close|add_margin|reduce_margin)(_|$)"
)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_EXCHANGE_WIDE = frozenset(
    {ErrorKind.NETWORK, ErrorKind.TIMEOUT, ErrorKind.EXCHANGE_DOWN, ErrorKind.MAINTENANCE, ErrorKind.RATE_LIMITED}
)
"""Failures that say the whole exchange is unreachable, not just this key: a retry goes elsewhere."""


@functools.lru_cache(maxsize=1024)
def is_state_changing(method: str) -> bool:
    """Orders, cancels, withdrawals, transfers, leverage and margin changes: never retried."""
    return bool(_STATE_CHANGING.match(_CAMEL.sub("_", method).lower()))


class Requests:
    def __init__(self, services: Services, picker: Picker, health: HealthWatch, watchdog: Watchdog) -> None:
        self._live, self._table, self._hub = services.live, services.table, services.hub
        self._picker, self._health, self._watchdog = picker, health, watchdog

    async def execute_request(
        self,
        method: str,
        *args: Any,
        exchange_id: str | None = None,
        priority: Priority = Priority.NORMAL,
        **kwargs: Any,
    ) -> Any:
        """``method(*args, **kwargs)`` on a chosen connection (``exchange_id``: an exchange name
        or a connection id narrows the choice); see the module's docstring."""
        if exchange_id is not None and exchange_id not in self._table:
            try:
                ExchangeId(exchange_id)
            except ValueError:
                raise NotFoundError(f"no exchange or connection {exchange_id!r}") from None
        lb = self._live.current.load_balancing
        attempts = 1 if is_state_changing(method) else 1 + lb.max_retries
        excluded: frozenset[str] = frozenset()  # sets are made only when a retry needs them
        excluded_exchanges: frozenset[ExchangeId] = frozenset()
        last_error: ExchangeError | None = None
        # A read is registered in its connection's ``calls`` (the watchdog's registry); a
        # state-changing call never is, so it is never hedged, rescued or retried.
        task = asyncio.current_task() if attempts > 1 else None
        choose, client_for, health, watchdog = self._picker.choose, self._hub.client_for, self._health, self._watchdog
        for attempt in range(attempts):
            entry = choose(method, exchange_id, excluded, excluded_exchanges, priority)
            if entry is None:
                break
            client = client_for(entry.connection)
            stats = entry.stats
            stats.in_flight += 1
            sink: list[Plan] | None = None
            if method not in entry.plans:  # learn what this method is charged to, once
                sink = []
                learning = PLAN_SINK.set(sink)
            started = time.perf_counter()
            if task is not None:
                entry.calls[task] = (started, method, args, kwargs, exchange_id, priority)
            rescued = None
            try:
                with request_priority(priority):
                    result = await client.call(method, *args, **kwargs)
            except ExchangeError as exc:
                last_error = exc
            except asyncio.CancelledError:
                # The watchdog's doing (a hedge answered first, or the connection is suspect),
                # unless someone else cancelled too.
                rescued = watchdog.claim_rescue(task) if task is not None else None
                if rescued is None or task.uncancel() > 0:  # type: ignore[union-attr]
                    raise
                if isinstance(rescued, Won):
                    return rescued.result
                last_error = ExchangeError(ErrorKind.TIMEOUT, f"{entry.exchange.value}: {rescued.reason}")
            else:
                last_error = None
            finally:
                stats.in_flight -= 1
                if task is not None:
                    del entry.calls[task]
                    watchdog.answered(task)
                if sink is not None:
                    PLAN_SINK.reset(learning)
                    if sink:
                        entry.plans[method] = sink[-1]
            if last_error is None:
                health.record_success(entry, time.perf_counter() - started)
                return result
            if rescued is None:
                health.record_failure(entry, last_error, time.perf_counter() - started)
            if attempts == 1 or not last_error.kind.retryable:
                raise last_error
            excluded |= {entry.id}
            if exchange_id is None and last_error.kind in _EXCHANGE_WIDE:
                excluded_exchanges |= {entry.exchange}
            if attempt + 1 < attempts and lb.retry_backoff_ms and rescued is None:
                await asyncio.sleep(lb.retry_backoff_ms * 2**attempt / 1000)
        if last_error is not None:
            raise last_error
        where = f" on {exchange_id}" if exchange_id else ""
        raise ExchangeError(ErrorKind.EXCHANGE_DOWN, f"no healthy connection{where} can {method}")

    def record_outcome(self, entry: ManagedConnection, elapsed_s: float, error: ExchangeError | None = None) -> None:
        """A request sent outside ``execute_request`` (a lent ccxt exchange): the same
        statistics and breaker as any other."""
        if error is None:
            self._health.record_success(entry, elapsed_s)
        else:
            self._health.record_failure(entry, error, elapsed_s)

    def lease(self, exchange_id: str | None = None, method: str = "fetch_ticker") -> ManagedConnection:
        """A connection for direct use (``ExchangeManager.get_connection``), counted in flight
        until ``release``."""
        entry = self._picker.choose(method, exchange_id)
        if entry is None:
            where = f" on {exchange_id}" if exchange_id else ""
            raise ExchangeError(ErrorKind.EXCHANGE_DOWN, f"no healthy connection{where}")
        entry.stats.in_flight += 1
        return entry

    @staticmethod
    def release(entry: ManagedConnection) -> None:
        entry.stats.in_flight -= 1
