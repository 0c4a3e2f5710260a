"""Regenerate the README's screenshots (SVG exported by Textual) from the fixed snapshots that the
snapshot tests use, so that the pictures match the app and every run draws the same pixels.

    python docs/screenshots/generate.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SIZE = (120, 36)

SCREENS: dict[str, tuple[str, ...]] = {
    "connections": (),
    "rate-limits": ("2",),
    "health": ("3",),
    "detail": ("j", "j", "enter"),
    "help": ("question_mark",),
    "batch-test": ("m", "m", "b"),
    "add-connection": ("a",),
}


async def shoot(name: str, keys: tuple[str, ...]) -> str:
    from textual.widgets import Select

    from cts_tui.models import ApiType, ExchangeId
    from tests.tui.conftest import static_app

    app = static_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*keys)
        if name == "add-connection":  # the form after choosing an exchange: only its API types
            app.screen.query_one("#exchange", Select).value = ExchangeId.OKX
            await pilot.pause()
            app.screen.query_one("#api_type", Select).value = ApiType.PERPETUAL_FUTURES
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        return app.export_screenshot(title="cts-tui")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    for name, keys in SCREENS.items():
        path = HERE / f"{name}.svg"
        path.write_text(asyncio.run(shoot(name, keys)), encoding="utf-8")
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
