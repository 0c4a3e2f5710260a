"""Where requests go: the real host each API type talks to, the rule that swaps hosts for a base
URL or a host map, and the guard that keys go only where they were meant to go.

A connection's ``base_url`` stands for the host its API type talks to (`api_host`: Binance
USD-M futures talk to fapi.binance.com, Coinbase Exchange keys to api.exchange.coinbase.com) and
replaces scheme and host of every URL the client builds, as a proxy for that API would. A host
map ({real host: base URL}, what ``cts-tui sim`` prints as ``hosts``) swaps each real host for its
own twin instead, for clients that reach several hosts (market streams).

An edit that points a connection at another host must carry its secrets again, so that whoever
can edit connections (a REST token, a shared terminal) cannot send stored keys and signed
requests to a host of their choosing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.errors import KeysMustFollow
from cts_tui.models import Connection, ConnectionPatch
from cts_tui.venues import VENUES

Target = str | Mapping[str, str]
"""A base URL (every host goes there) or a host map (each real host to its twin; others stay)."""

_WEB_SOCKET = {"http": "ws", "https": "wss"}


def api_host(exchange: ExchangeId, api_type: ApiType | None, has_passphrase: bool = False) -> str:
    """The real REST host a connection of this API type talks to (``Venue.main_host``,
    ``api_hosts``; keys with a passphrase may be another product's: ``passphrase_host``); the
    exchange's main host while the type is not known."""
    venue = VENUES[exchange]
    if has_passphrase and venue.passphrase_host is not None:
        return venue.passphrase_host
    return venue.api_hosts.get(api_type, venue.main_host) if api_type else venue.main_host


def base_url_in(hosts: Mapping[str, str], exchange: ExchangeId, api_type: ApiType | None,
                has_passphrase: bool = False) -> str | None:
    """The base URL a connection of this API type takes from a host map (the twin of its host)."""
    return hosts.get(api_host(exchange, api_type, has_passphrase))


def rest_hosts(hosts: Mapping[str, str]) -> dict[str, str]:
    """The REST hosts of a host map (``cts-tui sim`` lists the stream hosts too), as
    ``exchanges.<id>.hosts`` takes them."""
    return {name: url for name, url in hosts.items() if url.startswith(("http://", "https://"))}


def rehost(url: str, target: Target | None, hostname: str | None = None) -> str:
    """`url` with scheme and host swapped for `target`'s (see `Target`); a ``{hostname}``
    template (ccxt's) is filled with `hostname` first. A WebSocket URL sent to an http(s) twin
    keeps speaking WebSocket (ws/wss)."""
    if hostname is not None:
        url = url.replace("{hostname}", hostname)
    if not target:
        return url
    parts = urlsplit(url)
    base = target if isinstance(target, str) else target.get((parts.hostname or "").lower())
    if base is None:
        return url
    base = base.rstrip("/")
    scheme, sep, rest = base.partition("://")
    if parts.scheme in ("ws", "wss") and sep:
        base = f"{_WEB_SOCKET.get(scheme, scheme)}://{rest}"
    return base + parts.path + (f"?{parts.query}" if parts.query else "")


_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def host_of(url: str | None) -> tuple[str, int | None] | None:
    """(host, port) a base URL sends to; None for the exchange's own (no base URL)."""
    if not url:
        return None
    parts = urlsplit(url if "://" in url else f"https://{url}")
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(parts.scheme.lower())


def is_allowed(host: tuple[str, int | None] | None, allowed: Iterable[str]) -> bool:
    """``host`` is one of ``allowed`` (``exchanges.<id>.allowed_hosts``: ``name`` for any port,
    ``name:port`` for that one)."""
    if host is None:
        return False
    for entry in allowed:
        parts = urlsplit(f"//{entry}")
        if (parts.hostname or "") == host[0] and (parts.port is None or parts.port == host[1]):
            return True
    return False


def check_keys_follow(current: Connection, patch: ConnectionPatch, allowed: Iterable[str] = ()) -> None:
    """Refuse a patch that changes the host of ``current`` without entering its secrets again.
    Going back to the exchange's own host (no base URL), or to one of ``allowed``, needs none."""
    if "base_url" not in patch.model_fields_set or patch.base_url is None:
        return
    new, old = host_of(patch.base_url), host_of(current.base_url)
    if new == old or is_allowed(new, allowed):
        return
    needed = ["api_key", "api_secret"] + (["api_passphrase"] if current.api_passphrase is not None else [])
    missing = [name for name in needed if getattr(patch, name) is None]
    if missing:
        host = f"{new[0]}:{new[1]}" if new and new[1] else (new[0] if new else "?")
        raise KeysMustFollow(
            f"base_url: moving {current.name} to another host ({host}) would send its stored keys there; "
            f"enter {', '.join(missing)} again in the same edit "
            f"(or list the host in exchanges.{current.exchange.value}.allowed_hosts)"
        )
