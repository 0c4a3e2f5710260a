"""The words every venue is described in: exchange ids (with the other names they go by), API
types and passphrase policies.

Beneath everything else in the package, so that the venue modules, the models and the config can
all use them without importing one another.
"""

from __future__ import annotations

import pkgutil
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any


class _Exchanges(StrEnum):
    """What every exchange id can do; the members are the venue modules (``ExchangeId``)."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        """Other names an exchange goes by (``huobi``), and any spelling's case: wherever an
        exchange is named (config, CLI, REST), ``ExchangeId(name)`` and pydantic accept them."""
        if not isinstance(value, str):
            return None
        name = value.strip().lower()
        name = EXCHANGE_ALIASES.get(name, name)
        return next((member for member in cls if member.value == name), None)


FRAMEWORK_MODULES = frozenset({"kinds", "reading", "venue"})
"""The modules of ``cts_tui/venues`` that describe venues rather than being one."""


def venue_module_names() -> list[str]:
    """One per exchange, in alphabetical order: found on disk without importing them (they
    import this module), so that adding an exchange is adding its module."""
    found = pkgutil.iter_modules([str(Path(__file__).parent)])
    return sorted(info.name for info in found if info.name not in FRAMEWORK_MODULES and not info.name.startswith("_"))


if TYPE_CHECKING:
    ExchangeId = _Exchanges
else:
    ExchangeId = _Exchanges("ExchangeId", {name.upper(): name for name in venue_module_names()}, module=__name__)
    ExchangeId.__doc__ = "One member per venue module in ``cts_tui/venues``: the exchanges we speak to."


EXCHANGE_ALIASES: dict[str, str] = {"huobi": "htx"}
"""Former names still in use (the specification calls HTX by its former name, Huobi)."""


class ApiType(StrEnum):
    SPOT = "spot"
    PERPETUAL_FUTURES = "perpetual_futures"
    FUTURES = "futures"
    MARGIN = "margin"
    UNIFIED = "unified"


class PassphrasePolicy(StrEnum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"
