"""Live public market streams per exchange: state, rate, lateness, stalls and reconnects.

`StreamMonitor` is the entry point; it yields frozen `StreamView`s (`cts_tui.views.streams`).
ccxt exchanges stream through unmodified ccxt.pro; Pionex and OrangeX through their own
WebSocket protocols.
"""

from cts_tui.streams.monitor import StreamMonitor

__all__ = ["StreamMonitor"]
