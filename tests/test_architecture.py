"""The direction of imports (docs/CONTRACTS.md, "Layers and imports") is a contract of the suite:
the contracts in pyproject.toml ([tool.importlinter]) are checked by import-linter on the tree
as it is, and a broken one fails by name, with the imports that break it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BROKEN = re.compile(r"^(?P<name>.+?) BROKEN\b", re.MULTILINE)


def lint_imports(config: Path) -> tuple[int, list[str], str]:
    """Exit code, the names of the broken contracts, and the whole report. Run from the
    repository's root, so that the tree checked is this one whatever is installed."""
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    done = subprocess.run(
        [command, str(config), "--no-cache", "--no-logo"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    report = done.stdout + done.stderr
    return done.returncode, BROKEN.findall(report), report


def test_the_imports_follow_the_documented_layers() -> None:
    code, broken, report = lint_imports(REPO / "pyproject.toml")
    assert not broken, f"broken import contracts: {'; '.join(broken)}\n{report}"
    assert code == 0, report


def test_a_broken_contract_fails_by_name(tmp_path: Path) -> None:
    """The check above can fail: an import the tree has, forbidden, is reported by name."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_package = "cts_tui"\n\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "the store does without the models"\n'
        'type = "forbidden"\n'
        'source_modules = ["cts_tui.store"]\n'
        'forbidden_modules = ["cts_tui.models"]\n'
    )
    code, broken, report = lint_imports(config)
    assert code != 0
    assert broken == ["the store does without the models"], report
    assert "cts_tui.store" in report and "-> cts_tui.models" in report
