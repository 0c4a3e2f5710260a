"""Reads everything a pseudo-terminal's child writes, in a thread, until the terminal closes:
shared by the exit tests and the TUI benchmark, which both drive the app on a real pty."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable


def start_reader(master: int, sink: Callable[[bytes], None]) -> threading.Thread:
    """Hands each chunk read from ``master`` to ``sink`` until EOF or the fd is closed."""

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            sink(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    return reader
