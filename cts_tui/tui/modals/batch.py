"""Batch test: choose the set (marked, filtered, all), then watch every task: running ones first
(and what each waits for: a batch slot, its exchange's slots, its rate-limit budget), then queued
ones, then results as they arrive, with a progress bar, a summary at the end, and cancel.

A batch that sits at 67% must say what the rest are doing: the table is drawn from the jobs'
``tasks()`` on a steady timer that reads memory only, so a task's wait shows while it lasts.

The coordinator takes at most ``batch.max_per_request`` connections per batch; a larger set runs
as consecutive batches behind one table, one progress bar and one summary, and cancel stops them
all. Connections of the batches not started yet are listed as queued from the start.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Footer, Label, ProgressBar, RadioButton, RadioSet, Static

from cts_tui.core.snapshots import BatchTaskView, ConnectionView
from cts_tui.errors import CtsError
from cts_tui.models import BatchResult, TestResult
from cts_tui.tui import format as fmt
from cts_tui.tui.backend import BatchJob
from cts_tui.tui.host import BatchSets, host
from cts_tui.tui.widgets.column_layout import drop, shrink
from cts_tui.tui.widgets.keyed_table import Column, KeyedTable, plain

REFRESH_S = 0.5
"""How often the open modal redraws its tasks: a wait counts up visibly, and reading the jobs'
state (in memory, at most ``batch.max_per_request`` tasks each) costs next to nothing."""


def summary_text(result: BatchResult, *, cancelled: bool) -> Text:
    text = Text()
    text.append("Cancelled: " if cancelled else "Done: ", style="bold")
    text.append(f"{result.successful} successful", style="green")
    text.append(", ")
    text.append(f"{result.failed} failed", style="red" if result.failed else "")
    text.append(f" of {result.total_connections} in {result.duration_ms / 1000:.1f} s")
    return text


def progress_text(tasks: Sequence[BatchTaskView]) -> Text:
    """Where the batch stands, in one line: how many run (and wait for a budget), queue, are done."""
    running = sum(t.status == "running" for t in tasks)
    waiting = sum(t.waiting for t in tasks)
    queued = sum(t.status == "queued" for t in tasks)
    done = len(tasks) - running - queued
    text = Text(f"{running} running", style="bold" if running else "dim")
    if waiting:
        text.append(f" ({waiting} waiting for a rate-limit budget)", style="yellow")
    text.append(f" · {queued} queued · {done} of {len(tasks)} done", style="dim")
    return text


def chunks(ids: Sequence[str], size: int) -> list[list[str]]:
    """Consecutive runs of at most ``size`` ids, in the order chosen."""
    return [list(ids[start:start + size]) for start in range(0, len(ids), size)]


@dataclass(frozen=True, slots=True)
class TaskRow:
    """A task as the table lists it: with the connection's name, which the batch does not know."""

    name: str
    task: BatchTaskView

    @property
    def id(self) -> str:
        return self.task.connection_id


Parts = tuple[tuple[str, str], ...]
"""A cell as (text, style) pieces: comparable, so the table re-renders it only when it changed."""


def _mark(row: TaskRow, _now: datetime) -> Parts:
    task, result = row.task, row.task.result
    if task.status == "queued":
        return (("·", "dim"),)
    if task.status == "running":
        return (("◌", "yellow"),) if task.waiting else (("●", "cyan"),)
    return (("✔", "green"),) if result is not None and result.success else (("✖", "red"),)


def _detail(row: TaskRow, _now: datetime) -> Parts:
    """What the task is doing or waiting for, or what it found: the status in words first."""
    task, result = row.task, row.task.result
    if task.status == "queued":
        return ((f"queued: {task.reason}", "dim"),)
    if result is None:
        return ((task.reason, "yellow" if task.waiting else ""),)
    if result.success:
        balance = f", balance {result.balance:,.2f} {result.quote}" if result.balance is not None else ""
        return (("ok", "green"), (balance, ""))
    if result.error_kind is None:
        return ((result.error or "failed", "red"),)
    return ((result.error_kind.value, "red"), (f": {result.error}" if result.error else "", ""))


def _elapsed(row: TaskRow, _now: datetime) -> tuple[float, bool]:
    return row.task.elapsed_s, row.task.status == "queued"


def _parts_cell(value: Parts, _width: int) -> Text:
    return Text.assemble(*value, no_wrap=True, overflow="ellipsis")


def _elapsed_cell(value: tuple[float, bool], _width: int) -> Text:
    seconds, queued = value
    shown = fmt.ms_text(seconds * 1000)
    return Text(shown.plain, style="dim") if queued else shown


class BatchTasksTable(KeyedTable[TaskRow]):
    """Every task of the batch in the order the jobs list them (no sorting: running first)."""

    COLUMNS = (
        Column("name", "Name", 15, 15, lambda r, _: r.name, plain, text=lambda r: r.name),
        Column("exchange", "Exchange", 8, None, lambda r, _: r.task.exchange.value, plain),
        Column("mark", "", 1, 1, _mark, _parts_cell),
        Column("elapsed", "Time", 6, None, _elapsed, _elapsed_cell, align="right"),
        Column("detail", "Status", 51, 36, _detail, _parts_cell),
    )
    GIVE_WAY = (drop("exchange"), drop("elapsed"), shrink("detail"))


class BatchScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel / close")]
    CSS = """
    #batch {
        width: 110;  /* room for why a task waits beside its name, exchange and time */
    }
    """

    class Finished(Message):
        def __init__(self, result: BatchResult | None, cancelled: bool, error: str | None = None) -> None:
            super().__init__()
            self.result = result
            self.cancelled = cancelled
            self.error = error

    def __init__(self, sets: BatchSets) -> None:
        super().__init__()
        self.sets = sets
        self.job: BatchJob | None = None
        """The batch running now (one of several when the set is larger than a batch may be)."""
        self.jobs: list[BatchJob] = []
        self.running = False
        self.cancel_requested = False
        self.finished = False
        self._connections: dict[str, ConnectionView] = {}
        self._later: list[str] = []
        """Chosen connections whose batch has not been submitted yet."""
        self._not_run: dict[str, TestResult] = {}
        """Those whose batch never started (cancelled, or an earlier batch could not start)."""
        self._started = 0.0
        self._ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="batch"):
            yield Label("Batch test", id="batch-title")
            with RadioSet(id="batch-set"):
                for key, label, ids in self.sets.choices():
                    yield RadioButton(f"{label} ({len(ids)})", value=key == self.sets.default,
                                      disabled=not ids, name=key)
            yield ProgressBar(id="batch-progress", show_eta=False)
            yield BatchTasksTable(id="batch-results")
            yield Static(id="batch-summary")
            with Horizontal(classes="buttons"):
                yield Button("Start", variant="primary", id="start")
                yield Button("Cancel esc", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#batch-progress").display = False
        self.query_one(BatchTasksTable).display = False
        self.query_one("#start", Button).focus()

    @property
    def chosen(self) -> list[str]:
        pressed = self.query_one(RadioSet).pressed_button
        name = pressed.name if pressed is not None else self.sets.default
        return next(ids for key, _, ids in self.sets.choices() if key == name)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "start":
            self.start()
        else:
            self.action_cancel()

    def start(self) -> None:
        ids = self.chosen
        if self.running or not ids:
            return
        self.running = True
        self._started = time.monotonic()
        wanted = set(ids)
        views = frame.snapshot.connections if (frame := host(self).frame) else ()
        self._connections = {c.id: c for c in views if c.id in wanted}
        self._later = list(ids)
        self.query_one(RadioSet).disabled = True
        self.query_one("#start", Button).disabled = True
        self.query_one("#batch-progress", ProgressBar).update(total=len(ids), progress=0)
        self.query_one("#batch-progress").display = True
        self.query_one(BatchTasksTable).display = True
        self.query_one("#cancel", Button).focus()
        self.show_tasks()
        self._ticker = self.set_interval(REFRESH_S, self.show_tasks)
        self._run(chunks(ids, host(self).config.batch.max_per_request))

    @work(group="batch")
    async def _run(self, batches: list[list[str]]) -> None:
        """One batch after another; what every batch found is summed into one result."""
        started = time.monotonic()
        results: dict[str, TestResult] = {}
        error: str | None = None
        for ids in batches:
            if self.cancel_requested:
                break
            try:
                self.job = host(self).coordinator.start_batch(ids)
            except CtsError as exc:
                error = str(exc)
                break
            self.jobs.append(self.job)
            self._later = self._later[len(ids):]
            results.update((await self.job.result()).results)
        # Reported like the tasks a cancelled batch drops from its queue: failed, with the reason.
        self._not_run = {cid: TestResult(connection_id=cid, success=False, error=error or "cancelled")
                         for cid in self._later}
        self._later = []
        if error is not None:
            self.post_message(self.Finished(None, False, error))
            return
        results.update(self._not_run)
        total = BatchResult.of(results, int((time.monotonic() - started) * 1000))
        self.post_message(self.Finished(total, self.cancel_requested))

    def tasks(self) -> list[BatchTaskView]:
        """Every chosen connection's task: unfinished ones (running, queued, in a later batch),
        then the finished ones, latest first, then those a cancel kept from running."""
        listed = [task for job in reversed(self.jobs) for task in job.tasks()]
        since_start = time.monotonic() - self._started
        limit = host(self).config.batch.max_per_request
        later = [BatchTaskView(cid, self._connections[cid].exchange, "queued",
                               f"in a later batch (at most {limit} per batch)", since_start)
                 for cid in self._later if cid in self._connections]
        not_run = [BatchTaskView(cid, self._connections[cid].exchange, "done", result.error or "", 0.0, result=result)
                   for cid, result in self._not_run.items() if cid in self._connections]
        return ([t for t in listed if t.status != "done"] + later
                + [t for t in listed if t.status == "done"] + not_run)

    def show_tasks(self) -> None:
        tasks = self.tasks()
        rows = [TaskRow(self._connection_name(task.connection_id), task) for task in tasks]
        table = self.query_one(BatchTasksTable)
        # Left at the top, the cursor stays there (on whatever runs first now) rather than follow
        # the first task down into the results once it is done.
        keep = rows[0].id if rows and table.cursor_row == 0 else None
        table.show(rows, host(self).clock(), keep=keep)
        done = sum(task.status == "done" for task in tasks)
        self.query_one("#batch-progress", ProgressBar).update(progress=done)
        if not self.finished and not self.cancel_requested:
            self.query_one("#batch-summary", Static).update(progress_text(tasks))

    def _connection_name(self, connection_id: str) -> str:
        view = self._connections.get(connection_id)
        return view.name if view is not None else connection_id

    def on_batch_screen_finished(self, message: Finished) -> None:
        if self.finished:
            return
        self.finished = True
        if self._ticker is not None:
            self._ticker.stop()
        self.show_tasks()
        self.query_one("#cancel", Button).label = "Close esc"
        if message.result is None:
            self.query_one("#batch-summary", Static).update(Text(message.error or "failed", style="bold red"))
            return
        self.query_one("#batch-summary", Static).update(summary_text(message.result, cancelled=message.cancelled))
        host(self).refresh_now(force=True)

    def action_cancel(self) -> None:
        if self.running and not self.finished:
            self.cancel_requested = True
            if self.job is not None:
                self.job.cancel()
            self.query_one("#batch-summary", Static).update(Text("Cancelling…", style="yellow"))
            return
        self.dismiss(None)
