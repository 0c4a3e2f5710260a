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


# Exchange error codes whose meaning the kind depends on. Codes not listed fall back to the HTTP
# status and then to the library's reading of them.
CODE_KINDS: dict[ExchangeId, dict[str, ErrorKind]] = {
    ExchangeId.BINANCE: {
        "-1002": _E.AUTH, "-1022": _E.AUTH, "-2014": _E.AUTH, "-2015": _E.AUTH, "-2008": _E.AUTH,
        "-1003": _E.RATE_LIMITED, "-1015": _E.RATE_LIMITED, "-1001": _E.EXCHANGE_DOWN,
        "-1007": _E.TIMEOUT, "-1016": _E.EXCHANGE_DOWN, "-1021": _E.INVALID_REQUEST,
        "-1121": _E.INVALID_REQUEST, "-2010": _E.INVALID_REQUEST,
    },
    ExchangeId.BYBIT: {
        "10003": _E.AUTH, "10004": _E.AUTH, "10007": _E.AUTH, "33004": _E.AUTH,
        "10005": _E.PERMISSION, "10010": _E.PERMISSION, "10006": _E.RATE_LIMITED,
        "10018": _E.RATE_LIMITED, "10009": _E.BANNED, "10016": _E.EXCHANGE_DOWN,
        "10002": _E.INVALID_REQUEST, "10001": _E.INVALID_REQUEST,
    },
    ExchangeId.OKX: {
        "50111": _E.AUTH, "50113": _E.AUTH, "50105": _E.AUTH, "50119": _E.AUTH, "50101": _E.AUTH,
        "50104": _E.AUTH, "50114": _E.AUTH, "50100": _E.PERMISSION, "50110": _E.PERMISSION,
        "50120": _E.PERMISSION, "50011": _E.RATE_LIMITED, "50061": _E.RATE_LIMITED,
        "50001": _E.MAINTENANCE, "50013": _E.EXCHANGE_DOWN, "50026": _E.EXCHANGE_DOWN,
        "50004": _E.TIMEOUT, "50102": _E.INVALID_REQUEST, "50112": _E.INVALID_REQUEST,
    },
    ExchangeId.BINGX: {
        "100001": _E.AUTH, "100412": _E.AUTH, "100413": _E.AUTH, "100419": _E.PERMISSION,
        "100410": _E.RATE_LIMITED, "100500": _E.EXCHANGE_DOWN, "100503": _E.EXCHANGE_DOWN,
        "100421": _E.INVALID_REQUEST,
    },
    ExchangeId.HTX: {
        "api-signature-not-valid": _E.AUTH, "invalid-access-key-id": _E.AUTH,
        "api-signature-check-failed": _E.AUTH, "login-required": _E.AUTH,
        "api-not-support-temp-addr": _E.PERMISSION, "forbidden-trade-for-open-protect": _E.PERMISSION,
        "too-many-request": _E.RATE_LIMITED, "invalid-timestamp": _E.INVALID_REQUEST,
        "system-maintenance": _E.MAINTENANCE, "base-system-error": _E.EXCHANGE_DOWN,
    },
    ExchangeId.COINBASE: {
        "UNAUTHORIZED": _E.AUTH, "authentication_error": _E.AUTH, "invalid_signature": _E.AUTH,
        "PERMISSION_DENIED": _E.PERMISSION, "permission_denied": _E.PERMISSION,
        "rate_limit_exceeded": _E.RATE_LIMITED, "RATE_LIMIT_EXCEEDED": _E.RATE_LIMITED,
        "INTERNAL": _E.EXCHANGE_DOWN, "UNAVAILABLE": _E.MAINTENANCE,
    },
    ExchangeId.KRAKEN: {
        "EAPI:Invalid key": _E.AUTH, "EAPI:Invalid signature": _E.AUTH,
        "EAPI:Bad request": _E.INVALID_REQUEST, "EGeneral:Permission denied": _E.PERMISSION,
        "EAPI:Rate limit exceeded": _E.RATE_LIMITED, "EGeneral:Temporary lockout": _E.BANNED,
        "EService:Unavailable": _E.MAINTENANCE, "EService:Busy": _E.EXCHANGE_DOWN,
        "EAPI:Invalid nonce": _E.INVALID_REQUEST,
    },
    ExchangeId.PIONEX: {
        "APIKEY_LOST": _E.AUTH, "INVALID_APIKEY": _E.AUTH, "INVALID_SIGNATURE": _E.AUTH,
        "SIGNATURE_MISMATCH": _E.AUTH, "IP_NOT_WHITELISTED": _E.PERMISSION,
        "PERMISSION_DENIED": _E.PERMISSION, "INVALID_TIMESTAMP": _E.INVALID_REQUEST,
        "RATE_LIMIT": _E.RATE_LIMITED, "TOO_MANY_REQUESTS": _E.RATE_LIMITED,
        "SYSTEM_MAINTENANCE": _E.MAINTENANCE, "MAINTENANCE": _E.MAINTENANCE,
    },
    ExchangeId.ORANGEX: {
        "10000": _E.AUTH, "2033": _E.PERMISSION, "10028": _E.RATE_LIMITED,
        "11000": _E.MAINTENANCE, "11001": _E.EXCHANGE_DOWN, "1000": _E.INVALID_REQUEST,
    },
}

# Codes that mean "your timestamp is off": the clock re-syncs and the request is sent once more.
TIMESTAMP_CODES: dict[ExchangeId, frozenset[str]] = {
    ExchangeId.BINANCE: frozenset({"-1021"}),
    ExchangeId.BYBIT: frozenset({"10002"}),
    ExchangeId.OKX: frozenset({"50102", "50112"}),
    ExchangeId.BINGX: frozenset({"100421"}),
    ExchangeId.HTX: frozenset({"invalid-timestamp"}),
    ExchangeId.COINBASE: frozenset(),
    ExchangeId.KRAKEN: frozenset({"EAPI:Invalid nonce"}),
    ExchangeId.PIONEX: frozenset({"INVALID_TIMESTAMP"}),
    ExchangeId.ORANGEX: frozenset(),
}

# Plain-text answers whose status means something particular on one exchange.
TEXT_STATUS_KINDS: dict[tuple[ExchangeId, int], ErrorKind] = {
    # Bybit's IP limit: HTTP 403 "access too frequent", not JSON.
    (ExchangeId.BYBIT, 403): _E.RATE_LIMITED,
    # Coinbase Advanced Trade refuses a CDP key's JWT (wrong key, expired, wrong uri) with HTTP 401
    # "Unauthorized" in plain text.
    (ExchangeId.COINBASE, 401): _E.AUTH,
}

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
    """The exchange's error code and short message in ``payload``, if it reports an error."""
    if isinstance(payload, dict):
        if exchange is ExchangeId.KRAKEN:
            errors = payload.get("error")
            if isinstance(errors, list) and errors:
                first = str(errors[0])
                return ":".join(first.split(":")[:2]), first
            return None, None
        if exchange is ExchangeId.ORANGEX:
            error = payload.get("error")
            if isinstance(error, dict):
                return _text(error.get("code")), _text(error.get("message"))
            return None, None
        if exchange is ExchangeId.HTX and payload.get("status") == "error":
            return _text(payload.get("err-code")), _text(payload.get("err-msg"))
        if exchange is ExchangeId.PIONEX and payload.get("result") is False:
            return _text(payload.get("code")), _text(payload.get("message"))
        if exchange is ExchangeId.BYBIT:
            code = _text(payload.get("retCode"))
            return (code, _text(payload.get("retMsg"))) if code not in (None, "0") else (None, None)
        if exchange is ExchangeId.COINBASE:
            code = _text(payload.get("error") or payload.get("error_details"))
            return (code, _text(payload.get("message"))) if code or payload.get("message") else (None, None)
        code = _text(payload.get("code", payload.get("err-code")))
        if code not in (None, "0", "200"):
            return code, _text(payload.get("msg") or payload.get("message") or payload.get("err-msg"))
    return None, None


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    return parse_retry_after(header(headers, "Retry-After"), time.time())


def is_timestamp_rejection(exchange: ExchangeId, error: ExchangeError) -> bool:
    return error.code is not None and error.code in TIMESTAMP_CODES.get(exchange, frozenset())


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
    known = CODE_KINDS.get(exchange, {}).get(code) if code is not None else None
    if known is _E.EXCHANGE_DOWN and _MAINTENANCE_RE.search(exchange_message or ""):
        return _E.MAINTENANCE
    if known is not None:
        return known
    if payload is None and (exchange, status) in TEXT_STATUS_KINDS:
        return TEXT_STATUS_KINDS[(exchange, status)]
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


_NUMERIC_CODES = frozenset({ExchangeId.BINANCE, ExchangeId.BYBIT, ExchangeId.OKX, ExchangeId.BINGX, ExchangeId.ORANGEX})
_NUMERIC_CODE_RE = re.compile(r"-?\d{1,9}")
_WORD_CODE_RE = re.compile(r"[A-Za-z][\w:. -]{0,80}")


# The JSON type of each exchange's code field, as the exchange sends it.
_CODE_TYPES: dict[ExchangeId, tuple[str, type]] = {
    ExchangeId.BINANCE: ("code", int), ExchangeId.BYBIT: ("retCode", int), ExchangeId.OKX: ("code", str),
    ExchangeId.BINGX: ("code", int), ExchangeId.HTX: ("err-code", str),
}


def _code_typed(exchange: ExchangeId, payload: Any) -> bool:
    field_type = _CODE_TYPES.get(exchange)
    if field_type is None or not isinstance(payload, dict) or payload.get(field_type[0]) is None:
        return True
    value = payload[field_type[0]]
    return isinstance(value, field_type[1]) and not isinstance(value, bool)


def _plausible_code(exchange: ExchangeId, code: str | None) -> bool:
    """An error code of the form the exchange uses (numbers of at most 9 digits where codes are
    numbers, a short word elsewhere)."""
    if code is None:
        return True
    pattern = _NUMERIC_CODE_RE if exchange in _NUMERIC_CODES else _WORD_CODE_RE
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
