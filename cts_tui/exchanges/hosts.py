"""Keys go only where they were meant to go: an edit that points a connection at another host
must carry its secrets again, so that whoever can edit connections (a REST token, a shared
terminal) cannot send stored keys and signed requests to a host of their choosing."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from cts_tui.errors import KeysMustFollow
from cts_tui.models import Connection, ConnectionPatch

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
