"""What a venue module declares: the ``Venue`` record and the small types its fields are made of.

Everything here is data or a pure function of its arguments, so the layers that act on exchanges
(rate limiting, classification, the ccxt and native clients, the config) read one record per
exchange instead of branching on its name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NamedTuple

from cts_tui.errors import ErrorKind
from cts_tui.venues.kinds import ApiType, ExchangeId, PassphrasePolicy


class Scope(Enum):
    CALLER = "caller"
    """Per API key for a signed request, per IP for a public one."""
    IP = "ip"
    """Every request from this host, whatever its key."""


@dataclass(frozen=True, slots=True)
class WindowSpec:
    name: str
    period_s: float
    limit: int
    aligned: bool = False
    """Clock-aligned (resets at every multiple of the period, wall clock) instead of rolling."""
    per_endpoint: bool = False
    per_pool: bool = False
    """One instance per resource pool (``Venue.pool_of``), each held to its pool's quota."""
    counts_weight: bool = False
    """Charged the endpoint's weight, not one per request."""
    scope: Scope = Scope.CALLER
    by_exchange: bool = False
    """The exchange itself counts and refuses in this shape (its weight minute, its windows per
    endpoint, pool or IP), rather than the window being only a budget of ours."""


def rolling_windows(second: int, minute: int) -> tuple[WindowSpec, ...]:
    """The config's per-second and per-minute budgets as plain rolling windows per caller."""
    return (WindowSpec("1s", 1.0, second), WindowSpec("1m", 60.0, minute))


@dataclass(frozen=True, slots=True)
class DefaultLimits:
    """The shipped defaults of ``exchanges.<id>`` in the config, from the exchange's own figures."""

    per_second: int
    per_minute: int
    max_concurrent: int
    ip_limit: int | None = None
    """Every request from this host together, in the venue's IP-wide window (``IpWindow``)."""


class IpWindow(NamedTuple):
    """The shape of the IP-wide window whose limit is the config's ``ip_limit``."""

    name: str = "1s/ip"
    period_s: float = 1.0
    counts_weight: bool = False


class UsageReading(NamedTuple):
    """What one answer's usage headers say, before Retry-After is weighed."""

    exhausted: bool = False
    """The exchange says the budget is spent (remaining <= 0)."""
    pause_s: float | None = None
    used: int | None = None
    used_share: float | None = None


HeaderGetter = Callable[[str], str | None]
UsageReader = Callable[[HeaderGetter, float], UsageReading]
"""Reads the usage headers of an answer received at a wall-clock time (epoch seconds)."""

ErrorFields = tuple[str | None, str | None]
"""An answer's error code and short message."""

KeyRequests = tuple[tuple[str, Callable[[dict[str, Any]], dict[str, Any]]], ...]
"""ccxt implicit methods that read a key's facts, each given the previous answer's body."""


@dataclass(frozen=True, slots=True)
class KeyReader:
    """How a key's permissions, whitelist and expiry are read through ccxt."""

    requests: KeyRequests
    parse: Callable[[dict[str, Any]], dict[str, Any]]
    """The last answer as ``KeyFacts`` fields."""
    api_type: ApiType | None = None
    """The API type whose host and ccxt class read the key, where not the connection's own (one
    KuCoin key serves both hosts, and only the spot host says what the key may do)."""


@dataclass(frozen=True, slots=True)
class Profile:
    """ccxt settings for one exchange and API type."""

    default_type: str
    market_types: tuple[str, ...]
    """Market kinds to load, as the exchange's ``fetchMarkets`` option names them."""
    symbol: str
    """The market the connection test reads a ticker of (another of the same type if absent)."""
    market_kind: str
    """The unified market type (spot, swap, future) a fallback ticker market must have."""
    balance_params: dict[str, Any] = field(default_factory=dict)


USDT_SPOT = Profile("spot", ("spot",), "BTC/USDT", "spot")
USDT_SWAP = Profile("swap", ("swap",), "BTC/USDT:USDT", "swap")
"""The profiles of most exchanges' spot and USDT-margined swap accounts."""


def no_market_options(_market_types: tuple[str, ...]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class Venue:
    """Everything specific to one exchange. Fields with defaults are what most exchanges share."""

    id: ExchangeId
    title: str
    """The exchange's name as people write it (OKX, BingX)."""
    main_host: str
    """The real REST host; the one a connection talks to unless its API type has its own."""
    limits: DefaultLimits
    profiles: Mapping[ApiType, Profile]
    """The API types the exchange offers (in the order forms list them), with their ccxt settings."""
    passphrase: PassphrasePolicy = PassphrasePolicy.NONE
    testnet: bool = False
    """The exchange has a real test environment."""
    ccxt: bool = True
    """ccxt implements it; otherwise a native client does."""
    # Rate limiting
    windows: Callable[[int, int], tuple[WindowSpec, ...]] = rolling_windows
    """The windows the config's per-second and per-minute budgets become."""
    usage_window: str | None = None
    """The window the exchange's usage headers describe, if it sends any."""
    ip_window: IpWindow = IpWindow()
    weights: Mapping[str, int] = field(default_factory=dict)
    """Endpoint weights, by unified name or lower-case path; 1 where absent."""
    request_weight: Callable[[str, str], int | None] | None = None
    """The weight of one request (path, query) where its parameters decide it."""
    endpoint_limits: Mapping[str, int] = field(default_factory=dict)
    """The exchange's own limit per endpoint window, where tighter than the config's."""
    pool_of: Callable[[str, str | None], str] | None = None
    """The resource pool an endpoint (a unified name or ``method path``, lower case) draws on, on
    a real REST host (None where not known), where the exchange counts per pool
    (``WindowSpec.per_pool``)."""
    pool_limits: Mapping[str, int] = field(default_factory=dict)
    """Each pool's quota in its window, where tighter than the window's limit."""
    read_usage: UsageReader | None = None
    # Errors
    error_codes: Mapping[str, ErrorKind] = field(default_factory=dict)
    timestamp_codes: frozenset[str] = frozenset()
    """Codes that mean "your timestamp is off": the clock re-syncs and the request goes once more."""
    text_status_kinds: Mapping[int, ErrorKind] = field(default_factory=dict)
    """Plain-text answers whose status means something particular here."""
    error_fields: Callable[[dict[str, Any]], ErrorFields | None] | None = None
    """The code and message of an error body; None to read the common ``code``/``msg`` fields."""
    code_field: tuple[str, type] | None = None
    """The JSON field of the error code and the type the exchange sends it as."""
    numeric_codes: bool = False
    """Error codes are numbers (of at most 9 digits), not words."""
    # ccxt
    ccxt_ids: Mapping[ApiType, str] = field(default_factory=dict)
    """API types served by another ccxt class than the exchange's id (its futures product's)."""
    passphrase_ccxt_id: str | None = None
    """The ccxt class for keys with a passphrase, where it differs (they sign differently)."""
    market_options: Callable[[tuple[str, ...]], dict[str, Any]] = no_market_options
    """The ccxt option that restricts ``fetch_markets`` to some market types."""
    market_loaders: Mapping[str, str] = field(default_factory=dict)
    """ccxt methods that load one market type, where ``fetch_markets`` cannot be narrowed."""
    key_readers: Mapping[str, KeyReader] = field(default_factory=dict)
    """By ccxt class: how a key's facts are read (absent: the exchange does not say)."""
    own_clock_nonce: bool = False
    """Signed calls carry a nonce that must grow per key: taken from our clock, not the exchange's."""
    whole_second_clock: bool = False
    """The exchange's server time comes in whole seconds: its offset says nothing finer."""
    api_hosts: Mapping[ApiType, str] = field(default_factory=dict)
    """API types whose REST host is another than ``main_host``."""
    passphrase_host: str | None = None
    """The REST host of keys with a passphrase, where they are another product's."""
    rest_url: str | None = None
    """The host a native client talks to when a connection names none (ccxt venues: ccxt's table)."""
    stream_url: str | None = None
    """The public stream a native feed opens when the config names no base URL."""
    pem_keys: str | None = None
    """The kind of key whose secret is a PEM private key (JWT-signed), where the exchange has one;
    elsewhere secrets are tokens."""

    @property
    def api_types(self) -> tuple[ApiType, ...]:
        return tuple(self.profiles)

    @property
    def native_rest_url(self) -> str:
        return self._native(self.rest_url)

    @property
    def native_stream_url(self) -> str:
        return self._native(self.stream_url)

    def _native(self, url: str | None) -> str:
        if url is None:
            raise LookupError(f"{self.id.value} is spoken to through ccxt, whose URL table it uses")
        return url

    def ccxt_id(self, api_type: ApiType | None, has_passphrase: bool) -> str:
        """The ccxt class of a connection (while its API type is not known: the exchange's)."""
        if has_passphrase and self.passphrase_ccxt_id is not None:
            return self.passphrase_ccxt_id
        return self.ccxt_ids.get(api_type, self.id.value) if api_type else self.id.value

    @property
    def all_ccxt_ids(self) -> frozenset[str]:
        """Every ccxt class a connection of this exchange may be served by."""
        return frozenset({self.id.value, *self.ccxt_ids.values(), *filter(None, [self.passphrase_ccxt_id])})
