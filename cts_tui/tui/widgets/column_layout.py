"""Which columns a table shows at a width, and how wide each is.

A table's columns each have a natural width and a narrower one; the table lists in what order
they give way when space runs short (shrink to the narrower width, or collapse). The identifying
column (a connection's name) is the one whose cut hurts most: it is sized from its longest text,
and the others give way in the table's order (balance and last test before state and score)
before it is cut. Whatever is left over goes to the identifying column, up to its longest text. Headers are never cut: a
sortable column is always wide enough for its label and the sort arrow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

CELL_PADDING = 1
"""Blank cells on each side of a column's content."""

SORT_ARROW = " ▲"

FLEX_TARGET = 32
"""Room the identifying column claims before others shrink or collapse: the longest real names
("Binance margin (read-only key)") fit whole; a longer one takes only what is left over."""


class Sized(Protocol):
    """What fitting reads of a column (read-only: the columns are frozen dataclasses)."""

    @property
    def key(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def wide(self) -> int: ...

    @property
    def narrow(self) -> int | None: ...

    @property
    def short(self) -> str | None: ...

    @property
    def sort(self) -> Any: ...

    @property
    def flex(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class GiveWay:
    """One step of a table's order of giving way: ``shrink`` or ``drop`` the column ``key``."""

    how: Literal["shrink", "drop"]
    key: str


def shrink(key: str) -> GiveWay:
    return GiveWay("shrink", key)


def drop(key: str) -> GiveWay:
    return GiveWay("drop", key)


@dataclass(frozen=True, slots=True)
class Placed:
    column: Any
    width: int
    short: bool
    """Shrunk: shows its short label."""

    @property
    def label(self) -> str:
        return (self.short and self.column.short) or self.column.label


def label_width(column: Sized, *, short: bool) -> int:
    label = (short and column.short) or column.label
    return len(label) + (len(SORT_ARROW) if column.sort is not None else 0)


def _width(column: Sized, *, short: bool) -> int:
    own = (column.narrow or column.wide) if short else column.wide
    return max(own, label_width(column, short=short))


def fit(columns: Sequence[Sized], order: Sequence[GiveWay], available: int, longest: int) -> list[Placed]:
    """The columns shown within ``available`` cells, given the identifying column's longest text:
    the steps of ``order`` are taken one by one until the identifying column has its room; then
    every column not in ``order`` shrinks, so a table that lists nothing still narrows."""
    shown = list(columns)
    short: set[str] = set()
    flex = next((c for c in shown if c.flex), None)
    flex_floor = _width(flex, short=True) if flex is not None else 0
    flex_want = max(flex_floor, min(longest, FLEX_TARGET)) if flex is not None else 0

    def others() -> int:
        return sum(_width(c, short=c.key in short) + 2 * CELL_PADDING for c in shown if c is not flex)

    def fits() -> bool:
        return others() + (flex_want + 2 * CELL_PADDING if flex is not None else 0) <= available

    listed = {step.key for step in order}
    steps = [*order, *(shrink(c.key) for c in columns if c is not flex and c.key not in listed)]
    for step in steps:
        if fits():
            break
        if step.how == "shrink":
            short.add(step.key)
        else:
            shown = [c for c in shown if c.key != step.key]
    widths = {c.key: _width(c, short=c.key in short) for c in shown if c is not flex}
    room = available - others() - (2 * CELL_PADDING if flex is not None else 0)
    if flex is not None:
        widths[flex.key] = max(flex_floor, min(max(longest, flex_floor), room))
        room -= widths[flex.key]
    for step in reversed(steps):  # what is still free goes back to the columns that shrank last
        column = next((c for c in shown if c.key == step.key and c.key in short), None)
        if column is not None and room > 0:
            grown = min(_width(column, short=False), widths[column.key] + room)
            room -= grown - widths[column.key]
            widths[column.key] = grown
    return [Placed(c, widths[c.key], short=widths[c.key] < _width(c, short=False)) for c in shown]


def cut_middle(text: str, width: int) -> str:
    """``text`` in ``width`` cells, its start and end kept: 'Bybit unif…(read-only)'."""
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    tail = (width - 1) // 2
    head = width - 1 - tail
    return f"{text[:head]}…{text[len(text) - tail:]}"


def cut_end(text: str, width: int) -> str:
    return text if len(text) <= width else f"{text[: max(0, width - 1)]}…"


def colliding(texts: Sequence[str], width: int) -> frozenset[str]:
    """The texts that, cut at the end to ``width``, would read like another row's."""
    cut = [t for t in texts if len(t) > width]
    if not cut:
        return frozenset()
    seen: dict[str, int] = {}
    for text in texts:
        short = cut_end(text, width)
        seen[short] = seen.get(short, 0) + 1
    return frozenset(t for t in cut if seen[cut_end(t, width)] > 1)
