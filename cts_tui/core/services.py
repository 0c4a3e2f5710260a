"""What every part of the coordinator works with, handed to each as one bundle.

The parts (``core/coordinator.py`` lists them) each own their own state; these are the shared
things none of them owns alone: the configuration in force, the connection table, the event
publisher, the exchange hub, the store, this process's identity on the store and the spawner of
background tasks. ``core.runtime.build_coordinator`` makes one and passes it to every part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cts_tui.core.connections import ConnectionTable
from cts_tui.core.live_config import LiveConfig
from cts_tui.core.publishing import Publisher
from cts_tui.core.tasks import Spawner
from cts_tui.store.records import ProcessIdentity

if TYPE_CHECKING:
    from cts_tui.exchanges.hub import ExchangeHub
    from cts_tui.store import ConnectionStore


@dataclass(frozen=True, slots=True)
class Services:
    live: LiveConfig
    table: ConnectionTable
    publisher: Publisher
    hub: ExchangeHub
    store: ConnectionStore
    me: ProcessIdentity
    spawner: Spawner
