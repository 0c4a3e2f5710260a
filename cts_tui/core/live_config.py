"""The configuration in force, shared by the coordinator's parts.

Every part reads ``current`` at the moment it acts, never a copy taken when it was built, so a
reload (``core/config_watch.py``, the only writer) reaches all of them at once and none acts on
a mix of the old settings and the new.
"""

from __future__ import annotations

from cts_tui.config import Config


class LiveConfig:
    def __init__(self, config: Config) -> None:
        self.current = config
