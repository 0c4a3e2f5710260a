"""Signature helpers shared by the exchange modules: HMAC in the encodings exchanges use, and a
constant-time comparison so that the simulator does not teach clients timing habits."""

from __future__ import annotations

import base64
import hashlib
import hmac


def hmac_hex(secret: str, message: str | bytes, digest=hashlib.sha256) -> str:
    data = message.encode() if isinstance(message, str) else message
    return hmac.new(secret.encode(), data, digest).hexdigest()


def hmac_base64(secret: str, message: str | bytes, digest=hashlib.sha256) -> str:
    data = message.encode() if isinstance(message, str) else message
    return base64.b64encode(hmac.new(secret.encode(), data, digest).digest()).decode()


def same(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def split_signed_query(raw_query: str, name: str = "signature") -> tuple[str, str | None]:
    """Splits `a=1&b=2&signature=XX` into the signed part exactly as sent and the signature."""
    marker = f"&{name}="
    index = raw_query.rfind(marker)
    if index < 0:
        if raw_query.startswith(f"{name}="):
            return "", raw_query[len(name) + 1:]
        return raw_query, None
    return raw_query[:index], raw_query[index + len(marker):]
