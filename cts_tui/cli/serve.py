"""``cts-tui serve``: the coordinator headless, behind the REST API.

Listens on 127.0.0.1 unless told otherwise. SIGTERM (or SIGINT) stops accepting connections,
lets requests in flight finish (up to the drain time), closes the coordinator and exits 0.

The REST stack (aiohttp's server, ccxt through the stream views) is imported when `serve` runs,
not when the parser is built: every other command would otherwise start ~0.6 s later.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cts_tui.cli.context import db_path_from_args, watched_config_path
from cts_tui.config import Config, load_config
from cts_tui.errors import CtsError
from cts_tui.store.secrets import MasterKey

if TYPE_CHECKING:
    from cts_tui.api.server import ApiServer
    from cts_tui.api.token import ApiToken
    from cts_tui.demo import DemoEnvironment

DRAIN_S = 10.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run headless behind the REST API (and /metrics)")
    parser.add_argument("--host", help="address to listen on (default: api.host, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: api.port, 8000; 0 picks a free one)")
    parser.add_argument("--demo", dest="serve_demo", action="store_true",
                        help="serve the built-in demo: simulator, throwaway store and live faults")
    parser.set_defaults(func=run_serve)


@dataclass(frozen=True)
class _Inputs:
    config: Config
    db_path: Path
    master_key: MasterKey | None
    config_path: Path | None  # reloaded on change and on SIGHUP


@contextlib.asynccontextmanager
async def _inputs(args: argparse.Namespace) -> AsyncIterator[tuple[_Inputs, DemoEnvironment | None]]:
    """The config, store and key to run on: the user's, or the demo's (with its activity)."""
    if args.demo or args.serve_demo:
        from cts_tui.demo import demo_environment

        async with demo_environment() as demo:
            yield _Inputs(demo.config, demo.db_path, demo.master_key, None), demo
    else:
        config = load_config(args.config)
        db_path = db_path_from_args(args, use="first-run")
        yield _Inputs(config, db_path, None, watched_config_path(args)), None


def _announce(server: ApiServer, token: ApiToken, host: str, demo: bool) -> None:
    """The token first, the ready line last (scripts wait for "serving on")."""
    from cts_tui.api.server import is_loopback

    if token.source == "ephemeral":
        print(f"API token (this run only): {token.value}", flush=True)
    elif token.created:
        print(f"API token (shown once; stored in {token.path}): {token.value}", flush=True)
    elif token.path is not None:
        print(f"API token: in {token.path}", flush=True)
    if not is_loopback(host):
        print(f"cts-tui: listening on {host}, reachable from the network", file=sys.stderr, flush=True)
    print(f"cts-tui serving on {server.url}{' (demo)' if demo else ''}", flush=True)


async def run_serve(args: argparse.Namespace) -> int:
    from cts_tui.api.app import create_app
    from cts_tui.api.server import ApiServer
    from cts_tui.api.state import ApiState
    from cts_tui.api.token import resolve_api_token
    from cts_tui.core.runtime import open_runtime

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with _inputs(args) as (inputs, demo):
            config = inputs.config
            host = args.host or config.api.host
            port = config.api.port if args.port is None else args.port
            token = resolve_api_token(config, ephemeral=demo is not None)
            async with open_runtime(
                config, inputs.db_path, master_key=inputs.master_key, config_path=inputs.config_path, kind="serve"
            ) as runtime:
                activity = demo.activity(runtime) if demo is not None else contextlib.nullcontext()
                async with activity:
                    server = ApiServer(create_app(ApiState(runtime, token.value)), host, port, DRAIN_S)
                    try:
                        await server.start()
                    except OSError as exc:
                        raise CtsError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
                    try:
                        _announce(server, token, host, demo is not None)
                        await stop.wait()
                    finally:
                        await server.stop()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return 0
