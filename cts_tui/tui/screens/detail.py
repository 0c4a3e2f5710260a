"""A connection's detail: masked key, health figures, breaker, rate-limit usage, a latency
sparkline and the logs of its recent tests. Live like the tables; esc goes back."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Label, RichLog, Sparkline, Static

from cts_tui.core.events import Event, TestFinished
from cts_tui.core.snapshots import ConnectionView
from cts_tui.core.health import score_parts
from cts_tui.core.streams import stream_factor
from cts_tui.errors import CtsError
from cts_tui.models import ConnectionState
from cts_tui.tui import format as fmt
from cts_tui.tui.actions import Scope, bindings
from cts_tui.tui.host import host
from cts_tui.tui.messages import Frame
from cts_tui.tui.widgets.streams_table import stream_facts
from cts_tui.tui.widgets.totals_bar import TotalsBar

RECENT_TESTS = 5


def _facts(rows: list[tuple[str, Text | str]]) -> Table:
    """Labels whole (the values give way: they end in an ellipsis)."""
    table = Table(box=None, show_header=False, padding=(0, 1))
    table.add_column(style="dim", no_wrap=True, min_width=max((len(label) for label, _ in rows), default=0))
    table.add_column(no_wrap=True, overflow="ellipsis")
    for label, value in rows:
        table.add_row(label, value)
    return table


def identity_facts(view: ConnectionView, frame: Frame, breaker_threshold: int) -> Table:
    return _facts([
        ("state", fmt.state_text(view.state, fmt.health_word(view))),
        ("enabled", "yes" if view.enabled else "no"),
        ("exchange", view.exchange.value),
        ("API type", view.api_type.value),
        ("network", "testnet" if view.is_testnet else "mainnet"),
        ("API key", view.api_key_masked),
        ("balance", fmt.balance_text(view.balance)),
        ("weight", str(view.weight)),
        ("tags", ", ".join(view.tags) or "–"),
        *score_facts(view, frame, breaker_threshold),
        ("last error", Text(view.last_error, style="red") if view.last_error else fmt.DASH),
        ("last test", _last_test(view, frame)),
    ])


def _last_test(view: ConnectionView, frame: Frame) -> Text:
    """Its outcome and age; a failure's kind and message (the request error above may differ)."""
    test = view.last_test
    if test is None:
        return Text("never", style="dim")
    when = fmt.age(test.at, frame.now)
    if test.success:
        return Text(f"✔ {when}", style="green")
    kind = test.error_kind.value if test.error_kind else "failed"
    return Text(f"✖ {when}, {kind}: {test.error or ''}", style="red")


def score_facts(view: ConnectionView, frame: Frame, breaker_threshold: int) -> list[tuple[str, Text | str]]:
    """Why the score is what it is, in the formula's own parts (``core.health``): the points
    uptime, latency and headroom add (out of 60, 25, 15), and what multiplies them."""
    stream = frame.snapshot.stream(view.exchange)
    parts = score_parts(
        uptime_pct=view.uptime_pct, latency_ms=view.latency_ms, usage_pct=view.rate_limit_usage_pct,
        consecutive_errors=view.consecutive_errors, threshold=breaker_threshold,
        breaker_closed=view.breaker == "closed", in_error=view.state is ConnectionState.ERROR,
        stream=stream_factor(stream.state if stream else None),
    )
    if parts.zero_because is not None:
        return [("score is 0", Text(parts.zero_because, style="red"))]
    uptime, latency, headroom = parts.points
    rows: list[tuple[str, Text | str]] = [
        ("score parts", f"{uptime:.0f} uptime + {latency:.0f} latency"),
        ("", f"+ {headroom:.0f} rate-limit room"),
    ]
    rows += [("", Text(f"× {factor:.2f} {why}", style="yellow")) for factor, why in (
        (parts.streak, f"{view.consecutive_errors} errors in a row"),
        (parts.stream, f"stream {stream.state.value if stream else ''}"),
    ) if factor < 1]
    return rows


def health_facts(view: ConnectionView, frame: Frame) -> Table:
    breaker = Text(view.breaker.replace("_", "-"), style=fmt.BREAKER_STYLE.get(view.breaker, ""))
    if view.breaker_reason and view.breaker != "closed":
        breaker.append(f": {view.breaker_reason}")
    if left := fmt.countdown(view.breaker_until, frame.now):
        breaker.append(f" (retry in {left})")
    usage = fmt.gauge(view.rate_limit_usage_pct, 100, 10)
    return _facts([
        ("health score", fmt.score_text(view.health_score)),
        ("latency", fmt.ms_text(view.latency_ms)),
        ("p50 / p95", Text.assemble(fmt.ms_text(view.p50_ms), " / ", fmt.ms_text(view.p95_ms))),
        ("success", fmt.pct_text(view.success_rate)),
        ("uptime", fmt.pct_text(view.uptime_pct)),
        ("errors in a row", str(view.consecutive_errors)),
        ("breaker", breaker),
        ("rate limit", usage),
        ("in flight", str(view.in_flight)),
        ("hedged", f"{view.hedges_sent} sent, {view.hedges_won} won"),
        ("suspect", f"{'now, ' if view.suspect else ''}{view.suspects} times" if view.suspects else "never"),
        ("last check", fmt.age(view.last_check, frame.now)),
        *stream_facts(frame.snapshot.stream(view.exchange)),
    ])


def key_text(view: ConnectionView, frame: Frame) -> Text:
    """What the exchange said about the key, then each risk with how to fix it at the exchange."""
    key = view.key
    text = Text()
    if key is None or key.profile is None:
        text.append("not read yet: a passing test reads the key's permissions, IP whitelist and expiry", style="dim")
        return text
    profile = key.profile
    permissions = ", ".join(profile.permissions) if profile.permissions is not None else "not reported"
    text.append(f"meant to {key.intended_use.value} · may {permissions} · {profile.describe()} · "
                f"read {fmt.age(profile.read_at, frame.now)}", style="dim")
    if key.unknown:
        text.append(f"\n{key.unknown}", style="dim")
    if not key.risks:
        text.append("\n✔ no risk found", style="green")
    for risk in key.risks:
        symbol, _, style = fmt.RISK_MARKS[risk.severity.value]
        text.append(f"\n{symbol} {risk.severity.value}: {risk.message}", style=style)
        text.append(f"\n  fix: {risk.fix}")
    return text


class DetailScreen(Screen[None]):
    BINDINGS = bindings(Scope.DETAIL)

    def __init__(self, connection_id: str) -> None:
        super().__init__()
        self.connection_id = connection_id
        self.view: ConnectionView | None = None

    def compose(self) -> ComposeResult:
        yield TotalsBar(id="totals")
        yield Label(id="detail-title")
        with Horizontal(id="detail-facts"):
            yield Static(id="identity")
            yield Static(id="health")
        yield Label("Key", classes="section")
        yield Static(id="key-facts")
        yield Label("Latency", classes="section", id="latency-label")
        yield Sparkline([], id="latency-spark")
        yield Label("Recent tests", classes="section")
        yield RichLog(id="test-log", wrap=False, markup=False, max_lines=400, auto_scroll=False)
        yield Footer()

    def on_mount(self) -> None:
        host(self).frames.subscribe(self, self._frame_arrived)
        host(self).core_events.subscribe(self, self._core_event_arrived)
        if (frame := host(self).frame) is not None:
            self._frame_arrived(frame)
        self._load_tests()

    def action_target(self, scope: Scope) -> DetailScreen | None:
        return self if scope is Scope.DETAIL else None

    def _frame_arrived(self, frame: Frame) -> None:
        view = frame.snapshot.connection(self.connection_id)
        self.query_one(TotalsBar).show(frame.snapshot, paused=host(self).paused,
                                       interval_s=host(self).refresh_interval, demo=host(self).demo)
        if view is None:
            self.query_one("#detail-title", Label).update(" This connection no longer exists (esc).")
            self.view = None
            return
        self.view = view
        title = Text()
        title.append(f" {view.name} ", style="bold reverse")
        title.append(f"  {view.exchange.value} · {view.api_type.value} · "
                     f"{'testnet' if view.is_testnet else 'mainnet'}  ")
        title.append_text(fmt.state_text(view.state, fmt.health_word(view)))
        self.query_one("#detail-title", Label).update(title)
        threshold = host(self).config.health.breaker_threshold
        self.query_one("#identity", Static).update(identity_facts(view, frame, threshold))
        self.query_one("#health", Static).update(health_facts(view, frame))
        self.query_one("#key-facts", Static).update(key_text(view, frame))
        self._show_latency(view.latency_history)

    def _show_latency(self, history: tuple[float, ...]) -> None:
        """One cell per request, as in the health table: a few samples stretched over the whole
        width would look like a long, smooth history."""
        spark = self.query_one(Sparkline)
        spark.data = list(history)
        spark.styles.width = max(1, len(history))
        label = "Latency" if not history else (
            f"Latency, last {len(history)} requests: {min(history):,.0f}–{max(history):,.0f} ms")
        self.query_one("#latency-label", Label).update(label)

    def _core_event_arrived(self, event: Event) -> None:
        if isinstance(event, TestFinished) and event.result.connection_id == self.connection_id:
            self._load_tests()

    @work(group="detail-tests", exclusive=True)
    async def _load_tests(self) -> None:
        try:
            results = await host(self).store.test_results(self.connection_id, limit=RECENT_TESTS)
        except CtsError:
            results = []
        log = self.query_one("#test-log", RichLog)
        log.clear()
        if not results:
            log.write(Text("No test yet: press t to test this connection.", style="dim"))
        for result in results:
            for line in fmt.test_lines(result):
                log.write(line)

    def action_back(self) -> None:
        self.dismiss()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"test", "edit", "toggle_paused", "copy_id", "copy_menu"}:
            return self.view is not None or None
        return True

    def action_test(self) -> None:
        if self.view is not None:
            host(self).test_connection(self.view.id, self.view.name)

    def action_edit(self) -> None:
        if self.view is not None:
            host(self).edit_connection(self.view.id)

    def action_toggle_paused(self) -> None:
        if self.view is not None:
            host(self).toggle_paused(self.view)

    def action_copy_id(self) -> None:
        if self.view is not None:
            host(self).copy_id(self.view)

    def action_copy_menu(self) -> None:
        if self.view is not None:
            host(self).open_copy_menu(self.view)
