"""One module per simulated exchange; each declares ``SIM_EXCHANGE`` (see cts_tui.sim.exchange).

Discovery scans this package, so adding an exchange is adding a file.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module

from cts_tui.sim.exchange import SimExchange


def discover() -> dict[str, type[SimExchange]]:
    found: dict[str, type[SimExchange]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = import_module(f"{__name__}.{info.name}")
        cls = getattr(module, "SIM_EXCHANGE", None)
        if cls is not None:
            found[cls.exchange_id] = cls
    return dict(sorted(found.items()))
