"""The OpenAPI document and the server agree, as judged by schemathesis with every check: a real
``serve`` on loopback, every operation, positive and negative cases, a fixed seed.

The served config disables every exchange, so the connections schemathesis creates are refused
by the limiter before any request is made: the run sends nothing beyond loopback (their base
URLs, when none is given, would name the real exchanges).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from cts_tui.capabilities import ExchangeId
from cts_tui.store.store import ConnectionStore

from .test_serve import TOKEN, serving

MAX_EXAMPLES = 10
SEED = 1


async def test_schemathesis_finds_no_mismatch_between_the_document_and_the_server(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    db, config = tmp_path / "serve.db", tmp_path / "cts.yaml"
    async with await ConnectionStore.open(db, key):
        pass
    config.write_text("exchanges:\n" + "".join(f"  {e.value}: {{enabled: false}}\n" for e in ExchangeId))
    env = {"CTS_MASTER_KEY": key, "CTS_API_TOKEN": TOKEN}
    async with serving("--db", str(db), "--config", str(config), env=env) as served:
        run = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "schemathesis.cli", "run", f"{served.url}/openapi.json",
            "--checks", "all", "--header", f"Authorization: Bearer {TOKEN}",
            "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--workers", "1",
            "--no-color", "--generation-database", "none",
            cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        report = (await asyncio.wait_for(run.communicate(), 300))[0].decode()
    assert run.returncode == 0, report[-6000:]
    assert "Traceback" not in served.errors.decode()
