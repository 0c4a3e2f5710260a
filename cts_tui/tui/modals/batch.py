"""Batch test: choose the set (marked, filtered, all), then watch each result arrive, with a
progress bar, a summary at the end, and cancel.

The coordinator takes at most ``batch.max_per_request`` connections per batch; a larger set runs
as consecutive batches behind one progress bar and one summary, and cancel stops them all.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, ProgressBar, RadioButton, RadioSet, Static

from cts_tui.core.events import BatchProgress, Event
from cts_tui.errors import CtsError
from cts_tui.models import BatchResult, TestResult
from cts_tui.tui.backend import BatchJob


@dataclass(frozen=True, slots=True)
class BatchSets:
    marked: list[str]
    filtered: list[str]
    all: list[str]

    def choices(self) -> list[tuple[str, str, list[str]]]:
        return [("marked", "Marked", self.marked), ("filtered", "Filtered", self.filtered),
                ("all", "All", self.all)]

    @property
    def default(self) -> str:
        return "marked" if self.marked else "filtered" if self.filtered else "all"


def summary_text(result: BatchResult, *, cancelled: bool) -> Text:
    text = Text()
    text.append("Cancelled: " if cancelled else "Done: ", style="bold")
    text.append(f"{result.successful} successful", style="green")
    text.append(", ")
    text.append(f"{result.failed} failed", style="red" if result.failed else "")
    text.append(f" of {result.total_connections} in {result.duration_ms / 1000:.1f} s")
    return text


def chunks(ids: Sequence[str], size: int) -> list[list[str]]:
    """Consecutive runs of at most ``size`` ids, in the order chosen."""
    return [list(ids[start:start + size]) for start in range(0, len(ids), size)]


class BatchScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel / close")]

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
        self.running = False
        self.cancel_requested = False
        self.finished = False
        self._reported: set[str] = set()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="batch"):
            yield Label("Batch test", id="batch-title")
            with RadioSet(id="batch-set"):
                for key, label, ids in self.sets.choices():
                    yield RadioButton(f"{label} ({len(ids)})", value=key == self.sets.default,
                                      disabled=not ids, name=key)
            yield ProgressBar(id="batch-progress", show_eta=False)
            yield DataTable(id="batch-results", cursor_type="row", zebra_stripes=True)
            yield Static(id="batch-summary")
            with Horizontal(classes="buttons"):
                yield Button("Start", variant="primary", id="start")
                yield Button("Cancel esc", id="cancel")

    def on_mount(self) -> None:
        table = self.query_one("#batch-results", DataTable)
        table.add_column("Name", width=16, key="name")
        table.add_column("Exchange", width=8, key="exchange")
        table.add_column("Result", width=9, key="result")
        table.add_column("Detail", width=22, key="detail")
        table.add_column("ms", width=6, key="ms")
        self.query_one("#batch-progress").display = False
        table.display = False
        self.query_one("#start", Button).focus()
        self.app.core_events.subscribe(self, self._core_event_arrived)

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
        self.query_one(RadioSet).disabled = True
        self.query_one("#start", Button).disabled = True
        progress = self.query_one("#batch-progress", ProgressBar)
        progress.update(total=len(ids), progress=0)
        progress.display = True
        self.query_one("#batch-results", DataTable).display = True
        self.query_one("#batch-summary", Static).update(Text(f"Testing {len(ids)} connections…", style="dim"))
        self.query_one("#cancel", Button).focus()
        self._run(chunks(ids, self.app.config.batch.max_per_request))

    @work(group="batch")
    async def _run(self, batches: list[list[str]]) -> None:
        """One batch after another; what every batch found is summed into one result."""
        started = time.monotonic()
        results: dict[str, TestResult] = {}
        for ids in batches:
            if self.cancel_requested:
                break
            try:
                self.job = self.app.coordinator.start_batch(ids)
                batch = await self.job.result()
            except CtsError as exc:
                self.post_message(self.Finished(None, False, str(exc)))
                return
            results.update(batch.results)
        total = BatchResult.of(results, int((time.monotonic() - started) * 1000))
        self.post_message(self.Finished(total, len(results) < sum(map(len, batches))))

    def _core_event_arrived(self, event: Event) -> None:
        if self.job is not None and isinstance(event, BatchProgress) and event.batch_id == self.job.batch_id:
            self._add_result(event.result)

    def _add_result(self, result: TestResult) -> None:
        if result.connection_id in self._reported:
            return
        self._reported.add(result.connection_id)
        snapshot = self.app.frame.snapshot if self.app.frame else None
        view = snapshot.connection(result.connection_id) if snapshot else None
        if result.success:
            outcome = Text("✔ ok", style="green")
            detail = Text(f"balance {result.balance:,.2f} {result.quote}" if result.balance is not None else "")
        else:
            outcome = Text(f"✖ {result.error_kind.value if result.error_kind else 'failed'}", style="red")
            detail = Text(result.error or "", overflow="ellipsis", no_wrap=True)
        table = self.query_one("#batch-results", DataTable)
        table.add_row(view.name if view else result.connection_id, view.exchange.value if view else "",
                      outcome, detail, Text(str(result.duration_ms), justify="right"), key=result.connection_id)
        table.move_cursor(row=table.row_count - 1)
        self.query_one("#batch-progress", ProgressBar).update(progress=len(self._reported))

    def on_batch_screen_finished(self, message: Finished) -> None:
        if message.result is None:
            self.finished = True
            self.query_one("#batch-summary", Static).update(Text(message.error or "failed", style="bold red"))
            self.query_one("#cancel", Button).label = "Close esc"
            return
        self._finish(message.result, message.cancelled)

    def _finish(self, result: BatchResult, cancelled: bool) -> None:
        if self.finished:
            return
        self.finished = True
        for test in result.results.values():
            self._add_result(test)
        self.query_one("#batch-summary", Static).update(summary_text(result, cancelled=cancelled))
        self.query_one("#cancel", Button).label = "Close esc"
        self.app.refresh_now(force=True)

    def action_cancel(self) -> None:
        if self.running and not self.finished:
            self.cancel_requested = True
            if self.job is not None:
                self.job.cancel()
            self.query_one("#batch-summary", Static).update(Text("Cancelling…", style="yellow"))
            return
        self.dismiss(None)
