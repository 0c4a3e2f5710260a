"""What an exchange's response says about our budget, read from its status and headers.

The clients hand every response's status and headers to the limiter; this module turns them,
with the venue's reading of its usage headers (``Venue.read_usage``), into a ``Verdict``: pause
(429, exhausted quota), ban (418), or the exchange's own count of what was spent, which tells us
about other tools using the same key or IP.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from functools import partial
from typing import NamedTuple

from multidict import CIMultiDict, CIMultiDictProxy

from cts_tui.venues import VENUES
from cts_tui.venues.reading import number

__all__ = ["ResponseFeedback", "Verdict", "header", "interpret", "parse_retry_after"]

_CASE_INSENSITIVE = (CIMultiDict, CIMultiDictProxy)


class ResponseFeedback(NamedTuple):
    """One answer, named by its exchange, key and endpoint, for ``RateLimiter.observe``: for
    answers seen outside a permit (the clients report through their permits)."""

    exchange: str
    account: str | None
    endpoint: str
    status: int
    headers: Mapping[str, str]
    received_at: float
    """Wall-clock epoch seconds when the response arrived."""


class Verdict(NamedTuple):
    pause_s: float | None = None
    """Seconds to stop sending; None with ``throttled`` means the exchange did not say."""
    throttled: bool = False
    banned: bool = False
    used: int | None = None
    """The exchange's count in the policy's usage window, in that window's units."""
    used_share: float | None = None
    """Share (0..1) of the exchange's own limit spent, when it reports remaining / limit."""


_PLAIN = Verdict()
_USAGE_READERS = {venue.id.value: venue.read_usage for venue in VENUES.values() if venue.read_usage}
"""The venues whose answers say what was spent (``Venue.read_usage``)."""


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever its case. aiohttp's headers are case-insensitive already, so
    a miss there is final; a plain dict (tests, hand-made replies) is searched."""
    value = headers.get(name)
    if value is not None or isinstance(headers, _CASE_INSENSITIVE):
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


def parse_retry_after(text: str | None, received_at: float) -> float | None:
    """Retry-After is delta-seconds or an HTTP date; either becomes seconds from arrival."""
    if text is None:
        return None
    seconds = number(text)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - received_at)


def interpret(exchange: str, status: int, headers: Mapping[str, str], at: float) -> Verdict:
    """What an answer received at ``at`` says. Retry-After is read only for an answer that says
    stop: it says nothing about a 2xx. A count is passed on whatever the policy; the plan knows
    whether a window takes it."""
    # Every answer passes here: aiohttp's case-insensitive headers are read with their own get.
    get = headers.get if isinstance(headers, _CASE_INSENSITIVE) else partial(header, headers)
    if status == 418:
        return Verdict(pause_s=parse_retry_after(get("Retry-After"), at), banned=True)
    throttled = status == 429
    pause_s: float | None = None
    used: int | None = None
    used_share: float | None = None
    read_usage = _USAGE_READERS.get(exchange)
    if read_usage is not None:
        exhausted, pause_s, used, used_share = read_usage(get, at)
        throttled = throttled or exhausted
    if throttled:
        retry_after = parse_retry_after(get("Retry-After"), at)
        if retry_after is not None:  # the exchange's own word beats a reset stamp
            pause_s = retry_after
    if not throttled and used is None and used_share is None:
        return _PLAIN
    return Verdict(pause_s, throttled, False, used, used_share)
