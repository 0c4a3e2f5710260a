"""The venue registry: one module per exchange, complete and consistent, and generic code that
names none of them (docs/CONTRACTS.md, "Adding an exchange")."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import ccxt.async_support as ccxt_async
import pytest

from cts_tui.config import ExchangeLimits
from cts_tui.errors import ErrorKind
from cts_tui.venues import VENUES, ExchangeId, venue

PACKAGE = Path(__file__).resolve().parent.parent / "cts_tui"
# Modules that are one exchange's implementation (its native client, its feed) or the registry of
# those implementations: exchange names belong there.
IMPLEMENTATIONS = {
    "exchanges/native_clients.py", "exchanges/pionex.py", "exchanges/orangex.py",
    "streams/monitor.py", "streams/pionex.py", "streams/orangex.py",
}


def test_every_exchange_id_has_its_venue_module() -> None:
    assert list(VENUES) == [v.id.value for v in VENUES.values()]
    assert set(VENUES) == {member.value for member in ExchangeId}
    assert all(venue(member) is VENUES[member.value] for member in ExchangeId)


@pytest.mark.parametrize("exchange", list(ExchangeId))
def test_a_venue_is_complete(exchange: ExchangeId) -> None:
    own = venue(exchange)
    ExchangeLimits(**{k: v for k, v in dataclasses.asdict(own.limits).items() if v is not None})
    assert own.api_types, "offers no API type"
    assert own.timestamp_codes <= set(own.error_codes), "a timestamp code with no kind"
    assert all(own.error_codes[code] is ErrorKind.INVALID_REQUEST for code in own.timestamp_codes)
    windows = own.windows(10, 100)
    assert own.usage_window in {None, *(w.name for w in windows)}, "usage headers describe no window"
    if own.ccxt:
        assert all(hasattr(ccxt_async, name) for name in own.all_ccxt_ids)
        assert set(own.key_readers) <= own.all_ccxt_ids
        assert set(own.ccxt_ids) <= set(own.api_types)
    else:
        assert own.native_rest_url.startswith("https://") and own.native_stream_url.startswith("wss://")


def test_a_ccxt_venue_has_no_native_hosts() -> None:
    with pytest.raises(LookupError, match="ccxt"):
        _ = venue(ExchangeId.BINANCE).native_rest_url


def test_generic_code_names_no_exchange() -> None:
    """``ExchangeId.<MEMBER>`` and exchange ids as string literals appear only in the venue
    modules, the simulator and the exchanges' own implementations (docstrings aside)."""
    ids = {member.value for member in ExchangeId} | {member.name for member in ExchangeId}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(("venues/", "sim/")) or relative in IMPLEMENTATIONS:
            continue
        tree = ast.parse(path.read_text())
        docstrings = {id(node.body[0].value) for node in ast.walk(tree) if _has_docstring(node)}
        for node in ast.walk(tree):
            named = (
                isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "ExchangeId" and node.attr in ids
            ) or (isinstance(node, ast.Constant) and node.value in ids and id(node) not in docstrings)
            if named:
                found.append(f"{relative}:{node.lineno}")
    assert found == []


def _has_docstring(node: ast.AST) -> bool:
    body = getattr(node, "body", None)
    return (
        isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and bool(body) and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    )

