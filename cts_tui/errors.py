"""The error taxonomy shared by every layer, and the scrubbing that keeps secrets out of text.

Every failure the rest of the system acts on is an ``ExchangeError`` with an ``ErrorKind``; the
circuit breaker, the balancer's retry policy and the UI read the kind, never a library's class.
User-facing errors (bad config, bad store, bad input) are ``CtsError`` subclasses whose message is
one line, fit to print as it is.
"""

from __future__ import annotations

import logging
import re
import threading
from enum import StrEnum


class ErrorKind(StrEnum):
    NETWORK = "network"
    TIMEOUT = "timeout"
    AUTH = "auth"
    PERMISSION = "permission"
    RATE_LIMITED = "rate_limited"
    BANNED = "banned"
    EXCHANGE_DOWN = "exchange_down"
    MAINTENANCE = "maintenance"
    BAD_RESPONSE = "bad_response"
    INVALID_REQUEST = "invalid_request"

    @property
    def retryable(self) -> bool:
        """Whether the same read may succeed on another connection or a little later."""
        return self in _RETRYABLE

    @property
    def counts_for_breaker(self) -> bool:
        """Rate-limit answers mean "slow down", not "broken": they never open a breaker."""
        return self not in (ErrorKind.RATE_LIMITED, ErrorKind.BANNED, ErrorKind.INVALID_REQUEST)


_RETRYABLE = frozenset(
    {
        ErrorKind.NETWORK,
        ErrorKind.TIMEOUT,
        ErrorKind.EXCHANGE_DOWN,
        ErrorKind.RATE_LIMITED,
        ErrorKind.MAINTENANCE,
        ErrorKind.BAD_RESPONSE,
    }
)


class CtsError(Exception):
    """An error whose message is one clear line for the user (exit code 2 at the CLI)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(scrub(message))

    @property
    def message(self) -> str:
        return str(self)


class ConfigError(CtsError):
    pass


class StoreError(CtsError):
    pass


class NotFoundError(CtsError):
    pass


class InvalidTransition(CtsError):
    pass


class ReadOnlyError(CtsError):
    """A change refused because the thing is not ours to change (a connection that comes from
    the config or the environment is changed there)."""


class KeysMustFollow(CtsError):
    """An edit that moves a connection to another host without its secrets (REST: 422); see
    ``exchanges/hosts.py``."""


class AlreadyExists(CtsError):
    """A name (or id) another stored connection has: a conflict with what is stored (REST: 409),
    not a malformed request."""


class ExchangeError(CtsError):
    """A failed exchange call, classified. ``retry_after`` / ``banned_until`` are in seconds
    (relative) and epoch seconds respectively, when the exchange said so."""

    exit_code = 1

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        banned_until: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.code = code
        self.retry_after = retry_after
        self.banned_until = banned_until

    def __repr__(self) -> str:
        return f"ExchangeError({self.kind.value}, {str(self)!r}, status={self.status}, code={self.code})"


# --- secret scrubbing -------------------------------------------------------------------------

_MIN_SECRET_LEN = 6
_known_secrets: set[str] = set()
_lock = threading.Lock()
_pattern: re.Pattern[str] | None = None

# Values that look like credentials wherever they appear: query/header/json fields by name.
_FIELD_RE = re.compile(
    r"(?i)((?:api[_-]?key|apikey|secret|passphrase|password|signature|sign|token|access[_-]?key|"
    r"client[_-]?secret|x-mbx-apikey|ok-access-[a-z]+|x-bapi-[a-z-]*sign[a-z-]*|x-bx-apikey|"
    r"pionex-[a-z]+|cb-access-[a-z]+|api-sign|api-key|authorization)"
    # "name=value" (query strings, forms) or "name": "value" (JSON, dict reprs). A bare
    # "name: words" is prose, such as a validation message naming the field, and stays readable.
    r"(?:[\"']?\s*=\s*[\"']?|[\"']?\s*:\s*[\"']))(?:bearer\s+)?([^\s\"'&,;}]+)"
)
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def register_secret(value: str | None) -> None:
    """Remember a secret so that ``scrub`` removes it from any text, wherever it shows up."""
    global _pattern
    if not value or len(value) < _MIN_SECRET_LEN:
        return
    with _lock:
        if value in _known_secrets:
            return
        _known_secrets.add(value)
        _pattern = None  # rebuilt by the next scrub: registering thousands stays linear


def _secrets_pattern() -> re.Pattern[str] | None:
    global _pattern
    pattern = _pattern
    if pattern is None and _known_secrets:
        with _lock:
            if _pattern is None:
                ordered = sorted(_known_secrets, key=len, reverse=True)
                _pattern = re.compile("|".join(re.escape(s) for s in ordered))
            pattern = _pattern
    return pattern


def scrub(text: str) -> str:
    """Mask known secrets and anything shaped like a credential field in ``text``."""
    if not text:
        return text
    pattern = _secrets_pattern()
    if pattern is not None:
        text = pattern.sub("***", text)
    text = _FIELD_RE.sub(lambda m: m.group(1) + "***", text)
    return _BEARER_RE.sub(lambda m: m.group(1) + "***", text)


def mask(value: str | None, keep: int = 4) -> str:
    """Show at most ``keep`` characters at each end; short values are masked whole."""
    if not value:
        return ""
    if len(value) <= keep * 3:
        return "*" * min(len(value), 8)
    return f"{value[:keep]}…{value[-keep:]}"


class ScrubbingFilter(logging.Filter):
    """Logging filter that scrubs the formatted message and any exception text of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def install_log_scrubbing() -> None:
    """Attach the scrubbing filter to every handler of the root logger (idempotent)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, ScrubbingFilter) for f in handler.filters):
            handler.addFilter(ScrubbingFilter())


def describe_validation_error(error: object, prefix: str = "") -> str:
    """One line from a pydantic ValidationError: the field path and the reason, never the input
    (which could be a secret)."""
    from pydantic import ValidationError

    if not isinstance(error, ValidationError):
        return scrub(str(error))
    parts = []
    for item in error.errors(include_input=False, include_url=False):
        loc = ".".join(str(p) for p in item["loc"] if p != "__root__")
        where = ".".join(p for p in (prefix, loc) if p)
        msg = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        msg = msg.removeprefix("Value error, ")
        # Scrubbed apart: "api_secret: Field required" must not read as a credential field.
        parts.append(f"{scrub(where)}: {scrub(msg)}" if where else scrub(msg))
    return "; ".join(parts)
