"""The ccxt-backed client (binance, bybit, okx, bingx, htx, coinbase, kraken).

Calls run on the connection's lean clone (see ``ccxt_shared``); each one is guarded so that
whatever ccxt raises becomes a classified ``ExchangeError`` built from the HTTP answer we captured,
never from ccxt's exception text (which carries signed URLs and headers). Signed calls wait for the
exchange's clock to be synced and, on a timestamp rejection, re-sync and go once more.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import lru_cache, partial
from typing import Any, TypeVar

from cts_tui.errors import ErrorKind, ExchangeError, scrub
from cts_tui.exchanges import shapes
from cts_tui.exchanges.base import INTERFACE_METHODS, PUBLIC_METHODS, ExchangeClient
from cts_tui.exchanges.classify import (
    classify_reply,
    is_timestamp_rejection,
    library_kind,
    transport_error,
)
from cts_tui.exchanges.ccxt_shared import ccxt_class, ccxt_id
from cts_tui.exchanges.context import CallRecord, HubContext, begin_call
from cts_tui.exchanges.hosts import api_host
from cts_tui.exchanges.lending import LendingObserver, lend
from cts_tui.exchanges.profiles import profile_for
from cts_tui.key_facts import KeyFacts
from cts_tui.models import ApiType, Connection
from cts_tui.venues import VENUES

T = TypeVar("T")
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])([A-Z])")
_URL_RE = re.compile(r"\S+://\S+")
# Library failures that come from the network, never from a parsed answer.
_TRANSPORT_KINDS = (ErrorKind.NETWORK, ErrorKind.TIMEOUT)
# ccxt's generic classes, raised when a successful answer lacks what it parses (its specific
# ones, OrderNotFound or InsufficientFunds, keep their kind).
_SHAPE_COMPLAINTS = frozenset({"ExchangeError", "OperationFailed", "BadResponse", "NullResponse", "BaseError"})


@lru_cache(maxsize=1024)
def snake_case(method: str) -> str:
    return _CAMEL_RE.sub(r"_\1", method).lower()


class CcxtClient(ExchangeClient):
    def __init__(self, connection: Connection, ctx: HubContext, shared: Any) -> None:
        super().__init__(connection)
        self._ctx = ctx
        self._shared = shared
        self._profile = profile_for(connection.exchange, connection.api_type)
        self._instance: Any = None
        self._clock = ctx.clock(connection.exchange)
        self._ccxt_id = ccxt_id(connection.exchange, connection.api_type, connection.api_passphrase is not None)
        self._key_client: CcxtClient | None = None
        """Where the key's facts are read on another API type's host (``KeyReader.api_type``)."""

    @property
    def quote(self) -> str:
        return self._profile.symbol.split("/")[1].split(":")[0]

    # --- plumbing -------------------------------------------------------------------------------

    _begin_call = staticmethod(begin_call)

    async def _guard(self, action: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """``action(*args, **kwargs)`` with every library failure classified: the rare calls (markets,
        the status probe). ``_run`` does the same inline for every request."""
        record = self._begin_call()
        error: ExchangeError | None = None
        try:
            return await action(*args, **kwargs)
        except ExchangeError:
            raise
        except Exception as exc:  # noqa: BLE001 - every library failure is classified here
            error = self._translate(exc, record)
        finally:
            record.busy = False
        # Raised outside the except block: no __context__ chain back to ccxt's text.
        raise error

    def _translate(self, exc: Exception, record: CallRecord) -> ExchangeError:
        exchange = self._connection.exchange
        is_library = any(cls.__name__ == "BaseError" for cls in type(exc).__mro__)
        if isinstance(exc, TypeError) and record.sent_at is None:
            # Refused before anything was sent: the caller's arguments ("fetch_ticker() missing
            # 1 required positional argument: 'symbol'"), said as Python says it.
            return ExchangeError(ErrorKind.INVALID_REQUEST, f"{exchange.value}: {scrub(str(exc))[:200]}")
        if not is_library:
            # ccxt parsed something it did not expect (wrong types, missing fields).
            return ExchangeError(
                ErrorKind.BAD_RESPONSE,
                f"{exchange.value} answered with data of an unexpected shape ({type(exc).__name__})",
            )
        kind = library_kind(exc)
        if record.reply is not None:
            error = classify_reply(exchange, record.reply, library_kind=kind)
            if error is not None:
                return error
            if type(exc).__name__ in _SHAPE_COMPLAINTS:
                # A successful answer that ccxt could not use ("okx {}", "parseMarket() missing
                # id", "returned an empty response"): the exchange's answer is at fault.
                return ExchangeError(
                    ErrorKind.BAD_RESPONSE,
                    f"{exchange.value} answered with data of an unexpected shape (HTTP {record.reply.status})",
                    status=record.reply.status,
                )
        if kind in _TRANSPORT_KINDS:
            return transport_error(exchange, kind, self._ctx.timeout_ms(exchange))
        # A local refusal (unknown symbol, unsupported call): its text holds no request data,
        # but URLs are cut and secrets scrubbed regardless.
        text = _URL_RE.sub("<url>", scrub(str(exc)))[:200]
        return ExchangeError(kind, f"{exchange.value}: {type(exc).__name__}: {text}")

    async def _ccxt(self) -> Any:
        if self._instance is None:
            try:
                shared = await self._guard(self._shared.get, self._connection)
            except ExchangeError as exc:  # markets did not load: maintenance, perhaps
                status = partial(self._guard, self._shared.fetch_status, self._connection)
                raise (await self._maintenance_or(exc, status)) from None
            if self._instance is None:
                self._instance = shared.clone(self._connection)
        return self._instance

    async def _sync_clock(self) -> None:
        await self._run("fetch_time")

    async def _run(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One ccxt call, every failure classified; a signed call waits for the clock to be
        synced first. Every request takes this path, so it is one coroutine with the guard
        inline; what only failures need is in ``_recover``."""
        instance = self._instance or await self._ccxt()
        if method not in PUBLIC_METHODS:
            await self._clock.ensure_synced(self._sync_clock)
        record = self._begin_call()  # after the sync, which records a call of its own
        error: ExchangeError | None = None
        try:
            result = await getattr(instance, method)(*args, **kwargs)
        except ExchangeError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - every library failure is classified here
            error = self._translate(exc, record)
        finally:
            record.busy = False
        if error is None:
            if method == "fetch_time" and isinstance(result, (int, float)) and record.sent_at and record.received_at:
                self._clock.observe(record.sent_at, record.received_at, result)
            return result
        return await self._recover(error, instance, method, args, kwargs)

    async def _recover(
        self, error: ExchangeError, instance: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """After a failed call: a signed call rejected for its timestamp is sent once more after a
        forced re-sync; a server error is checked against the exchange's status."""
        try:
            if method in PUBLIC_METHODS or not is_timestamp_rejection(self._connection.exchange, error):
                raise error
            await self._clock.ensure_synced(self._sync_clock, force=True)
            return await self._guard(getattr(instance, method), *args, **kwargs)
        except ExchangeError as exc:
            if method == "fetch_status":
                raise
            raise (await self._maintenance_or(exc, partial(self._run, "fetch_status"))) from None

    async def _maintenance_or(self, error: ExchangeError, status: Callable[[], Awaitable[Any]]) -> ExchangeError:
        """``error``, or a MAINTENANCE error when it is a bare server error and the exchange's
        status endpoint (Binance's system/status, OKX's, Kraken's) says maintenance: a 5xx alone
        does not say why. One probe, only after a server error."""
        if error.kind is not ErrorKind.EXCHANGE_DOWN or not _has_of(self._ccxt_id).get("fetchStatus"):
            return error
        try:
            answer = await status()
        except ExchangeError:
            return error
        if not (isinstance(answer, dict) and answer.get("status") == "maintenance"):
            return error
        return ExchangeError(
            ErrorKind.MAINTENANCE, f"{self.exchange} is under maintenance (its status endpoint says so)",
            status=error.status, code=error.code,
        )

    # --- the interface ---------------------------------------------------------------------------

    async def load_markets(self) -> dict[str, Any]:
        instance = await self._ccxt()
        return instance.markets

    async def fetch_time(self) -> int:
        return shapes.server_time(self.exchange, await self._run("fetch_time"))

    async def fetch_ticker(self, symbol: str) -> dict[str, Any]:
        return shapes.ticker(self.exchange, await self._run("fetch_ticker", symbol), symbol)

    async def fetch_balance(self) -> dict[str, float]:
        raw = await self._run("fetch_balance", dict(self._profile.balance_params))
        if not isinstance(raw, dict):
            raise shapes.bad_shape(self.exchange, "a balance of an unexpected shape")
        return shapes.balances(self.exchange, raw.get("total") or {})

    async def fetch_permissions(self) -> list[str]:
        return (await self.fetch_key_facts()).permissions or []

    async def fetch_key_facts(self) -> KeyFacts:
        # By ccxt class: some keys of an exchange (its other product's) have no such endpoint.
        reader = VENUES[self.exchange].key_readers.get(self._ccxt_id)
        if reader is None:
            return KeyFacts()
        elsewhere = reader.api_type
        reading = self if elsewhere is None or self._reads_here(elsewhere) else self._sibling(elsewhere)
        raw: dict[str, Any] = {}
        for method, params in reader.requests:
            answer = await reading._run(method, params(raw))
            if not isinstance(answer, dict):
                raise shapes.bad_shape(self.exchange, "key facts of an unexpected shape")
            raw = answer
        return KeyFacts(**reader.parse(raw))

    def _reads_here(self, api_type: ApiType) -> bool:
        """Whether the key reader's API type talks to this connection's own host."""
        connection = self._connection
        if api_type is connection.api_type:
            return True
        passphrase = connection.api_passphrase is not None
        return api_host(connection.exchange, api_type, passphrase) == api_host(
            connection.exchange, connection.api_type, passphrase)

    def _sibling(self, api_type: ApiType) -> CcxtClient:
        """A client of the same key as another API type, on that type's host: with a base URL,
        that host's own URL from ``exchanges.<id>.hosts`` (a base URL stands for one host)."""
        if self._key_client is None:
            connection = self._connection
            base_url = connection.base_url
            if base_url is not None:
                host = api_host(connection.exchange, api_type, connection.api_passphrase is not None)
                base_url = self._ctx.config.limits(connection.exchange).hosts.get(host)
                if base_url is None:
                    raise ExchangeError(
                        ErrorKind.INVALID_REQUEST,
                        f"{self.exchange} reads a key's facts on {host}, which has no URL beside this "
                        f"connection's base URL (exchanges.{self.exchange}.hosts)",
                    )
            sibling = connection.model_copy(update={"api_type": api_type, "base_url": base_url})
            self._key_client = CcxtClient(sibling, self._ctx, self._shared)
        return self._key_client

    def call(self, method: str, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        # Not a coroutine itself: it hands back ``_run``'s, one frame fewer on every request.
        name = snake_case(method)
        if not _supports(self._ccxt_id, name):
            return _refuse(ExchangeError(ErrorKind.INVALID_REQUEST, f"{self.exchange} does not support {name}"))
        if name in ("fetch_permissions", "fetch_key_facts"):
            return getattr(self, name)()
        return self._run(name, *args, **kwargs)

    def supports(self, method: str) -> bool:
        return _supports(self._ccxt_id, snake_case(method))

    async def lend(self, observer: LendingObserver) -> Any:
        """A ccxt instance of this connection for the caller's own use (``lending``), with the
        exchange's clock synced so that its signed requests are on time."""
        shared = await self._guard(self._shared.get, self._connection)
        await self._clock.ensure_synced(self._sync_clock)
        return lend(shared, self._connection, observer)

    def classify(self, failure: BaseException, record: CallRecord) -> ExchangeError:
        """What a failure of a lent instance's request was, as any call's failure is told."""
        return failure if isinstance(failure, ExchangeError) else self._translate(failure, record)  # type: ignore[arg-type]

    def capabilities(self) -> list[str]:
        return [name for name in _CAPABILITY_METHODS if self.supports(name)]

    def detach(self) -> None:
        if self._instance is not None:
            self._instance.session = None
            self._instance = None
        if self._key_client is not None:
            self._key_client.detach()
            self._key_client = None


async def _refuse(error: ExchangeError) -> Any:
    raise error


for _name in INTERFACE_METHODS:  # answers of a wrong shape surface as bad_response
    setattr(CcxtClient, _name, shapes.shape_checked(getattr(CcxtClient, _name), lambda client: client.exchange))


# ccxt's own spelling of a few name parts (fetch_ohlcv -> fetchOHLCV).
_CAMEL_PARTS = {"ohlcv": "OHLCV", "le": "LE", "be": "BE", "adl": "ADL"}
_CAPABILITY_METHODS = (
    "fetch_ticker", "fetch_tickers", "fetch_order_book", "fetch_trades", "fetch_ohlcv",
    "fetch_balance", "create_order", "cancel_order", "fetch_order", "fetch_open_orders",
    "fetch_my_trades", "fetch_positions", "set_leverage", "fetch_funding_rate",
)
_HAS: dict[str, dict[str, Any]] = {}


def _has_of(name: str) -> dict[str, Any]:
    """ccxt's ``has`` table, read from the class description without building an instance."""
    has = _HAS.get(name)
    if has is None:
        cls = ccxt_class(name)
        has = _HAS[name] = cls.describe(object.__new__(cls)).get("has", {})
    return has


@lru_cache(maxsize=4096)
def _supports(ccxt_name: str, method: str) -> bool:
    if method in INTERFACE_METHODS:
        return True
    parts = method.split("_")
    camel = parts[0] + "".join(_CAMEL_PARTS.get(p, p.capitalize()) for p in parts[1:])
    return _has_of(ccxt_name).get(camel) in (True, "emulated")
