"""How numbers, times and states read on screen: short, aligned, and coloured by meaning.

Pure functions from values to Rich ``Text``, shared by every table, so a latency or a state looks
the same wherever it appears. Colours are the basic ANSI names, so the "ansi" themes show the
terminal's own palette and NO_COLOR's monochrome filter has a meaningful contrast to keep.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from cts_tui.core.snapshots import ConnectionView
from cts_tui.models import ConnectionState, TestResult

DASH = Text("–", style="dim")

STATE_STYLE: dict[ConnectionState, str] = {
    ConnectionState.ACTIVE: "green",
    ConnectionState.TESTING: "yellow",
    ConnectionState.PAUSED: "blue",
    ConnectionState.ERROR: "bold red",
    ConnectionState.DISABLED: "dim",
}

STATE_ICON: dict[ConnectionState, str] = {
    ConnectionState.ACTIVE: "●",
    ConnectionState.TESTING: "◌",
    ConnectionState.PAUSED: "‖",
    ConnectionState.ERROR: "✖",
    ConnectionState.DISABLED: "○",
}

BREAKER_STYLE = {"closed": "green", "half_open": "yellow", "open": "bold red"}

_SPARK_BARS = "▁▂▃▄▅▆▇█"


HEALTH_STYLE = {"degraded": "yellow", "unhealthy": "bold red"}
DEGRADED_BELOW = 80
UNHEALTHY_BELOW = 50
"""Score bands, the same as the score's colours: green, yellow, red."""


def health_word(view: ConnectionView) -> str | None:
    """What health says of a connection its lifecycle calls active: "active" alone would hide a
    score of 0 with every request failing."""
    if view.state is not ConnectionState.ACTIVE:
        return None
    if not view.healthy or view.health_score < UNHEALTHY_BELOW:
        return "unhealthy"
    if view.health_score < DEGRADED_BELOW:
        return "degraded"
    return None


def state_text(state: ConnectionState, health: str | None = None, *, room: int | None = None) -> Text:
    """The lifecycle state, and beside it what health says; where both do not fit in ``room``
    cells, health's word replaces the state's (it says more: only an active state has one)."""
    text = Text(f"{STATE_ICON[state]} ", style=STATE_STYLE[state])
    if health is None:
        text.append(state.value)
        return text
    if room is None or len(state.value) + len(health) + 3 <= room:
        text.append(f"{state.value} ")
    text.append(health, style=HEALTH_STYLE[health])
    return text


def score_style(score: float) -> str:
    if score >= DEGRADED_BELOW:
        return "green"
    if score >= UNHEALTHY_BELOW:
        return "yellow"
    return "red"


def score_text(score: float) -> Text:
    return Text(f"{score:.0f}", style=score_style(score))


def ms_text(value: float | None, *, warn: float = 500, bad: float = 2000) -> Text:
    """A latency: green when quick, yellow when slow, red past the alert threshold."""
    if value is None:
        return DASH
    style = "green" if value < warn else "yellow" if value < bad else "red"
    if value < 1000:
        shown = f"{value:.0f} ms"
    else:  # seconds: at most 6 wide, like "999 ms", so narrow columns never cut a unit off
        shown = f"{value / 1000:.1f} s" if value < 10_000 else f"{value / 1000:.0f} s"
    return Text(shown, style=style)


def pct_text(value: float | None, *, good: float = 99, fair: float = 95) -> Text:
    """A success rate or uptime in percent, coloured against the alert thresholds."""
    if value is None:
        return DASH
    style = "green" if value >= good else "yellow" if value >= fair else "red"
    return Text(f"{value:.1f}%", style=style)


CENTS_FROM_WIDTH = 10
"""Narrower balance columns show whole units: one precision per column keeps the figures aligned."""


def balance_text(value: float | None, quote: str = "", *, width: int | None = None) -> Text:
    """A balance with thousands separators and the same decimals for every figure at a width;
    only a figure too long for its column shortens to millions."""
    if value is None:
        return DASH
    decimals = 2 if width is None or width >= CENTS_FROM_WIDTH else 0
    shown = f"{value:,.{decimals}f}"
    if width is not None and len(shown) > width:
        shown = f"{value / 1_000_000:,.1f}M"
    return Text(f"{shown} {quote}".rstrip())


def age(when: datetime | None, now: datetime, *, ago: str = " ago") -> str:
    """'12s ago'-style relative time; the screen tells *how long since*, not a clock value.
    Tables pass ``ago=""`` where the column's title already says it ("12s", at most 3 wide)."""
    if when is None:
        return "never"
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 60:
        return f"{seconds}s{ago}"
    if seconds < 3600:
        return f"{seconds // 60}m{ago}"
    if seconds < 86_400:
        return f"{seconds // 3600}h{ago}"
    return f"{seconds // 86_400}d{ago}"


def countdown(until: datetime | None, now: datetime) -> str:
    """Seconds left until ``until`` (e.g. a ban or a breaker's cooldown), or '' once passed."""
    if until is None:
        return ""
    left = (until - now).total_seconds()
    if left <= 0:
        return ""
    if left < 120:
        return f"{left:.0f}s"
    return f"{left / 60:.0f}m"


def sparkline(values: tuple[float, ...] | list[float], width: int) -> Text:
    """The last ``width`` values as block characters scaled between their min and max."""
    tail = list(values)[-width:]
    if not tail:
        return Text("")
    low, high = min(tail), max(tail)
    span = (high - low) or 1.0
    top = len(_SPARK_BARS) - 1
    bars = "".join(_SPARK_BARS[int((v - low) / span * top)] for v in tail)
    return Text(bars.rjust(width), style="cyan")


def gauge(used: float, limit: float, width: int) -> Text:
    """A horizontal bar of ``used`` out of ``limit`` with the figure after it; green below 60 %,
    yellow below 85 % (the default alert), red from there."""
    share = 0.0 if limit <= 0 else min(1.0, max(0.0, used / limit))
    filled = round(share * width)
    style = "green" if share < 0.6 else "yellow" if share < 0.85 else "bold red"
    text = Text()
    text.append("█" * filled, style=style)
    text.append("░" * (width - filled), style="dim")
    text.append(f" {used:>4.0f}/{limit:<4.0f}")
    return text


# Key risk severities on screen: a symbol that reads without colour, and a short word.
RISK_MARKS = {
    "critical": ("‼", "crit", "bold red"),
    "high": ("⚠", "high", "red"),
    "medium": ("⚠", "med", "yellow"),
    "low": ("!", "low", "dim yellow"),
    "info": ("i", "info", "dim"),
}


def risk_text(worst: str | None, read: bool, complete: bool, width: int = 6) -> Text:
    """A key's worst risk: "⚠ high"; "✔" when its exchange reported everything and nothing is
    risky, a dim "✔?" when it does not report everything, "?" before its first read. Below 4
    cells, the symbol alone."""
    if worst is not None:
        symbol, word, style = RISK_MARKS[worst]
        return Text(symbol if width < 4 else f"{symbol} {word}", style=style)
    if not read:
        return Text("?", style="dim")
    if not complete:
        return Text("✔" if width < 2 else "✔?", style="dim green")
    return Text("✔", style="green")


def test_lines(result: TestResult) -> list[Text]:
    head = Text()
    head.append(result.tested_at.strftime("%Y-%m-%d %H:%M:%S "), style="dim")
    if result.success:
        head.append(f"✔ OK in {result.duration_ms} ms", style="green")
        if result.balance is not None:
            head.append(f" · balance {result.balance:,.2f} {result.quote}")
    else:
        head.append(f"✖ {result.error_kind.value if result.error_kind else 'failed'}", style="bold red")
        head.append(f" after {result.duration_ms} ms: {result.error or ''}")
    return [head, *(Text(f"    {line}") for line in result.log)]
