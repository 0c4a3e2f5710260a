"""Pixels of every screen and form at 120x36 and 80x24, on fixed snapshots and a fixed clock."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Select

from cts_tui.models import ApiType, ExchangeId

from .conftest import static_app

SIZES = [pytest.param((120, 36), id="120x36"), pytest.param((80, 24), id="80x24")]


async def _choose_okx_perpetual(pilot: Pilot) -> None:
    await pilot.press("a")
    form = pilot.app.screen
    form.query_one("#exchange", Select).value = ExchangeId.OKX
    await pilot.pause()
    form.query_one("#api_type", Select).value = ApiType.PERPETUAL_FUTURES
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "keys",
    [
        pytest.param([], id="connections"),
        pytest.param(["2"], id="rate-limits"),
        pytest.param(["3"], id="health"),
        pytest.param(["j", "j", "enter"], id="detail"),
        pytest.param(["j", "j", "j", "enter"], id="detail-expiring-key"),
        pytest.param(["question_mark"], id="help"),
        pytest.param(["m", "m", "b"], id="batch"),
        pytest.param(["x"], id="confirm-delete"),
        pytest.param(["slash", *"bin"], id="filter"),
    ],
)
def test_screen(snap_compare, size: tuple[int, int], keys: list[str]) -> None:
    assert snap_compare(static_app(), press=keys, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_add_form(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(static_app(), run_before=_choose_okx_perpetual, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_empty_store(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(static_app(0), terminal_size=size)
