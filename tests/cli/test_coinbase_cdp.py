"""Coinbase CDP keys (a key name and a PEM EC private key, signed as an ES256 JWT) end to end:
``conn add`` with the key pasted as Coinbase's JSON key file writes it, ``conn test`` reads the
balance through ccxt, and the key shows nowhere: not in any output, not in the database file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.cli.test_conn_test import _cts, cts_env  # noqa: F401 - the fixture is used by name


async def _add_cdp(env: dict[str, str], sim, name: str, secret: str) -> tuple[int, str]:
    account = sim.account("coinbase", "cdp")
    credentials = {"CTS_API_KEY": account.api_key, "CTS_API_SECRET": secret, "CTS_API_PASSPHRASE": ""}
    code, _, err = await _cts({**env, **credentials}, "conn", "add", "--name", name, "--exchange", "coinbase",
                              "--api-type", "spot", "--base-url", sim.base_url("coinbase"))
    return code, err


async def test_a_cdp_key_is_added_tested_and_read_without_showing_its_secret(sim, cts_env) -> None:
    account = sim.account("coinbase", "cdp")
    assert account.api_key.startswith("organizations/") and account.secret.startswith("-----BEGIN EC PRIVATE KEY")
    as_in_key_file = account.secret.strip().replace("\n", "\\n")  # the JSON key file writes \n out
    code, err = await _add_cdp(cts_env, sim, "cdp", as_in_key_file)
    assert code == 0, err

    code, out, err = await _cts(cts_env, "conn", "test", "cdp", "--json")
    assert code == 0, err
    result = json.loads(out)["results"]
    (only,) = result.values()
    assert only["success"] and only["balance"] == account.balance("spot")["USDT"]

    _, listing, _ = await _cts(cts_env, "conn", "list", "--json")
    body = account.secret.splitlines()[1:-1]
    stored = Path(cts_env["CTS_DB"]).read_bytes() + b"".join(
        str(row).encode() for row in sqlite3.connect(cts_env["CTS_DB"]).execute("SELECT * FROM connections"))
    for shown in (out, err, listing):
        assert "PRIVATE KEY" not in shown and not any(line in shown for line in body)
    assert not any(line.encode() in stored for line in body)


async def test_a_cdp_key_signed_with_another_private_key_fails_as_auth(sim, cts_env) -> None:
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()).decode()
    code, err = await _add_cdp(cts_env, sim, "stranger", other)
    assert code == 0, err
    code, out, err = await _cts(cts_env, "conn", "test", "stranger")
    assert code == 1 and "FAIL (auth)" in out
    assert not any(line in out + err for line in other.splitlines()[1:-1])
