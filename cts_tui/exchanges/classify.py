"""Turning whatever an exchange answered into one ``ExchangeError`` with an ``ErrorKind``.

The kind comes from the HTTP status and the exchange's own error code first, and only then from a
library's exception class: ccxt reports a Binance 429 as ``DDoSProtection`` and an OKX 429 with an
empty body as ``ExchangeNotAvailable``, and both are "slow down", not "down". Messages are built
here from the status, the code and the exchange's short message, never from a library's exception
text (ccxt's carry the signed URL and the request headers), and are scrubbed once more anyway.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cts_tui.capabilities import ExchangeId
from cts_tui.errors import ErrorKind, ExchangeError, scrub
from cts_tui.ratelimit.feedback import header, parse_retry_after
from cts_tui.venues import VENUES
from cts_tui.venues.reading import text

_E = ErrorKind
_MAX_MESSAGE = 160


@dataclass(slots=True)
class HttpReply:
    """One HTTP response as the classifier needs it."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    text: str = ""
    received_at: float = field(default_factory=time.time)

    def json(self) -> Any:
        """The decoded body, or None when it is not JSON (HTML error pages, truncated bodies)."""
        try:
            return json.loads(self.text) if self.text else None
        except ValueError:
            return None


_BANNED_UNTIL_RE = re.compile(r"(?i)banned until (\d{10,13})")
_MAINTENANCE_RE = re.compile(r"(?i)maintenance|upgrad")
_LIBRARY_KINDS: tuple[tuple[str, ErrorKind], ...] = (
    # Most specific first: OnMaintenance is an ExchangeNotAvailable, PermissionDenied an
    # AuthenticationError, RequestTimeout a NetworkError.
    ("OnMaintenance", _E.MAINTENANCE),
    ("RequestTimeout", _E.TIMEOUT),
    ("RateLimitExceeded", _E.RATE_LIMITED),
    ("DDoSProtection", _E.RATE_LIMITED),
    ("InvalidNonce", _E.INVALID_REQUEST),
    ("ExchangeNotAvailable", _E.NETWORK),
    ("BadResponse", _E.BAD_RESPONSE),
    ("NetworkError", _E.NETWORK),
    ("PermissionDenied", _E.PERMISSION),
    ("AccountSuspended", _E.PERMISSION),
    ("AuthenticationError", _E.AUTH),
    ("BaseError", _E.INVALID_REQUEST),
)


def error_fields(exchange: ExchangeId, payload: Any) -> tuple[str | None, str | None]:
    """The exchange's error code and short message in ``payload``, if it reports an error: where
    the venue reads them (``Venue.error_fields``), else from the common ``code``/``msg`` fields."""
    if isinstance(payload, dict):
        own = VENUES[exchange].error_fields
        fields = own(payload) if own is not None else None
        if fields is not None:
            return fields
        code = text(payload.get("code", payload.get("err-code")))
        if code not in (None, "0", "200"):
            return code, text(payload.get("msg") or payload.get("message") or payload.get("err-msg"))
    return None, None


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    return parse_retry_after(header(headers, "Retry-After"), time.time())


def is_timestamp_rejection(exchange: ExchangeId, error: ExchangeError) -> bool:
    return error.code is not None and error.code in VENUES[exchange].timestamp_codes


def classify_reply(exchange: ExchangeId, reply: HttpReply, *, library_kind: ErrorKind | None = None) -> ExchangeError | None:
    """The error ``reply`` stands for, or None when it is a success the caller can use."""
    payload = reply.json()
    code, exchange_message = error_fields(exchange, payload)
    status = reply.status
    if 200 <= status < 300 and is_html(reply.headers):
        # JSON APIs never answer a success as a web page: a proxy or a captive portal did.
        return _error(exchange, _E.BAD_RESPONSE, "answered with a web page (Content-Type text/html), not JSON", reply, None, None)
    if 200 <= status < 300 and code is None:
        if payload is None and not _is_json_text(reply.text):
            return _error(exchange, _E.BAD_RESPONSE, "answered with a body that is not JSON", reply, None, None)
        return None
    if 200 <= status < 300 and not (_plausible_code(exchange, code) and _code_typed(exchange, payload)):
        # A success status with something in the error code's place that no exchange sends.
        return _error(exchange, _E.BAD_RESPONSE, "answered with an error code of an unexpected shape", reply, None, None)
    kind = _kind_of(exchange, status, code, reply, payload, exchange_message, library_kind)
    error = _error(exchange, kind, _SUMMARY[kind], reply, code, exchange_message)
    if kind is _E.RATE_LIMITED:
        error.retry_after = retry_after_s(reply.headers)
    elif kind is _E.BANNED:
        error.banned_until = _banned_until(reply, exchange_message)
    return error


def _kind_of(
    exchange: ExchangeId,
    status: int,
    code: str | None,
    reply: HttpReply,
    payload: Any,
    exchange_message: str | None,
    library_kind: ErrorKind | None,
) -> ErrorKind:
    if status == 418:
        return _E.BANNED
    if code is not None and _BANNED_UNTIL_RE.search(exchange_message or ""):
        return _E.BANNED
    if status == 429:
        return _E.RATE_LIMITED
    venue = VENUES[exchange]
    known = venue.error_codes.get(code) if code is not None else None
    if known is _E.EXCHANGE_DOWN and _MAINTENANCE_RE.search(exchange_message or ""):
        return _E.MAINTENANCE
    if known is not None:
        return known
    if payload is None and status in venue.text_status_kinds:
        return venue.text_status_kinds[status]
    if status >= 500 or (payload is None and status >= 400 and not reply.text.strip()):
        if status == 503 and _MAINTENANCE_RE.search(reply.text or ""):
            return _E.MAINTENANCE
        return _E.EXCHANGE_DOWN if status >= 500 else _E.INVALID_REQUEST
    if payload is None:
        return _E.BAD_RESPONSE
    if _MAINTENANCE_RE.search(exchange_message or ""):
        return _E.MAINTENANCE
    if status == 401:
        return _E.AUTH
    if status == 403:
        return _E.PERMISSION
    if library_kind is not None:
        return library_kind
    return _E.INVALID_REQUEST


_NUMERIC_CODE_RE = re.compile(r"-?\d{1,9}")
_WORD_CODE_RE = re.compile(r"[A-Za-z][\w:. -]{0,80}")


def _code_typed(exchange: ExchangeId, payload: Any) -> bool:
    field_type = VENUES[exchange].code_field
    if field_type is None or not isinstance(payload, dict) or payload.get(field_type[0]) is None:
        return True
    value = payload[field_type[0]]
    return isinstance(value, field_type[1]) and not isinstance(value, bool)


def _plausible_code(exchange: ExchangeId, code: str | None) -> bool:
    """An error code of the form the exchange uses (numbers of at most 9 digits where codes are
    numbers, a short word elsewhere)."""
    if code is None:
        return True
    pattern = _NUMERIC_CODE_RE if VENUES[exchange].numeric_codes else _WORD_CODE_RE
    return pattern.fullmatch(code) is not None


def is_html(headers: Mapping[str, str]) -> bool:
    kind = header(headers, "Content-Type")
    return kind is not None and kind.lower().lstrip().startswith("text/html")


def _is_json_text(text: str) -> bool:
    """True for a JSON body that decodes to a falsy value ("[]", "{}", "null", "0")."""
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _banned_until(reply: HttpReply, exchange_message: str | None) -> float | None:
    match = _BANNED_UNTIL_RE.search(exchange_message or "")
    if match:
        value = float(match.group(1))
        return value / 1000 if value > 1e11 else value
    wait = retry_after_s(reply.headers)
    return reply.received_at + wait if wait is not None else None


_SUMMARY: dict[ErrorKind, str] = {
    _E.NETWORK: "could not be reached",
    _E.TIMEOUT: "did not answer in time",
    _E.AUTH: "rejected the credentials",
    _E.PERMISSION: "refused: the key lacks the permission",
    _E.RATE_LIMITED: "rate limit exceeded",
    _E.BANNED: "banned this client for sending too many requests",
    _E.EXCHANGE_DOWN: "is failing (server error)",
    _E.MAINTENANCE: "is under maintenance",
    _E.BAD_RESPONSE: "answered with an unreadable response",
    _E.INVALID_REQUEST: "rejected the request",
}


def _error(
    exchange: ExchangeId,
    kind: ErrorKind,
    summary: str,
    reply: HttpReply,
    code: str | None,
    exchange_message: str | None,
) -> ExchangeError:
    detail = f"HTTP {reply.status}"
    if code is not None:
        detail += f", code {code}"
    if exchange_message:
        detail += f": {_one_line(exchange_message)}"
    return ExchangeError(kind, f"{exchange.value} {summary} ({detail})", status=reply.status, code=code)


def _one_line(text: str) -> str:
    flat = " ".join(scrub(text).split())
    return flat if len(flat) <= _MAX_MESSAGE else flat[: _MAX_MESSAGE - 1] + "…"


def library_kind(exc: BaseException) -> ErrorKind:
    """The kind a ccxt exception class stands for, walking its class hierarchy by name (so this
    module needs no ccxt import)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    for name, kind in _LIBRARY_KINDS:
        if name in names:
            return kind
    return _E.BAD_RESPONSE


def transport_error(exchange: ExchangeId, kind: ErrorKind, timeout_ms: int | None = None) -> ExchangeError:
    """An error for a request that got no HTTP answer at all."""
    if kind is _E.TIMEOUT and timeout_ms is not None:
        return ExchangeError(kind, f"{exchange.value} did not answer within {timeout_ms} ms")
    return ExchangeError(kind, f"{exchange.value} {_SUMMARY[kind]} (no HTTP answer)")


def body_timeout(exchange: ExchangeId, timeout_ms: int) -> ExchangeError:
    """An answer whose headers came but whose body did not end within the request's deadline
    (a trickled or endless body): the exchange answered, unusably."""
    return ExchangeError(_E.BAD_RESPONSE, f"{exchange.value} answered, but its body did not end within {timeout_ms} ms")
