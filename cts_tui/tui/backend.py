"""The slice of the core that the terminal app uses, as protocols.

The app is handed these objects (Harlequin-style injection): in production the coordinator and
store from ``core.runtime.open_runtime``; in snapshot tests and the benchmark an object that
serves fixed or synthetic snapshots. Listing the surface here keeps the app honest about it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

from cts_tui.config import Config
from cts_tui.core.events import Event
from cts_tui.core.snapshots import Alert, BatchTaskView, ConnectionView, Snapshot
from cts_tui.models import BatchResult, Connection, ConnectionDraft, ConnectionPatch, TestResult


Source = Literal["tui"]
"""What the app's changes are recorded as (the core accepts other sources too)."""


class BatchJob(Protocol):
    batch_id: str
    total: int

    def cancel(self) -> None: ...

    def tasks(self) -> list[BatchTaskView]: ...

    async def result(self) -> BatchResult: ...


class AlertLog(Protocol):
    def log(self) -> Sequence[Alert]: ...


class Coordinator(Protocol):
    @property
    def config(self) -> Config: ...

    @property
    def alerts(self) -> AlertLog: ...

    def snapshot(self) -> Snapshot: ...

    def connection_model(self, connection_id: str) -> Connection: ...

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]: ...

    async def add_connection(self, draft: ConnectionDraft, source: Source) -> ConnectionView: ...

    async def update_connection(self, connection_id: str, patch: ConnectionPatch, source: Source) -> ConnectionView: ...

    async def delete_connection(self, connection_id: str, source: Source) -> Any: ...

    async def enable(self, connection_id: str, source: Source) -> ConnectionView: ...

    async def disable(self, connection_id: str, source: Source) -> ConnectionView: ...

    async def pause(self, connection_id: str, source: Source) -> ConnectionView: ...

    async def resume(self, connection_id: str, source: Source) -> ConnectionView: ...

    async def test_connection(self, connection_id: str, source: Source = ...) -> TestResult: ...

    async def test_draft(self, draft: ConnectionDraft) -> TestResult: ...

    def start_batch(self, ids: Sequence[str]) -> BatchJob: ...


class Store(Protocol):
    async def test_results(self, connection_id: str, limit: int | None = ...) -> list[TestResult]: ...
