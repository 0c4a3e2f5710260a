"""Pixels of every screen and dialog at 80x24, 120x36 and 200x50, on fixed snapshots (names as
long as real ones) and a fixed clock. One snapshot per screen or dialog and size."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Select

from cts_tui.models import ApiType, ExchangeId

from .conftest import static_app

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36"),
         pytest.param((200, 50), id="200x50")]


async def _form_with_problems(pilot: Pilot) -> None:
    """OKX perpetual chosen, the rest left empty, save pressed: each problem under its field."""
    await pilot.press("a")
    form = pilot.app.screen
    form.query_one("#exchange", Select).value = ExchangeId.OKX
    await pilot.pause()
    form.query_one("#api_type", Select).value = ApiType.PERPETUAL_FUTURES
    await pilot.press("ctrl+s")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "keys",
    [
        pytest.param(["m", "j", "m", "slash", *"key", "enter"], id="connections"),  # marks, a filter, the keys
        pytest.param(["2"], id="rate-limits"),
        pytest.param(["2", *"jjjjjj", "enter"], id="rate-limits-detail"),  # KuCoin's pools
        pytest.param(["2", *"jjjjjjj", "enter"], id="rate-limits-detail-endpoints"),  # OKX's endpoints
        pytest.param(["3"], id="health"),
        pytest.param(["j", "j", "enter"], id="detail"),
        pytest.param(["j", "j", "j", "enter"], id="detail-expiring-key"),
        pytest.param(["question_mark"], id="help"),
        pytest.param(["m", "m", "b"], id="batch"),
        pytest.param(["x"], id="confirm-delete"),
        pytest.param(["j", "j", "j", "j", "j", "j", "Y"], id="copy-menu"),
        pytest.param(["c"], id="columns"),
    ],
)
def test_screen(snap_compare, size: tuple[int, int], keys: list[str]) -> None:
    assert snap_compare(static_app(), press=keys, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_add_form(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(static_app(), run_before=_form_with_problems, terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_empty_store(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(static_app(0), terminal_size=size)
