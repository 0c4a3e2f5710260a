"""PEM private keys as API secrets: Coinbase's CDP keys (an EC key, ``-----BEGIN EC PRIVATE
KEY-----``) are the one secret that is not a single token.

A user pastes the key the way Coinbase hands it out: with real line breaks, or as it stands in the
downloaded JSON key file (``\\n`` written out), or run together on one line by an input box. Each
form becomes the same canonical PEM, which is what the store encrypts and ccxt signs with.
"""

from __future__ import annotations

import base64
import binascii
import re

_PEM = re.compile(r"-----BEGIN ([A-Z ]*PRIVATE KEY)-----(.*?)-----END \1-----", re.S)


def looks_like_pem(text: str) -> bool:
    return text.lstrip().startswith("-----BEGIN")


def canonical_pem(text: str) -> str:
    """The key in canonical PEM (64-character base64 lines, no trailing newline); ValueError
    (naming no part of the key) when it is not one well-formed PEM private key block."""
    match = _PEM.fullmatch(text.replace("\\n", "\n").strip())
    if match is None:
        raise ValueError("a PEM secret must be one -----BEGIN ... PRIVATE KEY----- block")
    label, body = match.group(1), "".join(match.group(2).split())
    try:
        base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the PEM secret's body is not base64") from None
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])


def body_lines(pem: str) -> list[str]:
    """The base64 lines of a canonical PEM: each is secret on its own (a log may show one)."""
    return pem.splitlines()[1:-1]
