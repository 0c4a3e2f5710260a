"""Coinbase request signing for the two key shapes a connection can carry.

- Advanced Trade / Sign in with Coinbase API keys (no passphrase): CB-ACCESS-SIGN is the hex
  HMAC-SHA256, under the secret as text, of timestamp + METHOD + request path + body, where the
  request path of a v2 GET keeps its query string and a v3 GET signs the bare path.
- Coinbase Exchange keys (with passphrase): CB-ACCESS-SIGN is the base64 HMAC-SHA256, under the
  base64-decoded secret, of timestamp + METHOD + request path (with query) + body, and
  CB-ACCESS-PASSPHRASE must match the key's passphrase.
Both reject a CB-ACCESS-TIMESTAMP more than 30 seconds from the server's clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

TIMESTAMP_WINDOW_S = 30.0


def advanced_signature(secret: str, timestamp: str, method: str, request_path: str, body: str) -> str:
    text = timestamp + method.upper() + request_path + body
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def exchange_signature(secret_b64: str, timestamp: str, method: str, request_path: str, body: str) -> str | None:
    """The Coinbase Exchange signature, or None when the secret is not valid base64."""
    try:
        key = base64.b64decode(secret_b64, validate=True)
    except (binascii.Error, ValueError):
        return None
    text = timestamp + method.upper() + request_path + body
    return base64.b64encode(hmac.new(key, text.encode(), hashlib.sha256).digest()).decode()


def same(expected: str | None, given: str) -> bool:
    return expected is not None and hmac.compare_digest(expected, given)


def timestamp_fresh(timestamp: str, server_now_s: float) -> bool:
    try:
        value = float(timestamp)
    except ValueError:
        return False
    return abs(server_now_s - value) <= TIMESTAMP_WINDOW_S
