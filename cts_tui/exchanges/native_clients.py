"""Which native client serves which exchange: the one place that names them, so that the base
class in ``native.py`` and the clients built on it import in one direction only."""

from __future__ import annotations

from cts_tui.capabilities import ExchangeId
from cts_tui.exchanges.context import HubContext
from cts_tui.exchanges.native import NativeClient
from cts_tui.exchanges.orangex import OrangeXClient
from cts_tui.exchanges.pionex import PionexClient
from cts_tui.models import Connection

NATIVE_CLIENTS: dict[ExchangeId, type[NativeClient]] = {
    ExchangeId("pionex"): PionexClient,
    ExchangeId("orangex"): OrangeXClient,
}


def native_client(connection: Connection, ctx: HubContext) -> NativeClient:
    return NATIVE_CLIENTS[connection.exchange](connection, ctx)
