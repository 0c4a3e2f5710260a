"""Kraken's API-Sign: base64(HMAC-SHA512(base64decode(secret), path + SHA256(nonce + postdata)))."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac


def api_sign(secret_b64: str, path: str, nonce: str, postdata: str) -> str | None:
    """The signature Kraken expects, or None when the secret is not valid base64."""
    try:
        key = base64.b64decode(secret_b64, validate=True)
    except (binascii.Error, ValueError):
        return None
    digest = hashlib.sha256((nonce + postdata).encode()).digest()
    mac = hmac.new(key, path.encode() + digest, hashlib.sha512).digest()
    return base64.b64encode(mac).decode()


def verify(secret_b64: str, given: str, path: str, nonce: str, postdata: str) -> bool:
    expected = api_sign(secret_b64, path, nonce, postdata)
    return expected is not None and hmac.compare_digest(expected, given)
