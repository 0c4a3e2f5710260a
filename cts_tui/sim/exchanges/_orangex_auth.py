"""OrangeX `client_signature` grant: hex HMAC-SHA256 of client_id + "\\n" + timestamp + "\\n" + nonce + "\\n"."""

from __future__ import annotations

import hashlib
import hmac


def client_signature(client_id: str, secret: str, timestamp: str, nonce: str) -> str:
    text = f"{client_id}\n{timestamp}\n{nonce}\n"
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def verify(client_id: str, secret: str, timestamp: str, nonce: str, given: str) -> bool:
    return hmac.compare_digest(client_signature(client_id, secret, timestamp, nonce), given.lower())
