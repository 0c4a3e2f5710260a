"""Simulated API keys: credentials, permissions and balances per API type.

Credentials not given by the scenario are derived from the seed, so a repeated run hands out the
same keys (handy for a demo database that outlives one simulator process).
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from dataclasses import dataclass, field

from cts_tui.sim import cdp
from cts_tui.sim.scenario import AccountSpec

DEFAULT_BALANCES: dict[str, dict[str, float]] = {
    "spot": {"USDT": 10_000.0, "BTC": 0.5, "ETH": 4.0},
    "perpetual_futures": {"USDT": 5_000.0},
    "futures": {"USDT": 3_000.0, "BTC": 0.25},
    "margin": {"USDT": 2_000.0, "BTC": 0.1},
    "unified": {"USDT": 8_000.0, "BTC": 0.2, "ETH": 1.5},
}


@dataclass(slots=True)
class SimAccount:
    name: str
    api_key: str
    secret: str
    passphrase: str | None
    permissions: frozenset[str]
    testnet: bool
    uid: int
    balances: dict[str, dict[str, float]] = field(default_factory=dict)
    options: dict[str, str | int | float | bool] = field(default_factory=dict)
    ip_whitelist: tuple[str, ...] = ()
    expires_at_ms: int | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def balance(self, api_type: str) -> dict[str, float]:
        """Asset -> total for one API type ("spot", "perpetual_futures", ...)."""
        return self.balances.get(api_type) or DEFAULT_BALANCES.get(api_type, {})

    def days_left(self) -> int | None:
        """Whole days until the key expires (rounded up, as the exchanges count), None: never."""
        if self.expires_at_ms is None:
            return None
        return max(0, math.ceil((self.expires_at_ms / 1000 - time.time()) / 86_400))

    def public(self) -> dict:
        """The account as `cts-tui sim` prints it: demo credentials are meant to be handed out."""
        return {
            "name": self.name,
            "api_key": self.api_key,
            "secret": self.secret,
            "passphrase": self.passphrase,
            "permissions": sorted(self.permissions),
            "testnet": self.testnet,
            "key_type": "cdp" if self.options.get("key") == "cdp" else "hmac",
        }


def default_specs(has_demo_keys: bool, extra: tuple[AccountSpec, ...] = ()) -> list[AccountSpec]:
    specs = [AccountSpec(name="main"), AccountSpec(name="readonly", permissions=frozenset({"read"}))]
    if has_demo_keys:
        specs.append(AccountSpec(name="demo", testnet=True))
    return specs + list(extra)


def build_accounts(
    exchange: str, seed: int, specs: list[AccountSpec] | None, needs_passphrase: bool, has_demo_keys: bool,
    extra: tuple[AccountSpec, ...] = (),
) -> list[SimAccount]:
    """Accounts of `specs` (or the defaults plus the exchange's `extra` ones). A spec with the
    option {"key": "cdp"} gets a Coinbase CDP key (cts_tui.sim.cdp) instead of an HMAC one."""
    accounts = []
    for spec in specs if specs is not None else default_specs(has_demo_keys, extra):
        rng = random.Random(f"{seed}:{exchange}:{spec.name}")
        if spec.options.get("key") == "cdp":
            key, secret = cdp.credentials(rng)
            key, secret = spec.api_key or key, spec.secret or secret
        else:
            key = spec.api_key or f"{exchange[:4]}{spec.name[:4]}" + _hex(rng, 24)
            secret = spec.secret or _hex(rng, 48)
        passphrase = spec.passphrase or ("Pp" + _hex(rng, 10) if needs_passphrase else None)
        uid = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 900_000_000 + 100_000_000
        expires = None if spec.expires_in_days is None else int((time.time() + spec.expires_in_days * 86_400) * 1000)
        accounts.append(
            SimAccount(spec.name, key, secret, passphrase, spec.permissions, spec.testnet, uid,
                       dict(spec.balances), dict(spec.options), tuple(spec.ip_whitelist), expires)
        )
    return accounts


def _hex(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))
