"""Coinbase Developer Platform (CDP) API keys: what Coinbase issues for Advanced Trade today.

A CDP key is named ``organizations/{org_id}/apiKeys/{key_id}`` and its secret is a PEM-encoded EC
P-256 private key. A request carries ``Authorization: Bearer <JWT>``: an ES256 JSON Web Token with
headers ``kid`` (the key name) and ``nonce``, and claims ``sub`` (the key name), ``iss``, ``nbf``,
``exp`` (at most 120 s after ``nbf``) and ``uri`` ("GET api.coinbase.com/api/v3/brokerage/accounts":
method, host and path without the query). The simulator derives such keys from its seed and
verifies the tokens with the key's public half.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import random
import uuid

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

MAX_LIFETIME_S = 120
CLOCK_LEEWAY_S = 5  # a token stamped this far ahead of the server clock still counts
_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)  # of the P-256 group


def credentials(rng: random.Random) -> tuple[str, str]:
    """A key name and its PEM private key, both drawn from `rng` (repeatable runs)."""
    org, key_id = uuid.UUID(int=rng.getrandbits(128), version=4), uuid.UUID(int=rng.getrandbits(128), version=4)
    private = ec.derive_private_key(rng.randrange(1, _ORDER), ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    return f"organizations/{org}/apiKeys/{key_id}", pem


def is_cdp_key(api_key: str) -> bool:
    return api_key.startswith("organizations/") and "/apiKeys/" in api_key


def unverified_kid(token: str) -> str | None:
    """The key name a token claims, to find the account before verifying it."""
    try:
        return json.loads(_b64(token.split(".")[0])).get("kid")
    except (ValueError, AttributeError):
        return None


def verify(token: str, key_name: str, pem: str, uris: set[str], now_s: float) -> str | None:
    """None when `token` is a valid ES256 JWT of this key for one of `uris`, else why not."""
    parts = token.split(".")
    if len(parts) != 3:
        return "malformed token"
    try:
        header, claims, signature = json.loads(_b64(parts[0])), json.loads(_b64(parts[1])), _b64(parts[2])
    except ValueError:
        return "malformed token"
    if header.get("alg") != "ES256" or header.get("kid") != key_name or not header.get("nonce"):
        return "invalid token header"
    if claims.get("sub") != key_name or len(signature) != 64:
        return "invalid token"
    try:
        _public_key(pem).verify(encode_dss_signature(int.from_bytes(signature[:32]), int.from_bytes(signature[32:])),
                                f"{parts[0]}.{parts[1]}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "invalid signature"
    nbf, exp = claims.get("nbf"), claims.get("exp")
    if not isinstance(nbf, int | float) or not isinstance(exp, int | float) or exp - nbf > MAX_LIFETIME_S:
        return "invalid token lifetime"
    if now_s + CLOCK_LEEWAY_S < nbf or now_s >= exp:
        return "token expired"
    if claims.get("uri") not in uris:
        return "token uri does not match the request"
    return None


@functools.cache
def _public_key(pem: str) -> ec.EllipticCurvePublicKey:
    private = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    return private.public_key()


def _b64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc
