"""Entry point of ``cts-tui``: global options, command dispatch, and the exit-code contract.

Exit codes: 0 ok, 1 an operation failed, 2 bad input, config or store. A user error prints one
line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, NoReturn

from cts_tui import __version__
from cts_tui.cli import config_cmd, conn, keys, serve, sim, terminal
from cts_tui.errors import CtsError, install_log_scrubbing, scrub

COMMAND_MODULES = (conn, config_cmd, keys, sim, serve)
"""Command groups, each with ``register(subparsers)``. They import what is heavy (ccxt, Textual,
aiohttp) when a command runs, so that ``cts-tui --version`` and ``--help`` start at once."""


class UsageError(CtsError):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's own is two lines plus usage
        raise UsageError(_without_values(message))


def _without_values(message: str) -> str:
    """Name only the options of "unrecognized arguments": the values could be secrets typed
    where they do not belong (``conn add --api-key ...``)."""
    prefix = "unrecognized arguments:"
    if not message.startswith(prefix):
        return message
    options = [word.split("=", 1)[0] for word in message[len(prefix) :].split() if word.startswith("-")]
    return f"{prefix} {' '.join(options) if options else '(values not shown)'}"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cts-tui", description="Manage and watch crypto-exchange API connections.")
    parser.add_argument("--version", action="version", version=f"cts-tui {__version__}")
    parser.add_argument("--db", type=Path, help="connection store (env CTS_DB)")
    parser.add_argument("--config", type=Path, help="config file (env CTS_CONFIG)")
    parser.add_argument("--demo", action="store_true", help="run against the built-in simulator")
    parser.add_argument("--log-level", default=os.environ.get("CTS_LOG_LEVEL", "WARNING"))
    subparsers = parser.add_subparsers(dest="command", parser_class=_Parser)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    parser.set_defaults(func=terminal.run_tui)
    return parser


def run_command(
    func: Callable[[argparse.Namespace], int | None | Coroutine[Any, Any, int | None]], args: argparse.Namespace
) -> int:
    result = func(args)
    if isinstance(result, Coroutine):
        result = asyncio.run(result)
    return int(result or 0)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    install_log_scrubbing()
    try:
        args = build_parser().parse_args(argv)
        logging.getLogger().setLevel(str(args.log_level).upper())
        return run_command(args.func, args)
    except CtsError as exc:
        print(f"cts-tui: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: one line, scrubbed, no traceback
        logging.getLogger("cts_tui").debug("unexpected error", exc_info=True)
        print(f"cts-tui: unexpected error: {scrub(str(exc)) or exc.__class__.__name__}", file=sys.stderr)
        return 1
