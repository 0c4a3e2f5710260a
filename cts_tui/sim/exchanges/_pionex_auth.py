"""Pionex request signing, exactly as Pionex's authentication page describes it.

The signed text is METHOD + PATH + "?" + the query pairs sorted by key and joined with "&"
(values not URL-encoded, `timestamp` included) + the raw request body when there is one; the
signature is the hex HMAC-SHA256 of that text under the API secret. Pionex's own worked example
appends a body even to a GET, so the body is taken whenever the request carries one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable


def signed_text(method: str, path: str, query: Iterable[tuple[str, str]], body: str = "") -> str:
    pairs = sorted(query, key=lambda pair: pair[0])
    joined = "&".join(f"{key}={value}" for key, value in pairs)
    return method.upper() + path + ("?" + joined if joined else "") + body


def signature(secret: str, method: str, path: str, query: Iterable[tuple[str, str]], body: str = "") -> str:
    text = signed_text(method, path, query, body)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def verify(secret: str, given: str, method: str, path: str, query: Iterable[tuple[str, str]], body: str = "") -> bool:
    return hmac.compare_digest(signature(secret, method, path, query, body), given.lower())
