"""The YAML configuration, as pydantic models whose defaults are the shipped defaults.

``configs/cts.yaml`` documents those defaults (a test keeps it equal to the models). A user file
overrides them key by key; unknown keys are errors that name the key, so a typo never passes
silently. ``${VAR}`` and ``${VAR:default}`` in string values come from the environment.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel, ConfigDict, Field, SecretStr, ValidationError, create_model, field_validator, model_validator,
)

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.errors import ConfigError, describe_validation_error, register_secret
from cts_tui.key_facts import Severity
from cts_tui.spec_config import Mapped, apply_environment, translate
from cts_tui.venues import VENUES


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ExchangeLimits(_Section):
    enabled: bool = True
    per_second: int = Field(gt=0)
    per_minute: int = Field(gt=0)
    max_concurrent: int = Field(gt=0)
    timeout_ms: int = Field(default=10_000, gt=0)
    weight: int = Field(default=100, ge=0)
    ip_limit: int | None = Field(default=None, gt=0)
    """Every request from this host together, whatever its key, in the exchange's IP-wide
    window: Bybit requests per 5 s, Pionex weight per second, elsewhere requests per second."""
    base_url: str | None = None
    """The host every connection of this exchange that names none talks to (a proxy on the
    box, the simulator); null: the exchange's own."""

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str | None) -> str | None:
        from cts_tui.models import validate_base_url

        return validate_base_url(value)

    hosts: dict[str, str] = Field(default_factory=dict, max_length=16)
    """Each real REST host's own URL ({"api.kucoin.com": "http://127.0.0.1:9001"}, what ``cts-tui
    sim`` prints as ``hosts``): where a connection with a base URL sends what the exchange serves
    on another of its hosts only (a futures key's facts, read on KuCoin's spot host and on
    Binance's api.binance.com)."""

    @field_validator("hosts")
    @classmethod
    def _check_hosts(cls, hosts: dict[str, str]) -> dict[str, str]:
        from cts_tui.models import validate_base_url

        return {name.lower(): validate_base_url(url) or "" for name, url in hosts.items()}

    allowed_hosts: list[str] = Field(default_factory=list, max_length=64)
    """Hosts (``name``: any port, ``name:port``: that port) a connection of this exchange may be
    moved to (``base_url``) without entering its secrets again: your own proxies, a gateway.
    Any other host needs the secrets in the same edit."""

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts_only(cls, hosts: list[str]) -> list[str]:
        for host in hosts:
            parts = urlsplit(f"//{host}")
            try:
                parts.port  # noqa: B018 - raises on a port that is not one
            except ValueError:
                raise ValueError(f"{host!r}: not a host or host:port") from None
            if not parts.hostname or parts.path or parts.username is not None or " " in host:
                raise ValueError(f"{host!r}: not a host or host:port (no scheme, path or credentials)")
        return [host.lower() for host in hosts]


def _default_exchanges() -> dict[ExchangeId, ExchangeLimits]:
    """Each venue's documented figures (``cts_tui/venues``): the specification's for its six
    exchanges, the exchange's own documentation for the others."""
    return {
        venue.id: ExchangeLimits(
            per_second=venue.limits.per_second, per_minute=venue.limits.per_minute,
            max_concurrent=venue.limits.max_concurrent, ip_limit=venue.limits.ip_limit,
        )
        for venue in VENUES.values()
    }


class PriorityCeilings(_Section):
    """Share of a budget each class may fill: low traffic can never starve a trading call."""

    high: float = Field(default=1.0, gt=0, le=1)
    normal: float = Field(default=0.9, gt=0, le=1)
    low: float = Field(default=0.7, gt=0, le=1)


class RateLimiting(_Section):
    backend: Literal["local", "redis"] = "local"
    redis_url: str = "redis://127.0.0.1:6379/0"
    """One server (``redis://``), or ``redis+sentinel://h:p,h:p/service`` or
    ``redis+cluster://h:p,h:p`` (``ratelimit/redis_client.py``)."""
    redis_sentinels: list[str] = Field(default_factory=list, max_length=16)
    """``host:port`` of each Sentinel: the budgets live on the master they name ``redis_service``."""
    redis_service: str = ""
    redis_cluster_nodes: list[str] = Field(default_factory=list, max_length=64)
    """``host:port`` of some Redis Cluster nodes: the rest are learnt from them."""
    key_prefix: str = "cts"
    headroom: float = Field(default=0.9, gt=0, le=1)
    priority_ceilings: PriorityCeilings = Field(default_factory=PriorityCeilings)
    acquire_timeout_s: float = Field(default=30.0, gt=0)


class Health(_Section):
    interval_s: float = Field(default=300, gt=0)
    timeout_s: float = Field(default=10, gt=0)
    jitter: float = Field(default=0.1, ge=0, lt=1)
    concurrency: int = Field(default=5, gt=0)
    breaker_threshold: int = Field(default=3, gt=0)
    cooldown_s: float = Field(default=5, gt=0)
    cooldown_max_s: float = Field(default=300, gt=0)
    max_ejected_share: float = Field(default=0.5, gt=0, le=1)
    uptime_window_s: float = Field(default=3600, gt=0)


class LoadBalancing(_Section):
    strategy: Literal[
        "round_robin", "weighted_round_robin", "least_latency", "least_connections", "failover"
    ] = "weighted_round_robin"
    failover_order: list[ExchangeId] = Field(default_factory=list)
    max_retries: int = Field(default=2, ge=0)
    retry_backoff_ms: int = Field(default=50, ge=0)


class RouteSettings(_Section):
    """How requests avoid a sick or saturated exchange (``core/suspicion.py``,
    ``core/hedging.py``). ``routing`` holds the defaults; ``routing.exchanges.<id>`` overrides
    any of them for one exchange."""

    budget_aware: bool = True
    """A read that may go to several connections goes to one that can send now rather than
    wait in another's rate-limit queue."""
    suspect: bool = True
    """Take a connection out of rotation when its requests stop being answered."""
    suspect_factor: float = Field(default=4.0, gt=1)
    """Unanswered for longer than this many times the exchange's recent p99 latency..."""
    suspect_floor_ms: float = Field(default=250, gt=0)
    """...and never less than this..."""
    suspect_min_requests: int = Field(default=2, ge=1)
    """...with at least this many requests that old and none answered meanwhile."""
    hedge: bool = True
    """A read still unanswered after the hedge delay is sent on another connection too."""
    hedge_percentile: float = Field(default=95, gt=50, lt=100)
    """The hedge delay is this percentile of the exchange's recent latency..."""
    hedge_min_ms: float = Field(default=100, gt=0)
    hedge_max_ms: float = Field(default=1000, gt=0)
    """...within these bounds."""
    hedge_max_share: float = Field(default=0.05, ge=0, le=1)
    """Hedges sent over the last minute stay under this share of the requests."""


class ExchangeRouting(_Section):
    """One exchange's overrides of ``routing`` (unset: the default)."""

    budget_aware: bool | None = None
    suspect: bool | None = None
    suspect_factor: float | None = Field(default=None, gt=1)
    suspect_floor_ms: float | None = Field(default=None, gt=0)
    suspect_min_requests: int | None = Field(default=None, ge=1)
    hedge: bool | None = None
    hedge_percentile: float | None = Field(default=None, gt=50, lt=100)
    hedge_min_ms: float | None = Field(default=None, gt=0)
    hedge_max_ms: float | None = Field(default=None, gt=0)
    hedge_max_share: float | None = Field(default=None, ge=0, le=1)


class Routing(RouteSettings):
    watch_interval_ms: float = Field(default=100, ge=10, le=1000)
    """How often requests in flight are looked at (no work per request)."""
    exchanges: dict[ExchangeId, ExchangeRouting] = Field(default_factory=dict)

    def for_exchange(self, exchange: ExchangeId | str) -> RouteSettings:
        base = {name: getattr(self, name) for name in RouteSettings.model_fields}
        override = self.exchanges.get(ExchangeId(exchange))
        if override is not None:
            base.update(override.model_dump(exclude_none=True))
        return RouteSettings(**base)


class Batch(_Section):
    max_concurrent: int = Field(default=10, gt=0)
    max_per_request: int = Field(default=50, gt=0)
    result_ttl_s: float = Field(default=3600, gt=0)
    task_timeout_s: float = Field(default=30, gt=0)


class Pool(_Section):
    per_host_limit: int = Field(default=20, gt=0)
    keepalive_s: float = Field(default=30, gt=0)


class Store(_Section):
    results_kept: int = Field(default=20, gt=0)
    watch_interval_s: float = Field(default=0.25, gt=0, le=2)
    """How often a process asks whether another one committed (one cheap pragma): changes made
    elsewhere show within this plus the screen's own refresh."""
    lease_ttl_s: float = Field(default=10, ge=1, le=300)
    """The scheduled checks' lease lasts this long unless renewed (every third of it): when its
    holder dies, another process takes over within this time (at once on the same host)."""


FLAG_METRICS = ("breaker_open", "banned", "stream_stalled", "suspect", "key_expiring", "key_permission_added")
"""Alert metrics that are true or false (no threshold)."""


class AlertRule(_Section):
    name: str
    metric: Literal[
        "success_rate", "p95_latency_ms", "breaker_open", "rate_limit_usage", "banned", "stream_stalled", "suspect",
        "key_expiring", "key_permission_added",
    ]
    above: float | None = None
    below: float | None = None
    exchange: ExchangeId | None = None
    for_s: float = Field(default=0, ge=0)
    """How long the condition must hold before the alert fires, and stay clear before it
    resolves: a gauge that swings every second (a 1 req/s budget) must not flap."""

    @model_validator(mode="after")
    def _one_threshold(self) -> AlertRule:
        if self.metric in FLAG_METRICS:
            return self
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above / below")
        return self


def _default_alert_rules() -> list[AlertRule]:
    return [
        AlertRule(name="low success rate", metric="success_rate", below=95, for_s=10),
        AlertRule(name="slow responses", metric="p95_latency_ms", above=2000, for_s=10),
        AlertRule(name="breaker open", metric="breaker_open"),
        AlertRule(name="near rate limit", metric="rate_limit_usage", above=85, for_s=10),
        AlertRule(name="banned", metric="banned"),
        AlertRule(name="stream stalled", metric="stream_stalled"),
        AlertRule(name="not answering", metric="suspect"),
        AlertRule(name="key expiring", metric="key_expiring"),
        AlertRule(name="key permission added", metric="key_permission_added"),
    ]


class Alerts(_Section):
    rules: list[AlertRule] = Field(default_factory=_default_alert_rules)
    webhook_url: str | None = None
    log_size: int = Field(default=200, gt=0)


class KeyRiskSeverities(_Section):
    """The severity of each key risk; the field names are the risks' names everywhere
    (``keys audit``, REST, the ``risk`` label of ``cts_key_risk``)."""

    withdrawals: Severity = Severity.HIGH
    transfers: Severity = Severity.MEDIUM
    no_ip_whitelist: Severity = Severity.MEDIUM
    expiring: Severity = Severity.HIGH
    expired: Severity = Severity.CRITICAL
    excess_permissions: Severity = Severity.MEDIUM
    unused: Severity = Severity.LOW
    duplicate: Severity = Severity.LOW


class Keys(_Section):
    """Key hygiene: when a key's expiry or disuse is flagged, and how bad each risk is."""

    expiry_warning_days: float = Field(default=14, gt=0)
    unused_days: float = Field(default=30, gt=0)
    severities: KeyRiskSeverities = Field(default_factory=KeyRiskSeverities)


class Api(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    token: str | None = None
    max_body_bytes: int = Field(default=65536, gt=0)


class Ui(_Section):
    refresh_interval_s: float = Field(default=1.0, ge=0.1, le=60)
    theme: str = "textual-dark"


class ExchangeStream(_Section):
    enabled: bool = True
    # Unified symbols (ccxt's spelling, also for Pionex and OrangeX): "BTC/USDT", "BTC/USDT:USDT".
    symbols: list[str] = Field(default_factory=lambda: ["BTC/USDT", "ETH/USDT"])
    # Replaces scheme and host of the exchange's stream URLs, as a connection's base_url does for REST.
    base_url: str | None = None
    # Or each real stream host by its own URL ({"stream.binance.com": "ws://127.0.0.1:9443"}, what
    # `cts-tui sim` prints as `hosts`); hosts absent from the map stay as they are. Wins over base_url.
    hosts: dict[str, str] = Field(default_factory=dict)


class _StreamsCommon(_Section):
    """Public ticker streams (cts_tui.streams). Off by default: they open sockets to the exchanges."""

    enabled: bool = False
    stall_factor: float = Field(default=3.0, gt=1)  # stalled after this many usual intervals of silence
    stall_after_s: float | None = Field(default=None, gt=0)  # a fixed threshold instead of the factor
    expected_interval_s: float = Field(default=1.0, gt=0)  # the usual interval until one is measured
    reconnect_after_stall: bool = True  # a stream stalled for another threshold is reconnected
    reconnect_min_s: float = Field(default=0.5, gt=0)
    reconnect_max_s: float = Field(default=30.0, gt=0)

    def for_exchange(self, exchange: ExchangeId | str) -> ExchangeStream:
        stream: ExchangeStream = getattr(self, ExchangeId(exchange).value)
        return stream


if TYPE_CHECKING:
    Streams = _StreamsCommon
else:
    # One ``streams.<id>`` section per venue (``streams.binance.symbols``), in ``ExchangeId``'s
    # order: the exchanges are the venue modules' to list. Type checkers see the common part;
    # code reaches an exchange's section through ``for_exchange``.
    Streams = create_model(
        "Streams",
        __base__=_StreamsCommon,
        __module__=__name__,
        __doc__=_StreamsCommon.__doc__,
        **{member.value: (ExchangeStream, Field(default_factory=ExchangeStream)) for member in ExchangeId},
    )


class Credentials(_Section):
    """An exchange's key given by the config or the environment (``${BINANCE_API_KEY}``, or the
    specification's ``BINANCE_API_KEY`` itself): a connection held in memory only, never
    written to the store (``store/env_connections.py``). Read when a process starts."""

    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    api_passphrase: SecretStr | None = None
    api_type: ApiType = ApiType.SPOT
    testnet: bool = False

    @field_validator("api_key", "api_secret", "api_passphrase", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """``${BINANCE_API_KEY:}`` with the variable unset is an empty string: no key."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_key", "api_secret", "api_passphrase")
    @classmethod
    def _keep_out_of_logs(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            register_secret(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _key_and_secret_together(self) -> Credentials:
        if (self.api_key is None) != (self.api_secret is None):
            given, missing = ("api_key", "api_secret") if self.api_secret is None else ("api_secret", "api_key")
            raise ValueError(f"{given} is set but {missing} is not")
        return self

    @property
    def complete(self) -> bool:
        return self.api_key is not None and self.api_secret is not None


class Config(_Section):
    exchanges: dict[ExchangeId, ExchangeLimits] = Field(default_factory=_default_exchanges)
    rate_limiting: RateLimiting = Field(default_factory=RateLimiting)
    health: Health = Field(default_factory=Health)
    load_balancing: LoadBalancing = Field(default_factory=LoadBalancing)
    routing: Routing = Field(default_factory=Routing)
    batch: Batch = Field(default_factory=Batch)
    pool: Pool = Field(default_factory=Pool)
    store: Store = Field(default_factory=Store)
    alerts: Alerts = Field(default_factory=Alerts)
    keys: Keys = Field(default_factory=Keys)
    api: Api = Field(default_factory=Api)
    ui: Ui = Field(default_factory=Ui)
    streams: Streams = Field(default_factory=Streams)
    credentials: dict[ExchangeId, Credentials] = Field(default_factory=dict)

    def limits(self, exchange: ExchangeId | str) -> ExchangeLimits:
        return self.exchanges[ExchangeId(exchange)]


# --- loading ------------------------------------------------------------------------------------

_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")


def interpolate(value: str, where: str = "") -> str:
    """Replace ``${VAR}`` / ``${VAR:default}`` from the environment; an unset VAR without a
    default is an error naming it."""

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(f"{where} uses environment variable {name}, which is not set and has no default")

    return _VAR_RE.sub(substitute, value)


def _interpolate_tree(node: Any, path: str) -> Any:
    if isinstance(node, str):
        return interpolate(node, path)
    if isinstance(node, dict):
        return {k: _interpolate_tree(v, f"{path}.{k}" if path else str(k)) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate_tree(v, f"{path}[{i}]") for i, v in enumerate(node)]
    return node


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Key-by-key override: nested mappings merge, everything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def defaults_dict() -> dict[str, Any]:
    return Config().model_dump(mode="json")


MAX_CONFIG_BYTES = 1_000_000
"""A config file is a few kilobytes; past this it is refused before it is parsed."""
MAX_CONFIG_VALUES = 100_000
"""Values a config may hold once its aliases are expanded ("billion laughs" is refused)."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a document whose aliases expand past MAX_CONFIG_VALUES
    values (or refer to themselves) before anything walks the expanded tree."""

    def compose_document(self) -> yaml.Node | None:
        node = super().compose_document()
        if node is not None:
            _check_expansion(node)
            _check_unique_keys(node)
        return node


def _check_expansion(root: yaml.Node) -> None:
    """Counts the values of ``root`` with every alias expanded, each shared node once per use
    (memoised, so counting costs the document's size, not its expansion's)."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            size = 1 + sum(sizes[id(child)] for child in children)
            if size > MAX_CONFIG_VALUES:
                raise _TooLarge(f"its aliases expand to more than {MAX_CONFIG_VALUES:,} values")
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise _TooLarge("an alias refers to itself")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _check_unique_keys(root: yaml.Node) -> None:
    """A key written twice in one mapping is refused: PyYAML would keep the last silently, so a
    setting changed near the top of a section could be undone by a forgotten line below it."""
    seen_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    if key_node.value in keys:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"{key_node.value!r} is given twice in one section", key_node.start_mark
                        )
                    keys.add(key_node.value)
        stack.extend(_children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class _TooLarge(Exception):
    pass


def parse_config_text(text: str, source: str = "<config>", *, environment: bool = True) -> Config:
    """Parse YAML text into a Config, or raise ConfigError with one line naming what is wrong.
    An empty document is refused (a file emptied by mistake must not silently mean "defaults"),
    and so are oversized ones and aliases that expand past ``MAX_CONFIG_VALUES``. The
    specification's keys and variables are mapped onto the native settings (``spec_config``);
    ``environment=False`` leaves the variables out (the demo's own config)."""
    return explain_config_text(text, source, environment=environment)[0]


def explain_config_text(
    text: str, source: str = "<config>", *, environment: bool = True
) -> tuple[Config, list[Mapped]]:
    """``parse_config_text``, with where each setting of the file and the environment went."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source}: larger than {MAX_CONFIG_BYTES:,} bytes; not a config file")
    try:
        raw = yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except _TooLarge as exc:
        raise ConfigError(f"{source}: refused: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{source}: refused: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{source}:{where}: {problem}") from None
    if raw is None:
        raise ConfigError(
            f"{source}: the file is empty (no settings); write the settings you change, "
            "or remove the file to run on the defaults"
        )
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections")
    try:
        native, mapped = translate(_interpolate_tree(raw, ""))
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return _validated(native, mapped, source, environment)


def _validated(
    native: dict[str, Any], mapped: list[Mapped], source: str, environment: bool = True
) -> tuple[Config, list[Mapped]]:
    if environment:
        mapped = mapped + apply_environment(native)
    try:
        return Config.model_validate(_merge(defaults_dict(), native)), mapped
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_validation_error(exc)}") from None


def changed_settings(old: Config, new: Config) -> list[str]:
    """The dotted names of the settings that differ (``api.token``, ``exchanges.bybit.per_second``),
    never their values: what a reload logs."""
    names: list[str] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b), key=str):
                walk(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
        elif a != b:
            names.append(path)

    walk(old.model_dump(mode="json"), new.model_dump(mode="json"), "")
    return names


def load_config(path: Path | None = None, *, required: bool = False) -> Config:
    """Load the user's config (or ``path``); a missing default file means the defaults (with
    what the environment adds: ``spec_config.apply_environment``)."""
    return explain_config(path, required=required)[0]


def explain_config(path: Path | None = None, *, required: bool = False) -> tuple[Config, list[Mapped]]:
    """``load_config``, with where each setting of the file and the environment went."""
    from cts_tui.paths import config_path_named, default_config_path

    explicit = path is not None or config_path_named()
    target = Path(path) if path is not None else default_config_path()
    if not target.exists():
        if explicit or required:
            raise ConfigError(f"{target}: config file not found")
        return _validated({}, [], "environment")
    try:
        with target.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)  # never more, whatever the file's size
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(f"{target}: larger than {MAX_CONFIG_BYTES:,} bytes; not a config file")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{target}: cannot read config ({exc.__class__.__name__})") from None
    return explain_config_text(text, str(target))
