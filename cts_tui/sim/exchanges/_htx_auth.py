"""HTX (Huobi) signature version 2.

The signed text is METHOD, host, path and the URL-encoded parameters (every query parameter but
`Signature`, sorted by name) joined by newlines; the signature is the base64 HMAC-SHA256 of that
text. The host is the one the request was sent to, lowercased, with or without its port (real
hosts have none, so SDKs sign the bare name; ccxt signs what it addresses): a client that signs
for a different host than it talks to is refused, as HTX refuses it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S"


def signed_text(method: str, host: str, path: str, params: Iterable[tuple[str, str]]) -> str:
    pairs = sorted((k, v) for k, v in params if k != "Signature")
    encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    return "\n".join((method.upper(), host.lower(), path, encoded))


def signature(secret: str, method: str, host: str, path: str, params: Iterable[tuple[str, str]]) -> str:
    text = signed_text(method, host, path, params)
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode()


def verify(secret: str, given: str, method: str, host: str, path: str, params: Iterable[tuple[str, str]]) -> bool:
    """`host` is the request's Host header; the signed host may carry its port or not."""
    pairs = list(params)
    bare = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return any(hmac.compare_digest(signature(secret, method, name, path, pairs), given)
               for name in dict.fromkeys((host, bare)))


def parse_timestamp(text: str) -> float | None:
    """Seconds since the epoch of HTX's UTC `Timestamp` (2017-05-11T16:22:06), or None."""
    try:
        return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None
