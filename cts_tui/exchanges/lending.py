"""A connection's real ccxt exchange, lent to the caller, whose every request is still ours.

``ExchangeManager.get_connection`` hands out a ccxt instance so that the whole of ccxt (order
books, trades, orders, any implicit endpoint) is at hand. It is a clone of the connection's shared
prototype (``ccxt_shared``), so its requests already go through our ``fetch``: the limiter, the
pool and the budget feedback. The lent class adds one step around that ``fetch``: an observer
refuses a request while the connection's circuit breaker is open (as ccxt's own
``ExchangeNotAvailable``) and is told every outcome, classified like any other call, so the
connection's statistics and breaker see the lent traffic too. ccxt's exceptions reach the caller
unchanged: it is ccxt they are using.
"""

from __future__ import annotations

import time
import weakref
from typing import Any, Protocol

from cts_tui.exchanges.ccxt_shared import SharedExchange
from cts_tui.exchanges.context import CallRecord, begin_call
from cts_tui.models import Connection


class LendingObserver(Protocol):
    def before(self) -> None:
        """Raise (a ccxt exception) to refuse the request before it is sent."""

    def after(self, elapsed_s: float, failure: BaseException | None, record: CallRecord) -> None:
        """The request's outcome: ``failure`` None on success; ``record`` holds the answer."""


_LENT_CLASSES: weakref.WeakKeyDictionary[type[Any], type[Any]] = weakref.WeakKeyDictionary()


def _lent_class(clone_class: type[Any]) -> type[Any]:
    lent = _LENT_CLASSES.get(clone_class)
    if lent is not None:
        return lent
    base_fetch = clone_class.fetch

    async def fetch(self: Any, url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        observer: LendingObserver = self._cts_observer
        observer.before()
        record = begin_call()
        started = time.perf_counter()
        try:
            result = await base_fetch(self, url, method, headers, body)
        except Exception as exc:  # noqa: BLE001 - observed, then raised to the caller as it is
            observer.after(time.perf_counter() - started, exc, record)
            raise
        finally:
            record.busy = False
        observer.after(time.perf_counter() - started, None, record)
        return result

    lent = _LENT_CLASSES[clone_class] = type(f"{clone_class.__name__}Lent", (clone_class,), {"fetch": fetch})
    return lent


def lend(shared: SharedExchange, connection: Connection, observer: LendingObserver) -> Any:
    """A fresh ccxt instance of ``connection`` whose requests ``observer`` sees."""
    instance = shared.clone(connection)
    instance.__class__ = _lent_class(type(instance))
    instance._cts_observer = observer
    return instance
