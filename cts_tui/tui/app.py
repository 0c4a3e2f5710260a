"""The Textual application: owns the refresh clock and the bridge from core events to widgets.

The coordinator and the store are injected (they run on this same asyncio loop). The app never
polls in a worker: snapshots pushed by the coordinator are kept as "pending" and rendered on the
next tick of a one-shot timer that re-arms itself after each render, so a slow render can only
delay the next one, never pile renders up. Screens subscribe to the ``frames`` signal.

When the app owns the process (``cts-tui``), what exists once the first screen is drawn (ccxt's
and Textual's modules, markets, widgets) is frozen out of the cycle collector: a full collection
over it paused the screen for 100-150 ms every few seconds, the slowest key presses measured.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer

from cts_tui.config import Config
from cts_tui.core.events import (
    ConfigReloaded,
    ConnectionsChanged,
    Event,
    SnapshotReady,
    StateChanged,
    StoreProblem,
)
from cts_tui.core.snapshots import ConnectionView, Snapshot
from cts_tui.errors import CtsError
from cts_tui.models import ConnectionState, ExchangeId
from cts_tui.tui import preferences
from cts_tui.tui.actions import ACTIONS, Scope, bindings
from cts_tui.tui.backend import Coordinator, Store
from cts_tui.tui.host import BatchSets, Host
from cts_tui.tui.messages import CoreEvent, Frame, OperationDone, TestCompleted
from cts_tui.tui.preferences import Preferences, TableSort
from cts_tui.tui.widgets.keyed_table import KeyedTable

MIN_INTERVAL_S = 0.25
MAX_INTERVAL_S = 60.0
INTERVAL_STEPS = (MIN_INTERVAL_S, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, MAX_INTERVAL_S)
"""What + and - step through: round figures whatever the configured start (halving and doubling
from the 60 s ceiling gave "live 0.46875s")."""
EARLY_REFRESH_S = 0.1
"""How soon a state change is shown: changes inside this window are drawn together."""

FOCUS_KEYS = [
    Binding("tab", "focus_next", show=False, priority=True),
    Binding("shift+tab", "focus_previous", show=False, priority=True),
]
"""Tab moves the focus as the app reads the key, not once the focused widget has handled it
(Textual's default): keys typed in one burst (a password manager's auto-type: name, Tab, key,
Tab, secret) are forwarded as they are read, and would otherwise all land in the first field."""

COPY_NOTICE_CHARS = 40
CHANGES_SHOWN = 6
"""Settings a reload notice names; more are counted."""

THEME_CYCLE = ("textual-dark", "ansi-dark", "textual-light", "ansi-light", "nord", "gruvbox")


def _within_steps(interval_s: float) -> float:
    return min(MAX_INTERVAL_S, max(MIN_INTERVAL_S, interval_s))


def _utcnow() -> datetime:
    return datetime.now(UTC)


class CtsApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "cts-tui"
    BINDINGS = [*bindings(Scope.APP), *FOCUS_KEYS]

    paused: reactive[bool] = reactive(False)
    refresh_interval: reactive[float] = reactive(1.0)

    def __init__(
        self,
        coordinator: Coordinator,
        store: Store,
        *,
        config: Config | None = None,
        clock: Callable[[], datetime] = _utcnow,
        demo: bool = False,
        hosts: Mapping[ExchangeId, Mapping[str, str]] | None = None,
        freeze_startup_objects: bool = False,
        preferences_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.coordinator = coordinator
        self.store = store
        self.config = config or coordinator.config
        self.clock = clock
        self.demo = demo
        self.hosts: Mapping[ExchangeId, Mapping[str, str]] = hosts or {}
        """Where a new connection to each exchange points unless told otherwise: {real host:
        local URL} per exchange (the demo's simulator); empty: the exchanges' own hosts."""
        self.freeze_startup_objects = freeze_startup_objects
        self.frames: Signal[Frame] = Signal(self, "frames")
        self.core_events: Signal[Event] = Signal(self, "core-events")
        self.frame: Frame | None = None
        self._pending: Snapshot | None = None
        self._tick_timer: Timer | None = None
        self._early_timer: Timer | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.preferences_path = preferences_path
        """Where habits are kept between runs (None: nothing is remembered, as in tests)."""
        self.preferences = preferences.load(preferences_path) if preferences_path else Preferences()
        self._remembering = False
        """Off while the start applies config and preferences: only the user's changes are saved."""
        interval = self.preferences.refresh_interval_s or self.config.ui.refresh_interval_s
        self.set_reactive(CtsApp.refresh_interval, _within_steps(interval))

    # --- lifecycle ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        for theme in (self.preferences.theme, self.config.ui.theme):
            if theme in self.available_themes:
                self.theme = theme
                break
        self._remembering = True
        from cts_tui.tui.screens.main import MainScreen

        self._unsubscribe = self.coordinator.subscribe(self._core_event_arrived)
        self.frame = Frame(self.coordinator.snapshot(), self.clock())
        self.push_screen(MainScreen())
        self._tick_timer = self.set_timer(self.refresh_interval, self._tick)
        if self.freeze_startup_objects:
            self.call_after_refresh(gc.freeze)


    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # --- the refresh clock ----------------------------------------------------------------------

    def _core_event_arrived(self, event: Event) -> None:
        """Runs on the coordinator's side of the loop: keep it to a store or a post."""
        if isinstance(event, SnapshotReady):
            self._pending = event.snapshot
        else:
            self.post_message(CoreEvent(event))

    def _tick(self) -> None:
        if not self.paused:
            self._render_frame(self._pending or (self.frame.snapshot if self.frame else None))
        self._tick_timer = self.set_timer(self.refresh_interval, self._tick)

    def refresh_now(self, *, force: bool = False) -> None:
        """Draw the coordinator's current state (after the user changed something)."""
        if force or not self.paused:
            self._render_frame(self.coordinator.snapshot())

    def _render_frame(self, snapshot: Snapshot | None) -> None:
        if snapshot is None:
            return
        self._pending = None
        self.frame = Frame(snapshot, self.clock())
        self.frames.publish(self.frame)

    def _refresh_soon(self) -> None:
        if self._early_timer is None and not self.paused:
            self._early_timer = self.set_timer(EARLY_REFRESH_S, self._early_refresh)

    def _early_refresh(self) -> None:
        self._early_timer = None
        self.refresh_now()

    def on_core_event(self, message: CoreEvent) -> None:
        if isinstance(message.event, ConnectionsChanged | StateChanged):
            self._refresh_soon()
        elif isinstance(message.event, StoreProblem):
            self.notify(message.event.message, title="Store", severity="error", timeout=30)
        elif isinstance(message.event, ConfigReloaded):
            self._config_reloaded(message.event)
        self.core_events.publish(message.event)

    def _config_reloaded(self, event: ConfigReloaded) -> None:
        """Say what changed in the file (the coordinator watches it, as for ``serve``); a change
        to ``ui`` applies here at once, over what the preferences had restored."""
        if event.error is not None:
            self.notify(event.error, title="Config not reloaded (the old one stays)", severity="error",
                        timeout=15, markup=False)
            return
        self.config = self.coordinator.config
        if not event.changed:
            self.notify("Config file saved: nothing changed", timeout=4)
            return
        shown = ", ".join(event.changed[:CHANGES_SHOWN])
        more = f" and {len(event.changed) - CHANGES_SHOWN} more" if len(event.changed) > CHANGES_SHOWN else ""
        self.notify(f"Changed: {shown}{more}", title="Config reloaded", timeout=8, markup=False)
        if "ui.theme" in event.changed and self.config.ui.theme in self.available_themes:
            self.theme = self.config.ui.theme
        if "ui.refresh_interval_s" in event.changed:
            self.refresh_interval = _within_steps(self.config.ui.refresh_interval_s)

    # --- results of background work -------------------------------------------------------------

    def on_operation_done(self, message: OperationDone) -> None:
        if message.error:
            self.notify(message.error, title=f"Could not {message.what}", severity="error", timeout=8)
        else:
            self.notify(message.what, timeout=3)
        self.refresh_now(force=True)

    def on_test_completed(self, message: TestCompleted) -> None:
        result = message.result
        if result.success:
            balance = f" · balance {result.balance:,.2f} {result.quote}" if result.balance is not None else ""
            self.notify(f"{message.name}: OK in {result.duration_ms} ms{balance}", timeout=4)
        else:
            kind = result.error_kind.value if result.error_kind else "error"
            self.notify(f"{message.name}: {kind}: {result.error}", title="Test failed",
                        severity="error", timeout=8)
        self.refresh_now(force=True)

    # --- app-wide actions -----------------------------------------------------------------------

    def watch_paused(self, paused: bool) -> None:
        if paused:
            self._republish()
        else:
            self.refresh_now()

    def _republish(self) -> None:
        """Redraw the last frame (the header shows pause and interval changes at once)."""
        if self.frame is not None:
            self.frames.publish(self.frame)

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused

    def action_faster(self) -> None:
        self.refresh_interval = max((s for s in INTERVAL_STEPS if s < self.refresh_interval), default=MIN_INTERVAL_S)

    def action_slower(self) -> None:
        self.refresh_interval = min((s for s in INTERVAL_STEPS if s > self.refresh_interval), default=MAX_INTERVAL_S)

    def watch_refresh_interval(self) -> None:
        """Re-arm the clock so a shorter interval takes effect now, not after the old one."""
        if self._tick_timer is not None:
            self._tick_timer.stop()
            self._tick_timer = self.set_timer(self.refresh_interval, self._tick)
        self._republish()
        self._remember(refresh_interval_s=self.refresh_interval)

    def watch_theme(self, theme: str) -> None:
        """Any change of theme (T, the palette's theme picker) is remembered."""
        self._remember(theme=theme)

    # --- habits kept between runs ---------------------------------------------------------------

    def _remember(self, **changes: object) -> None:
        if not self._remembering or self.preferences_path is None:
            return
        self.preferences = self.preferences.model_copy(update=changes)
        preferences.save(self.preferences_path, self.preferences)

    def on_keyed_table_sort_changed(self, message: KeyedTable.SortChanged) -> None:
        if message.table_id:
            sort = {**self.preferences.sort, message.table_id: TableSort(column=message.column,
                                                                          reverse=message.reverse)}
            self._remember(sort=sort)

    def on_keyed_table_columns_changed(self, message: KeyedTable.ColumnsChanged) -> None:
        if message.table_id:
            self._remember(hidden_columns={**self.preferences.hidden_columns,
                                           message.table_id: sorted(message.hidden)})

    def on_keyed_table_columns_wanted(self, message: KeyedTable.ColumnsWanted) -> None:
        from cts_tui.tui.modals.columns import ColumnsScreen

        self.push_screen(ColumnsScreen(message.table))

    def action_next_theme(self) -> None:
        cycle = [name for name in THEME_CYCLE if name in self.available_themes]
        position = cycle.index(self.theme) if self.theme in cycle else -1
        self.theme = cycle[(position + 1) % len(cycle)]
        self.notify(f"Theme: {self.theme}", timeout=2)

    def action_help(self) -> None:
        from cts_tui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_show_tab(self, tab: str) -> None:
        from cts_tui.tui.screens.main import MainScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, MainScreen):
            self.pop_screen()
        if isinstance(self.screen, MainScreen):
            self.screen.show_tab(tab)

    # --- work shared by several screens (``host.Host``) ------------------------------------------

    def open_detail(self, connection_id: str) -> None:
        from cts_tui.tui.screens.detail import DetailScreen

        self.push_screen(DetailScreen(connection_id))

    def open_limits(self, exchange: ExchangeId) -> None:
        from cts_tui.tui.modals.limits_detail import LimitsDetail

        self.push_screen(LimitsDetail(exchange))

    def add_connection(self) -> None:
        from cts_tui.tui.modals.connection_form import ConnectionForm

        self.push_screen(ConnectionForm(None, self.hosts))

    def confirm(self, question: str, confirm: str, then: Callable[[], object]) -> None:
        """Ask; ``then`` runs only on a yes."""
        from cts_tui.tui.modals.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.push_screen(ConfirmScreen(question, confirm=confirm), answered)

    def open_batch(self, sets: BatchSets) -> None:
        from cts_tui.tui.modals.batch import BatchScreen

        self.push_screen(BatchScreen(sets))

    def edit_connection(self, connection_id: str) -> None:
        """Open the edit form on the stored model (the form needs fields views omit)."""
        from cts_tui.tui.modals.connection_form import ConnectionForm

        try:
            connection = self.coordinator.connection_model(connection_id)
        except CtsError as exc:
            self.notify(str(exc), title="Could not open the connection", severity="error")
            return
        if connection.origin == "env":
            self.notify(
                f"{connection.name} comes from the config or the environment ({connection.exchange.value.upper()}"
                "_API_KEY...): change it there, then restart", title="Read-only connection", severity="warning",
            )
            return
        self.push_screen(ConnectionForm(connection))

    def copy_text(self, what: str, text: str) -> None:
        """To the terminal's clipboard by OSC 52, which works over SSH (the terminal sets its own
        clipboard), and a notice of what was copied."""
        self.copy_to_clipboard(text)
        shown = text if len(text) <= COPY_NOTICE_CHARS else f"{text[:COPY_NOTICE_CHARS - 1]}…"
        self.notify(f"Copied {what}: {shown}", timeout=3, markup=False)

    def copy_id(self, view: ConnectionView) -> None:
        self.copy_text(f"the id of {view.name}", view.id)

    def open_copy_menu(self, view: ConnectionView) -> None:
        from cts_tui.tui.modals.copy_menu import CopyChoice, CopyMenu

        try:
            base_url = self.coordinator.connection_model(view.id).base_url
        except CtsError:
            base_url = None

        def chosen(choice: CopyChoice | None) -> None:
            if choice is not None and choice.text is not None:
                self.copy_text(f"the {choice.what} of {view.name}", choice.text)

        self.push_screen(CopyMenu(view, base_url), chosen)

    @work(group="operations")
    async def toggle_paused(self, view: ConnectionView) -> None:
        """Resume a paused connection; pause any other (the core refuses what its lifecycle
        does not allow, e.g. a disabled one, and the notice says why)."""
        resume = view.state is ConnectionState.PAUSED
        try:
            if resume:
                await self.coordinator.resume(view.id, "tui")
            else:
                await self.coordinator.pause(view.id, "tui")
        except CtsError as exc:
            self.post_message(OperationDone(f"{'resume' if resume else 'pause'} {view.name}", str(exc)))
            return
        self.post_message(OperationDone(f"{view.name} {'resumed' if resume else 'paused'}"))

    @work(group="operations")
    async def test_connection(self, connection_id: str, name: str) -> None:
        self.notify(f"Testing {name}…", timeout=2)
        try:
            result = await self.coordinator.test_connection(connection_id, "tui")
        except CtsError as exc:
            self.post_message(OperationDone(f"test {name}", str(exc)))
            return
        self.post_message(TestCompleted(name, result))

    # --- the command palette --------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every registered action that makes sense where the palette was opened."""
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for spec in ACTIONS:
            if not spec.palette or spec.action in seen:
                continue
            target = self if spec.scope is Scope.APP else _target(screen, spec.scope)
            if target is None or not _offers(target, spec.action):
                continue
            seen.add(spec.action)
            yield SystemCommand(
                f"{spec.title}  ({spec.key_display})",  # the palette reads titles as markup: no [ ]
                spec.help,
                _runner(target, spec.action),
            )


def _target(screen: Screen[object], scope: Scope) -> DOMNode | None:
    """The node on ``screen`` whose bindings implement ``scope`` right now, if any."""
    finder = getattr(screen, "action_target", None)
    return finder(scope) if finder is not None else None


def _offers(target: DOMNode, action: str) -> bool:
    name = action.split("(", 1)[0]
    return hasattr(target, f"action_{name}") and target.check_action(name, ()) is True


def _runner(target: DOMNode, action: str) -> Callable[[], object]:
    def run() -> object:
        return target.app.run_action(action, target)

    return run


_CHECKED_AS_HOST: type[Host] = CtsApp
"""mypy checks here that the app offers all that its screens, modals and widgets use."""
