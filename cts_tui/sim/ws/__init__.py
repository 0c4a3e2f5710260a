"""The simulator's WebSocket market streams: each exchange's real subscribe, push and heartbeat
messages, so that unmodified ccxt.pro (and the native Pionex and OrangeX clients) stream from it.
See `server.StreamServer` for the control surface and `protocol.WsProtocol` for a module's part."""

from cts_tui.sim.ws.faults import StreamFaults
from cts_tui.sim.ws.server import StreamServer

__all__ = ["StreamFaults", "StreamServer"]
