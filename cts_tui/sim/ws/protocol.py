"""The contract between the simulator's stream framework and one exchange's WebSocket protocol.

A protocol module (``cts_tui/sim/ws/exchanges/<name>.py``) names its stream endpoints (which
host serves which is in `cts_tui.sim.hosts`), how the exchange names its markets there, how it answers the
client's frames (subscribe, unsubscribe, ping), what its ticker push looks like, and how its
server heartbeat looks. The framework (`session.WsSession`) owns the socket, the push pacing,
the heartbeat timer, gzip framing and the faults, so a protocol is only the wire format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from cts_tui.sim.exchange import ExchangeContext
from cts_tui.sim.markets import MarketSpec

if TYPE_CHECKING:
    from cts_tui.sim.ws.session import WsSession

Frame = dict[str, Any] | list[Any] | str
"""What a protocol sends: JSON data (encoded by the session) or a text frame as is."""


@dataclass(slots=True)
class Subscription:
    topic: str
    """The exchange's own name of the subscription (``btcusdt@ticker``); unique per session."""
    market_id: str
    market: MarketSpec


@dataclass(frozen=True, slots=True)
class Quote:
    """One market's numbers at push time, formatted with the market's price precision."""

    last: float
    bid: float
    ask: float
    open: float
    high: float
    low: float
    volume: float
    decimals: int

    def fmt(self, value: float) -> str:
        return f"{value:.{self.decimals}f}"

    @property
    def change(self) -> float:
        return self.last - self.open

    @property
    def change_pct(self) -> float:
        return (self.last / self.open - 1.0) * 100.0 if self.open else 0.0


class WsProtocol:
    exchange_id: ClassVar[str]
    gzip: ClassVar[bool] = False
    """Every server frame is a gzip-compressed binary frame (HTX, BingX)."""
    binary: ClassVar[bool] = False
    """Every server frame is a binary frame of plain JSON (Pionex)."""
    heartbeat_s: ClassVar[float | None] = None
    """Interval of the server's own heartbeat; None where only the client pings."""

    def __init__(self, ctx: ExchangeContext) -> None:
        self.ctx = ctx
        self.markets: dict[str, dict[str, MarketSpec]] = {
            route: dict(self.index(route, ctx.markets)) for route in self.routes()
        }

    # -- what a module declares -------------------------------------------------------------

    def routes(self) -> tuple[str, ...]:
        """The stream endpoints (paths on the real stream host); `cts_tui.sim.hosts` maps each
        stream host's URL paths to these."""
        raise NotImplementedError

    def index(self, route: str, markets: Iterable[MarketSpec]) -> Iterable[tuple[str, MarketSpec]]:
        """(market id as the stream at `route` spells it, market) for the markets it carries."""
        raise NotImplementedError

    async def on_open(self, session: WsSession) -> None:
        """What the server says first, unasked (Kraken's status message)."""

    async def on_frame(self, session: WsSession, frame: Any) -> None:
        """One client frame, JSON-decoded where it was JSON, else the text."""
        raise NotImplementedError

    def ticker(self, session: WsSession, sub: Subscription, now_ms: int) -> Frame:
        raise NotImplementedError

    def beats(self, session: WsSession) -> bool:
        """Whether the heart beats on this connection now (Kraken's once it is subscribed,
        Coinbase's once the heartbeats channel is)."""
        return True

    def heartbeat(self, session: WsSession, now_ms: int) -> Frame | None:
        """The server's heartbeat frame; None sends a WebSocket protocol ping."""
        return None

    # -- shared helpers -----------------------------------------------------------------------

    def market(self, route: str, market_id: str) -> MarketSpec | None:
        return self.markets[route].get(market_id)

    def quote(self, market: MarketSpec) -> Quote:
        walk = self.ctx.prices.quote(market.key, market.price)
        tick = 10.0 ** -market.price_decimals
        return Quote(walk.price, walk.price - tick, walk.price + tick, walk.open_price, walk.high, walk.low,
                     walk.volume, market.price_decimals)


def iso_ms(now_ms: int) -> str:
    """ISO 8601 UTC with milliseconds and a Z, as Coinbase and Kraken stamp their frames."""
    moment = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now_ms % 1000:03d}Z"
