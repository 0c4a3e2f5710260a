"""``cts-tui`` (and ``cts-tui --demo``), the command without a subcommand: build the runtime, run
the terminal app on the same loop, and leave the terminal clean however the session ends (q,
ctrl+c, SIGTERM, or a dropped SSH link).

The runtime, the app and the demo load when the command runs, not when ``cts-tui`` starts: they
bring ccxt and Textual, which ``cts-tui --version`` and the other commands do without.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from cts_tui import paths
from cts_tui.capabilities import ExchangeId
from cts_tui.cli.context import config_from_args, db_path_from_args, watched_config_path
from cts_tui.errors import ScrubbingFilter

if TYPE_CHECKING:
    from cts_tui.core.runtime import Runtime

EXIT_SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)
"""SIGHUP: the terminal is gone (SSH dropped); the app exits instead of reloading the config."""


def run_tui(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    """The store opens before the app owns the terminal, so that what it has to say (a new key
    file to back up, why it cannot open) reaches stderr in one line and not the log file. Log
    lines keep going to the file until the runtime has closed: what its parts say while they
    stop (a pause the demo's maintenance caused) would otherwise land in the user's shell after
    the app gave the terminal back."""
    from cts_tui.tui.app import CtsApp

    with contextlib.ExitStack() as logs:
        async with _runtime(args) as (runtime, hosts):
            app = CtsApp(runtime.coordinator, runtime.store, demo=bool(args.demo), hosts=hosts,
                         freeze_startup_objects=True, preferences_path=paths.preferences_path())
            loop = asyncio.get_running_loop()
            for sig in EXIT_SIGNALS:
                loop.add_signal_handler(sig, app.exit)
            try:
                logs.enter_context(_logging_to_file(paths.data_dir() / "cts-tui.log"))
                await app.run_async()
            finally:
                for sig in EXIT_SIGNALS:
                    loop.remove_signal_handler(sig)
    return app.return_code or 0


@contextlib.asynccontextmanager
async def _runtime(args: argparse.Namespace) -> AsyncIterator[tuple[Runtime, dict[ExchangeId, dict[str, str]]]]:
    """The user's store and config, or the demo's simulator world with its activity running;
    with the host maps a new connection starts from (the demo's: its simulator's)."""
    from cts_tui.core.runtime import open_runtime

    if not args.demo:
        db_path = db_path_from_args(args, use="first-run")
        async with open_runtime(config_from_args(args), db_path, kind="tui",
                                config_path=watched_config_path(args)) as runtime:
            yield runtime, {}
        return
    from cts_tui.demo import demo_environment

    async with demo_environment() as demo:
        async with open_runtime(demo.config, demo.db_path, master_key=demo.master_key, kind="tui") as runtime:
            async with demo.activity(runtime):
                yield runtime, demo.hosts()


@contextlib.contextmanager
def _logging_to_file(path: Path) -> Iterator[None]:
    """While the app owns the terminal, log lines go to a file: a warning printed on stderr
    would tear through the screen."""
    root = logging.getLogger()
    saved = root.handlers[:]
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubbingFilter())
    root.handlers = [handler]
    try:
        yield
    finally:
        root.handlers = saved
        handler.close()
