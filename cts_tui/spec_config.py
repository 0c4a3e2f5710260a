"""The specification's config format and environment variables, mapped onto the native settings.

A user who arrives with the specification's ``exchange_manager_config.yaml`` runs it as written:
each of its keys is rewritten to the native setting that does the same job, before the native
validation (which still names any key that maps nowhere), and ``cts-tui config check --explain``
prints every rewrite. Native keys pass through unchanged, so the two formats mix in one file; a
setting given both ways is an error naming both keys.

What the specification's words mean here:

- ``exchanges.<id>.rate_limit`` is requests per minute (its Binance figure, 1200, is Binance's
  per-minute limit), ``timeout`` is milliseconds; ``api_key``, ``api_secret`` and ``passphrase``
  are credentials (native section ``credentials``): they become a connection held in memory only.
- ``exchange_manager.connection_pool.max_size`` bounds the open HTTP connections to each
  exchange host, ``idle_timeout`` is how long an idle one is kept.
- ``rate_limiting.use_redis`` chooses the Redis backend; ``default_limit`` is the per-minute
  limit of every exchange the file gives no ``rate_limit`` of its own, never above what that
  exchange documents; ``priority_multiplier`` divides a class's share of the budget (a
  multiplier twice another's gets half its share): the smallest multiplier may fill the whole
  budget, each other class the share smallest / its own.

The environment (``apply_environment``): ``REDIS_HOST`` / ``REDIS_PORT`` give
``rate_limiting.redis_url`` where the file does not, and ``<EXCHANGE>_API_KEY``,
``<EXCHANGE>_API_SECRET``, ``<EXCHANGE>_PASSPHRASE`` (exchange by any of its names, upper case)
give ``credentials.<exchange>`` where the file does not.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cts_tui.capabilities import EXCHANGE_ALIASES, ExchangeId
from cts_tui.errors import ConfigError, mask
from cts_tui.venues import VENUES

CREDENTIAL_KEYS = {"api_key": "api_key", "api_secret": "api_secret", "passphrase": "api_passphrase",
                   "api_passphrase": "api_passphrase", "api_type": "api_type", "testnet": "testnet"}
"""Keys of ``exchanges.<id>`` that describe a connection, not a budget: their native home is
``credentials.<id>``."""
SECRET_KEYS = frozenset({"api_key", "api_secret", "api_passphrase"})
_RENAMED_LIMITS = {"rate_limit": "per_minute", "timeout": "timeout_ms"}
_POOL_KEYS = {"max_size": "per_host_limit", "idle_timeout": "keepalive_s"}
_PRIORITIES = ("high", "normal", "low")
ENV_SUFFIXES = {"api_key": "_API_KEY", "api_secret": "_API_SECRET", "api_passphrase": "_PASSPHRASE"}
"""The specification's variables per exchange, e.g. ``OKX_PASSPHRASE``."""


@dataclass(frozen=True, slots=True)
class Mapped:
    """One setting as the file (or the environment) gave it and where it went."""

    given: str
    native: str
    value: Any
    note: str = ""

    def line(self) -> str:
        note = f" ({self.note})" if self.note else ""
        return f"{self.given} -> {self.native} = {_shown(self.native, self.value)}{note}"


def _shown(native: str, value: Any) -> str:
    if native.rsplit(".", 1)[-1] in SECRET_KEYS:
        return "(empty)" if not value else mask(str(value))
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)


class _Rewrite:
    """The native tree being built, with every rewrite recorded and conflicts refused."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}
        self.mapped: list[Mapped] = []
        self._origin: dict[str, str] = {}

    def put(self, given: str, native: str, value: Any, note: str = "") -> None:
        earlier = self._origin.get(native)
        if earlier is not None and earlier != given:
            raise ConfigError(f"{earlier} and {given} both set {native}; keep one")
        self._origin[native] = given
        node = self.tree
        *parents, leaf = native.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{given}: {'.'.join(parents)} must be a mapping")
        node[leaf] = value
        self.mapped.append(Mapped(given, native, value, note))

    def given(self, native: str) -> bool:
        return native in self._origin


def _leaves(node: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(node, dict) and node:
        return [leaf for key, value in node.items() for leaf in _leaves(value, f"{path}.{key}")]
    return [(path, node)]


def _exchange_name(name: object) -> str:
    try:
        return ExchangeId(str(name)).value
    except ValueError:
        return str(name)  # left for the native validation to name


def translate(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[Mapped]]:
    """The native tree of an (interpolated) config tree, and every setting's mapping."""
    out = _Rewrite()
    for section, body in raw.items():
        if section == "exchanges" and isinstance(body, dict):
            _exchanges(out, body)
        elif section == "exchange_manager":
            _exchange_manager(out, body)
        elif section == "rate_limiting" and isinstance(body, dict):
            _rate_limiting(out, body, raw)
        elif section == "credentials" and isinstance(body, dict):
            for name, fields in body.items():
                for key, value in (fields.items() if isinstance(fields, dict) else [(None, fields)]):
                    given, native = f"credentials.{name}", f"credentials.{_exchange_name(name)}"
                    suffix = "" if key is None else f".{key}"
                    out.put(given + suffix, native + suffix, value)
        else:
            for given, value in _leaves(body, str(section)):
                out.put(given, given, value)
    return out.tree, out.mapped


def _exchanges(out: _Rewrite, body: dict[str, Any]) -> None:
    for name, fields in body.items():
        exchange = _exchange_name(name)
        if not isinstance(fields, dict):
            out.put(f"exchanges.{name}", f"exchanges.{exchange}", fields)
            continue
        for key, value in fields.items():
            given = f"exchanges.{name}.{key}"
            if key in CREDENTIAL_KEYS:
                out.put(given, f"credentials.{exchange}.{CREDENTIAL_KEYS[key]}", value)
            else:
                out.put(given, f"exchanges.{exchange}.{_RENAMED_LIMITS.get(key, key)}", value)


def _exchange_manager(out: _Rewrite, body: Any) -> None:
    known = "connection_strategy, connection_pool.max_size, connection_pool.idle_timeout"
    if not isinstance(body, dict):
        raise ConfigError(f"exchange_manager: must be a mapping ({known})")
    for key, value in body.items():
        if key == "connection_strategy":
            out.put("exchange_manager.connection_strategy", "load_balancing.strategy", value)
        elif key == "connection_pool" and isinstance(value, dict):
            for pool_key, pool_value in value.items():
                given = f"exchange_manager.connection_pool.{pool_key}"
                if pool_key not in _POOL_KEYS:
                    raise ConfigError(f"{given}: unknown key (the specification's keys here: {known})")
                out.put(given, f"pool.{_POOL_KEYS[pool_key]}", pool_value)
        else:
            raise ConfigError(f"exchange_manager.{key}: unknown key (the specification's keys here: {known})")


def _rate_limiting(out: _Rewrite, body: dict[str, Any], raw: Mapping[str, Any]) -> None:
    for key, value in body.items():
        given = f"rate_limiting.{key}"
        if key == "use_redis":
            if not isinstance(value, bool):
                raise ConfigError(f"{given}: must be true or false")
            out.put(given, "rate_limiting.backend", "redis" if value else "local")
        elif key == "default_limit":
            _default_limit(out, value, raw.get("exchanges"))
        elif key == "priority_multiplier":
            _priority_multiplier(out, value)
        else:
            for leaf, leaf_value in _leaves(value, given):
                out.put(leaf, leaf, leaf_value)


def _default_limit(out: _Rewrite, value: Any, exchanges: Any) -> None:
    given = "rate_limiting.default_limit"
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{given}: must be a positive whole number of requests per minute")
    own = {
        _exchange_name(name)
        for name, fields in (exchanges or {}).items()
        if isinstance(fields, dict) and ({"rate_limit", "per_minute"} & set(fields))
    }
    for exchange, venue in VENUES.items():
        if exchange not in own:
            figure = venue.limits.per_minute
            note = f"{exchange} documents {figure}" if figure < value else ""
            out.put(given, f"exchanges.{exchange}.per_minute", min(value, figure), note)


def _priority_multiplier(out: _Rewrite, value: Any) -> None:
    given = "rate_limiting.priority_multiplier"
    if not isinstance(value, dict):
        raise ConfigError(f"{given}: must map high, normal and low to numbers")
    multipliers: dict[str, float] = {}
    for name in _PRIORITIES:
        factor = value.get(name, 1.0)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or factor <= 0:
            raise ConfigError(f"{given}.{name}: must be a number above 0")
        multipliers[name] = float(factor)
    unknown = set(value) - set(_PRIORITIES)
    if unknown:
        raise ConfigError(f"{given}.{sorted(unknown)[0]}: unknown priority (high, normal, low)")
    smallest = min(multipliers.values())
    for name, factor in multipliers.items():
        out.put(f"{given}.{name}", f"rate_limiting.priority_ceilings.{name}", round(smallest / factor, 4))


def apply_environment(tree: dict[str, Any], env: Mapping[str, str] | None = None) -> list[Mapped]:
    """Fill from the specification's variables what the file leaves unset (in place)."""
    env = os.environ if env is None else env
    mapped: list[Mapped] = []
    limiting = tree.get("rate_limiting", {})
    if isinstance(limiting, dict) and "redis_url" not in limiting and (env.get("REDIS_HOST") or env.get("REDIS_PORT")):
        host, port = env.get("REDIS_HOST") or "127.0.0.1", env.get("REDIS_PORT") or "6379"
        tree["rate_limiting"] = {**limiting, "redis_url": f"redis://{host}:{port}/0"}
        mapped.append(Mapped("env REDIS_HOST/REDIS_PORT", "rate_limiting.redis_url", tree["rate_limiting"]["redis_url"]))
    credentials = tree.get("credentials", {})
    if not isinstance(credentials, dict):
        return mapped  # the native validation names it
    names = [(member.value.upper(), member) for member in ExchangeId]
    names += [(alias.upper(), ExchangeId(name)) for alias, name in EXCHANGE_ALIASES.items()]
    for prefix, member in names:
        for field, suffix in ENV_SUFFIXES.items():
            variable = prefix + suffix
            value = env.get(variable)
            current = credentials.get(member.value)
            if not value or not isinstance(current, dict | None) or (current or {}).get(field):
                continue  # unset, given by the file, or not a mapping (the native validation names it)
            credentials = tree["credentials"] = {**credentials, member.value: {**(current or {}), field: value}}
            mapped.append(Mapped(f"env {variable}", f"credentials.{member.value}.{field}", value))
    return mapped
