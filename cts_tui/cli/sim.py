"""`cts-tui sim`: the exchange simulator as a process, for the demo and for other machines' tests.

Prints one JSON line once every listener is up (the contract other processes parse: per exchange
its `base_url`, `ws_url`, `hosts` and accounts; `ca_file` with `--tls`), then serves until SIGINT
or SIGTERM and closes its listeners before exiting 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from cts_tui.errors import CtsError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sim", help="run the exchange simulator")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="control port (default: any free port)")
    parser.add_argument("--scenario", type=Path, help="scenario YAML (markets, accounts, limits, faults)")
    parser.add_argument("--tls", action="store_true",
                        help="serve HTTPS and WSS with a throwaway CA (its file is `ca_file` in the JSON line)")
    parser.set_defaults(func=run_sim)


async def run_sim(args: argparse.Namespace) -> int:
    from cts_tui.sim import Scenario, ScenarioError, Simulator

    try:
        scenario = Scenario.from_yaml(args.scenario) if args.scenario else Scenario()
    except ScenarioError as exc:
        raise CtsError(str(exc)) from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with Simulator(scenario, host=args.host, port=args.port, tls=args.tls) as sim:
            sys.stdout.write(json.dumps(sim.info()) + "\n")
            sys.stdout.flush()
            await stop.wait()
    except OSError as exc:
        raise CtsError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    return 0
