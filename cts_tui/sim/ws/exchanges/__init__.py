"""One WebSocket protocol per simulated exchange, keyed by exchange id.

Each module here declares ``PROTOCOL = <a WsProtocol subclass>``; the package is scanned, so
adding an exchange's streams is adding a file.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module

from cts_tui.sim.ws.protocol import WsProtocol


def _discover() -> dict[str, type[WsProtocol]]:
    found: dict[str, type[WsProtocol]] = {}
    for info in pkgutil.iter_modules(__path__):
        cls = getattr(import_module(f"{__name__}.{info.name}"), "PROTOCOL", None)
        if cls is not None:
            found[cls.exchange_id] = cls
    return dict(sorted(found.items()))


PROTOCOLS: dict[str, type[WsProtocol]] = _discover()
