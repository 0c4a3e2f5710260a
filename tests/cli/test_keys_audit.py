"""``cts-tui keys audit`` and ``keys use`` against the simulator: exit codes for cron and CI,
the JSON and the advice. The CLI runs in a thread with its own event loop (as the console script
would), the simulator in the test's."""

from __future__ import annotations

import asyncio
import json
import time

from cts_tui.models import Connection
from cts_tui.store import ConnectionStore

from .helpers import one_line_error


async def _store_connection(db, sim, name: str, exchange: str, account: str = "main", **fields) -> str:
    acct = sim.account(exchange, account)
    async with await ConnectionStore.open(db) as store:
        added = await store.add(Connection(
            name=name, exchange=exchange, api_type="spot", api_key=acct.api_key, api_secret=acct.secret,
            api_passphrase=acct.passphrase, base_url=sim.base_url(exchange), enabled=False, **fields,
        ))
    return added.id


async def test_audit_exit_codes_json_and_advice(sim, sim_key, cli, tmp_path):
    db = tmp_path / "cts.db"

    async def cts(*argv: str):
        outcome = await asyncio.to_thread(cli, "--db", str(db), *argv)
        return outcome.code, outcome.out, outcome.err

    sim_key("binance", permissions=frozenset({"read", "trade", "withdraw"}), ip_whitelist=(),
            expires_at_ms=int((time.time() + 5 * 86_400) * 1000))
    risky = await _store_connection(db, sim, "risky", "binance")
    await _store_connection(db, sim, "watcher", "okx", account="readonly", intended_use="monitor")

    code, out, err = await cts("keys", "audit", "--read", "--json", "--fail-on", "high")
    assert code == 1, err
    audit = {c["name"]: c for c in json.loads(out)["connections"]}
    assert [r["risk"] for r in audit["risky"]["risks"]] == ["withdrawals", "expiring", "no_ip_whitelist"]
    assert audit["risky"]["id"] == risky and audit["risky"]["ip_restricted"] is False
    assert audit["watcher"]["risks"] == [] and audit["watcher"]["not_reported"] == ["expiry"]
    assert json.loads(out)["risks"]["high"] == 2

    code, out, err = await cts("keys", "audit", "--fail-on", "critical")  # the stored reads
    assert code == 0, err
    assert "fix: edit the key in Binance's API key management and turn withdrawals off" in out
    assert "expiry not reported by OKX" in out

    code, out, err = await cts("keys", "use", "risky", "monitor")
    assert code == 0 and "meant to monitor" in out, err
    code, out, err = await cts("keys", "audit", "--json", "--fail-on", "medium")
    assert code == 1
    risks = {c["name"]: [r["risk"] for r in c["risks"]] for c in json.loads(out)["connections"]}
    assert "excess_permissions" in risks["risky"]


def test_bad_input_is_one_line(cli, tmp_path):
    db = str(tmp_path / "none.db")
    assert "invalid choice" in one_line_error(cli("--db", db, "keys", "audit", "--fail-on", "severe"))
    assert "monitor" in one_line_error(cli("--db", db, "keys", "use", "x", "observe"))
