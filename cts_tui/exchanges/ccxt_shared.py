"""Lean ccxt: one prototype per (exchange, API type, base URL, testnet), cheap clones per key.

A plain ccxt instance costs ~100-250 KiB before markets (its endpoint tables are deep-copied per
instance) and ~20 MiB with ~2,000 markets. Here each prototype is built once, hooked (limiter,
clock, response capture) and loaded with markets shared per (exchange, market types, base URL);
then a class is made whose attributes *are* the prototype's, so a connection's instance holds only
what differs: its credentials, a shallow copy of the options (ccxt writes per-account state there)
and its headers. Reads fall through to the shared class attributes, writes land on the instance:
copy-on-write at attribute level, and ccxt itself is not modified.
"""

from __future__ import annotations

import asyncio
import logging
import types
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import ccxt.async_support as ccxt_async

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.exchanges import shapes
from cts_tui.exchanges.ccxt_transport import fetch2, make_fetch
from cts_tui.exchanges.clock import increasing_ms
from cts_tui.exchanges.context import HubContext
from cts_tui.exchanges.hosts import Target, api_host, rehost
from cts_tui.exchanges.profiles import Profile, market_options, profile_for
from cts_tui.models import Connection
from cts_tui.venues import VENUES

def ccxt_id(exchange: ExchangeId, api_type: ApiType, has_passphrase: bool) -> str:
    """The ccxt class for a connection: an API type may be another product of the exchange
    (``Venue.ccxt_ids``), and keys with a passphrase another product's keys, which sign
    differently (``Venue.passphrase_ccxt_id``)."""
    return VENUES[exchange].ccxt_id(api_type, has_passphrase)


def ccxt_class(name: str) -> type[Any]:
    return getattr(ccxt_async, name)

# ccxt logs every request with its headers (API keys) and signed URL at DEBUG: its instances get
# a logger that drops everything, whatever the application's logging level.
_SILENT = logging.getLogger("cts_tui.exchanges.ccxt_silenced")
_SILENT.disabled = True
_SILENT.propagate = False

OWN_CLOCK_NONCE = frozenset(venue.id for venue in VENUES.values() if venue.own_clock_nonce)
"""Exchanges whose signed calls carry a nonce that must grow per key: taken from our own clock
(``clock.increasing_ms``), not from the exchange's, which can move back."""

# Market state that set_markets builds; shared by reference between instances.
_MARKET_ATTRS = (
    "markets", "markets_by_id", "symbols", "ids", "currencies", "currencies_by_id",
    "baseCurrencies", "quoteCurrencies", "codes",
)


@dataclass(frozen=True, slots=True)
class SharedKey:
    exchange: ExchangeId
    api_type: ApiType
    base_url: str | None
    testnet: bool
    ccxt_id: str

    @classmethod
    def of(cls, connection: Connection) -> SharedKey:
        return cls(
            connection.exchange, connection.api_type, connection.base_url, connection.is_testnet,
            ccxt_id(connection.exchange, connection.api_type, connection.api_passphrase is not None),
        )


def is_signed_api(api: Any) -> bool:
    """Whether ccxt signs a request to this API section: ccxt names its sections ``public`` /
    ``private`` alone or inside a path (``['spot', 'v1', 'private']``, ``fapiPrivate``)."""
    return _names_private(api) if isinstance(api, str) else _path_names_private(tuple(api))


@lru_cache(maxsize=256)
def _names_private(section: str) -> bool:
    return "private" in section.lower()


@lru_cache(maxsize=256)
def _path_names_private(sections: tuple[Any, ...]) -> bool:
    return any(map(_names_private, map(str, sections)))


def _hooked_class(ctx: HubContext, key: SharedKey, base_path: str) -> type[Any]:
    """A subclass of the exchange's ccxt class whose every HTTP request goes through our
    ``fetch`` (``ccxt_transport``: limiter, pool, feedback) and is signed with the exchange's
    clock."""
    exchange = key.exchange
    # The host a base URL stands for (keys with a passphrase are another product's where the
    # exchange has another ccxt class for them).
    with_passphrase = key.ccxt_id == VENUES[exchange].passphrase_ccxt_id
    real_host = api_host(exchange, key.api_type, with_passphrase) if key.base_url else None
    ccxt_cls = ccxt_class(key.ccxt_id)
    base_sign = ccxt_cls.sign
    clock = ctx.clock(exchange)

    def sign(self: Any, path: str, api: Any = "public", *args: Any, **kwargs: Any) -> Any:
        # ccxt's fetch2 calls fetch right after sign, with no await between: fetch reads these
        # first, and signs again with them when its request had to wait for a permit.
        # (``is_signed_api``, inline: every request passes here.)
        signed = _names_private(api) if type(api) is str else _path_names_private(tuple(api))
        self._cts_signed = signed
        if signed:
            self._cts_sign_args = (path, api, args, kwargs)
        return base_sign(self, path, api, *args, **kwargs)

    overrides: dict[str, Any] = {
        "_cts_account": None,
        "_cts_signed": False,
        "_cts_sign_args": None,
        "milliseconds": staticmethod(clock.now_ms),
        "seconds": staticmethod(clock.now_s),
        "sign": sign,
        "fetch": make_fetch(ctx, exchange, base_path, real_host),
        "fetch2": fetch2,
    }
    if exchange in OWN_CLOCK_NONCE:
        overrides["nonce"] = staticmethod(increasing_ms())
    return type(f"Cts{ccxt_cls.__name__}", (ccxt_cls,), overrides)


def rewrite_urls(node: Any, target: Target, hostname: str | None = None) -> Any:
    """Every URL in ccxt's ``urls['api']`` tree swapped to `target` (`hosts.rehost`), its
    ``{hostname}`` templates filled with `hostname` first where given."""
    if isinstance(node, dict):
        return {key: rewrite_urls(value, target, hostname) for key, value in node.items()}
    if isinstance(node, str) and "://" in node:
        return rehost(node, target, hostname)
    return node


def _rehost(node: Any, host: str) -> Any:
    if isinstance(node, dict):
        return {key: _rehost(value, host) for key, value in node.items()}
    return host


class MarketStore:
    """Markets loaded once per (exchange, market type, base URL, testnet), kept by reference.

    A profile that needs several types (Bybit unified: spot and linear) gets their union, built
    from the same market objects, so a spot, a perpetual and a unified connection on one exchange
    hold each market once.
    """

    def __init__(self) -> None:
        self._loaded: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._locks: dict[tuple[Any, ...], asyncio.Lock] = {}

    async def attach(self, instance: Any, key: SharedKey, profile: Profile) -> None:
        sets = [await self._market_set(instance, key, kind) for kind in profile.market_types]
        if len(sets) == 1:
            state = sets[0]
        else:
            union_key = (key.ccxt_id, profile.market_types, key.base_url, key.testnet)
            state = self._loaded.get(union_key) or self._loaded.setdefault(union_key, _union(sets))
        for name, value in state.items():
            setattr(instance, name, value)
        # load_markets() on the instance (ccxt calls it everywhere) must find them loaded.
        done = asyncio.get_running_loop().create_future()
        done.set_result(state["markets"])
        instance.markets_loading = done

    async def _market_set(self, instance: Any, key: SharedKey, kind: str) -> dict[str, Any]:
        market_key = (key.ccxt_id, kind, key.base_url, key.testnet)
        async with self._locks.setdefault(market_key, asyncio.Lock()):
            state = self._loaded.get(market_key)
            if state is None:
                fetched = await _fetch_markets(instance, key.exchange, kind)
                if not isinstance(fetched, list) or not any(
                    isinstance(m, dict) and isinstance(m.get("symbol"), str) for m in fetched
                ):
                    raise shapes.bad_shape(key.exchange.value, "no usable list of markets")
                instance.set_markets([m for m in fetched if isinstance(m, dict) and isinstance(m.get("symbol"), str)])
                state = self._loaded[market_key] = {name: getattr(instance, name) for name in _MARKET_ATTRS}
        return state

    def count(self) -> int:
        """Market sets held (single types and unions)."""
        return len(self._loaded)


async def _fetch_markets(instance: Any, exchange: ExchangeId, kind: str) -> list[dict[str, Any]]:
    loader = VENUES[exchange].market_loaders.get(kind)
    if loader is not None:
        # This exchange's fetch_markets always pulls every type; its per-type loaders do not.
        return await getattr(instance, loader)({})
    narrowed = market_options(exchange, (kind,)).get("fetchMarkets")
    if narrowed is not None:
        current = instance.options.get("fetchMarkets")
        merged = {**current, **narrowed} if isinstance(current, dict) else narrowed
        instance.options = {**instance.options, "fetchMarkets": merged}
    return await instance.fetch_markets()


def _union(sets: list[dict[str, Any]]) -> dict[str, Any]:
    """The market state of several sets together, sharing their market and currency objects.
    Ids present in several sets keep every market, in set order (spot first, as ccxt does)."""
    markets: dict[str, Any] = {}
    by_id: dict[str, list[Any]] = {}
    currencies: dict[str, Any] = {}
    currencies_by_id: dict[str, Any] = {}
    base: dict[str, Any] = {}
    quote: dict[str, Any] = {}
    for state in sets:
        markets.update(state["markets"])
        for market_id, listed in state["markets_by_id"].items():
            by_id[market_id] = by_id.get(market_id, []) + list(listed)
        currencies.update(state["currencies"])
        currencies_by_id.update(state["currencies_by_id"] or {})
        base.update(state["baseCurrencies"] or {})
        quote.update(state["quoteCurrencies"] or {})
    return {
        "markets": markets,
        "markets_by_id": by_id,
        "symbols": sorted(markets),
        "ids": sorted(by_id),
        "currencies": currencies,
        "currencies_by_id": currencies_by_id,
        "baseCurrencies": base,
        "quoteCurrencies": quote,
        "codes": sorted(currencies),
    }


class SharedExchange:
    """One prototype and the class its clones are made of."""

    def __init__(self, key: SharedKey, prototype: Any) -> None:
        self.key = key
        self.prototype = prototype
        attrs = {
            name: staticmethod(value) if isinstance(value, types.FunctionType) else value
            for name, value in prototype.__dict__.items()
        }
        self.clone_class: type[Any] = type(f"{type(prototype).__name__}Shared", (type(prototype),), attrs)

    def clone(self, connection: Connection) -> Any:
        instance = object.__new__(self.clone_class)
        instance.apiKey = connection.api_key.get_secret_value()
        instance.secret = connection.api_secret.get_secret_value()
        passphrase = connection.api_passphrase
        instance.password = passphrase.get_secret_value() if passphrase is not None else None
        instance.options = dict(self.prototype.options)
        instance.headers = dict(self.prototype.headers)
        instance._cts_account = connection.account
        return instance

    def release(self) -> None:
        """Detach from the hub's session so that ccxt's finalizer has nothing to complain of."""
        self.clone_class.session = None
        self.prototype.session = None


class SharedExchanges:
    """Builds prototypes lazily, one at a time per key."""

    def __init__(self, ctx: HubContext) -> None:
        self._ctx = ctx
        self._shared: dict[SharedKey, SharedExchange] = {}
        self._locks: dict[SharedKey, asyncio.Lock] = {}
        self.markets = MarketStore()

    async def get(self, connection: Connection) -> SharedExchange:
        key = SharedKey.of(connection)
        shared = self._shared.get(key)
        if shared is not None:
            return shared
        async with self._locks.setdefault(key, asyncio.Lock()):
            shared = self._shared.get(key)
            if shared is None:
                prototype = self._prototype(key)
                try:
                    await self.markets.attach(prototype, key, profile_for(key.exchange, key.api_type))
                except BaseException:
                    prototype.session = None
                    raise
                shared = self._shared[key] = SharedExchange(key, prototype)
        return shared

    async def fetch_status(self, connection: Connection) -> Any:
        """The exchange's status (ccxt's ``fetch_status``) asked by a throwaway instance that
        needs no markets: what a client whose markets failed to load asks to learn whether the
        exchange is under maintenance."""
        instance = self._prototype(SharedKey.of(connection))
        try:
            return await instance.fetch_status()
        finally:
            instance.session = None

    def _prototype(self, key: SharedKey) -> Any:
        profile = profile_for(key.exchange, key.api_type)
        base_path = urlsplit(key.base_url).path.rstrip("/") if key.base_url else ""
        cls = _hooked_class(self._ctx, key, base_path)
        options: dict[str, Any] = {"defaultType": profile.default_type}
        options.update(market_options(key.exchange, profile.market_types))
        instance = cls(
            {
                "session": self._ctx.pool.session(),
                "enableRateLimit": False,
                "options": options,
                "enableLastHttpResponse": False,
                "enableLastJsonResponse": False,
                "enableLastResponseHeaders": False,
            }
        )
        instance.logger = _SILENT
        instance.ssl_context = self._ctx.pool.ssl_context
        instance.asyncio_loop = asyncio.get_running_loop()
        # A speed choice, not a need: nothing here reads currency networks, and a load without
        # them costs HTX, Coinbase (three calls, one weighing 10) and Kraken fewer requests.
        # The clients work with ccxt's default too (the simulator serves every currency list).
        instance.has = {**instance.has, "fetchCurrencies": False}
        if key.testnet:
            # Real testnet hosts first (OKX: demo header on the live host); a base URL then
            # replaces only scheme and host, keeping the testnet's paths.
            instance.set_sandbox_mode(True)
        if key.base_url:
            instance.urls = {**instance.urls, "api": rewrite_urls(instance.urls["api"], key.base_url)}
            # Exchanges that sign the host name (HTX) must sign the host they really talk to.
            host = urlsplit(key.base_url).netloc
            instance.hostname = host
            if isinstance(instance.urls.get("hostnames"), dict):
                instance.urls["hostnames"] = _rehost(instance.urls["hostnames"], host)
        return instance

    async def close(self) -> None:
        for shared in self._shared.values():
            shared.release()
        self._shared.clear()
