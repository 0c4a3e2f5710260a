"""1,000 connections refreshed every second: the app's CPU and key-press-to-screen latency.

The app runs in a child process on a real pseudo-terminal (120x36), fed by a coordinator
stand-in that pushes a new snapshot every second in which every row changed (pre-built, so the
child's CPU is the app's). The parent drains the terminal, reads the child's CPU time from
/proc, and times key presses until the bytes of the updated screen arrive.

Side by side: the app's virtual table (cells built only for the rows in view) versus the same
table building every row's cells on every refresh, as a table widget holding all rows does.
Targets: CPU <= 10 % of one core; key press to updated screen <= 100 ms.

    python benchmarks/tui_refresh.py
"""

from __future__ import annotations

import fcntl
import os
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # measure this tree, whatever is installed

from tests.pty_reader import start_reader  # noqa: E402

CONNECTIONS = int(os.environ.get("CTS_BENCH_CONNECTIONS", "1000"))
CPU_WINDOW_S = float(os.environ.get("CTS_BENCH_CPU_S", "10"))
PRESSES = 20
COLS, ROWS = 120, 36


# --- the child: the app on 1,000 changing connections -------------------------------------------


def child(mode: str) -> None:
    from tests.tui.static_backend import FIXED_NOW, StaticCoordinator, StaticStore, make_snapshot
    from cts_tui.tui.app import CtsApp
    from cts_tui.tui.widgets.keyed_table import KeyedTable

    if mode == "eager":
        lazy_show = KeyedTable.show

        def eager_show(self, items, now, *, keep=None):  # every row's cells built on every refresh
            lazy_show(self, items, now, keep=keep)
            for key in self.shown_keys:
                self._row(key, now)

        KeyedTable.show = eager_show

    coordinator = StaticCoordinator(CONNECTIONS, alerts=False)
    frames = [make_snapshot(CONNECTIONS, seed=seed, now=FIXED_NOW, config=coordinator.config) for seed in range(8)]

    class BenchApp(CtsApp):
        def on_mount(self) -> None:
            super().on_mount()
            self._tick_index = 0
            self.set_interval(1.0, self._push)

        def _push(self) -> None:
            self._tick_index += 1
            coordinator.push(frames[self._tick_index % len(frames)])

    BenchApp(coordinator, StaticStore(), freeze_startup_objects=True).run()  # as cts-tui runs it


# --- the parent: a terminal, a stopwatch, /proc ------------------------------------------------


class Terminal:
    def __init__(self, mode: str) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--child", mode], stdin=slave, stdout=slave, stderr=slave,
            env=env, start_new_session=True, close_fds=True,
        )
        os.close(slave)
        self.master = master
        self.chunks: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()
        self.reader = start_reader(master, self._keep)

    def _keep(self, data: bytes) -> None:
        with self.lock:
            self.chunks.append((time.perf_counter(), data))

    def wait_for(self, needle: bytes, since: float, timeout: float = 10.0) -> float:
        """Seconds from ``since`` until output containing ``needle`` arrived."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self.lock:
                after = [(at, data) for at, data in self.chunks if at >= since]
            seen = b""
            for at, data in after:  # the needle may straddle two reads
                seen = seen[-len(needle):] + data
                if needle in seen:
                    return at - since
            time.sleep(0.002)
        with self.lock:
            tail = b"".join(data for _, data in self.chunks)[-600:]
        raise TimeoutError(f"{needle!r} not seen; the terminal last showed {tail!r}")

    def press(self, key: bytes) -> float:
        sent = time.perf_counter()
        os.write(self.master, key)
        return sent

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        os.write(self.master, b"q")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


def measure(mode: str) -> tuple[float, list[float]]:
    terminal = Terminal(mode)
    try:
        terminal.wait_for("Name ▲".encode(), 0.0, timeout=30)
        time.sleep(2.0)  # let startup settle
        cpu0, wall0 = terminal.cpu_seconds(), time.perf_counter()
        time.sleep(CPU_WINDOW_S)
        cpu = (terminal.cpu_seconds() - cpu0) / (time.perf_counter() - wall0) * 100
        latencies = []
        for press in range(PRESSES):
            arrow = "▼" if press % 2 == 0 else "▲"  # S reverses the sort: the header's arrow flips
            sent = terminal.press(b"S")
            latencies.append(terminal.wait_for(f"Name {arrow}".encode(), sent) * 1000)
            time.sleep(0.15)
        return cpu, latencies
    finally:
        terminal.close()


def main() -> None:
    print(f"{CONNECTIONS} connections, every row changing every second, {COLS}x{ROWS} terminal")
    print(f"{'cells built for':<22}{'CPU % of one core':>20}{'key→screen p50 ms':>20}{'p95 ms':>9}{'max ms':>9}")
    for mode, label in (("virtual", "rows in view (the app)"), ("eager", "every row")):
        cpu, latencies = measure(mode)
        ordered = sorted(latencies)
        p95 = ordered[int(len(ordered) * 0.95) - 1]
        print(f"{label:<22}{cpu:>20.1f}{statistics.median(latencies):>20.1f}{p95:>9.1f}{max(latencies):>9.1f}")
    print("targets: CPU <= 10 %, key press to updated screen <= 100 ms")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
