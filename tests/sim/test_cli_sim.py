"""`cts-tui sim` as another process runs it: one JSON line once ready, clean exit on a signal."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from cts_tui.capabilities import ExchangeId


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cts_tui", "sim", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_prints_the_json_line_serves_and_exits_cleanly(tmp_path, signum: int) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("seed: 5\nexchanges:\n  binance: {markets: 30}\n")
    with start("--port", "0", "--scenario", str(scenario)) as process:
        try:
            info = json.loads(process.stdout.readline())
            binance = info["exchanges"]["binance"]
            assert binance["accounts"][0]["api_key"] and binance["accounts"][0]["passphrase"] is None
            assert info["exchanges"]["okx"]["accounts"][0]["passphrase"]
            with urllib.request.urlopen(binance["base_url"] + "/api/v3/time", timeout=5) as response:
                assert "serverTime" in json.load(response)
            with urllib.request.urlopen(info["control_url"], timeout=5) as response:
                assert json.load(response) == info
            process.send_signal(signum)
            assert process.wait(timeout=10) == 0
            assert process.stdout.read() == "" and process.stderr.read() == ""
        finally:
            if process.poll() is None:
                process.kill()


def test_bad_scenario_is_one_line_and_exit_2(tmp_path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("exchanges:\n  binance: {faults: {outage: sometimes}}\n")
    with start("--scenario", str(scenario)) as process:
        out, err = process.communicate(timeout=20)
    assert process.returncode == 2 and out == ""
    assert err.count("\n") == 1 and "exchanges.binance.faults.outage" in err


def test_tls_prints_the_ca_file_that_its_https_is_trusted_with(tmp_path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("exchanges:\n" + "".join(f"  {name.value}: {{enabled: false}}\n" for name in ExchangeId
                                                 if name != "binance"))
    with start("--tls", "--scenario", str(scenario)) as process:
        try:
            info = json.loads(process.stdout.readline())
            binance = info["exchanges"]["binance"]
            assert binance["base_url"].startswith("https://") and binance["ws_url"].startswith("wss://")
            assert binance["hosts"]["fapi.binance.com"].startswith("https://")
            trusted = ssl.create_default_context(cafile=info["ca_file"])
            with urllib.request.urlopen(binance["base_url"] + "/api/v3/time", timeout=5, context=trusted) as response:
                assert "serverTime" in json.load(response)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
    assert not Path(info["ca_file"]).exists()  # throwaway: removed on exit
