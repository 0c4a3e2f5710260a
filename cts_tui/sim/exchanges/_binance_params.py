"""Binance's checks of request parameters: a mandatory one missing (-1102, any endpoint), and an
order's, for the test-order endpoints (spot ``POST /api/v3/order/test``, USDⓈ-M
``POST /fapi/v1/order/test``), which validate an order as the order endpoint would and place
nothing.

The parameters each order type makes mandatory are the documented tables (spot "New order",
USDⓈ-M "New Order"); the codes are Binance's: -1102 a mandatory parameter missing, -1100 a number
that does not parse, -1116/-1117/-1115 an unknown type/side/timeInForce, -1121 an unknown symbol;
then the symbol's filters: spot -1013 "Filter failure: LOT_SIZE/NOTIONAL", USDⓈ-M -4003 (quantity
not above zero), -4001 (price below zero) and -4164 (notional under the minimum).
"""

from __future__ import annotations

from collections.abc import Mapping

from cts_tui.sim.exchange import Reply, json_reply
from cts_tui.sim.markets import MarketSpec

SPOT_MANDATORY: Mapping[str, tuple[str, ...]] = {
    "LIMIT": ("timeInForce", "quantity", "price"), "MARKET": (), "LIMIT_MAKER": ("quantity", "price"),
    "STOP_LOSS": ("quantity", "stopPrice"), "STOP_LOSS_LIMIT": ("timeInForce", "quantity", "price", "stopPrice"),
    "TAKE_PROFIT": ("quantity", "stopPrice"),
    "TAKE_PROFIT_LIMIT": ("timeInForce", "quantity", "price", "stopPrice"),
}
FUTURES_MANDATORY: Mapping[str, tuple[str, ...]] = {
    "LIMIT": ("timeInForce", "quantity", "price"), "MARKET": ("quantity",),
    "STOP": ("quantity", "price", "stopPrice"), "TAKE_PROFIT": ("quantity", "price", "stopPrice"),
    "STOP_MARKET": ("stopPrice",), "TAKE_PROFIT_MARKET": ("stopPrice",), "TRAILING_STOP_MARKET": ("callbackRate",),
}
TIME_IN_FORCE = {"api": ("GTC", "IOC", "FOK"), "fapi": ("GTC", "IOC", "FOK", "GTX", "GTD")}
NUMBERS = ("quantity", "quoteOrderQty", "price", "stopPrice", "callbackRate")


def mandatory(name: str) -> Reply:
    return json_reply({"code": -1102, "msg": f"Mandatory parameter '{name}' was not sent, was empty/null, "
                       "or malformed."}, 400, outcome="bad_request")


def check_order(pool: str, params: Mapping[str, str], markets: Mapping[str, MarketSpec],
                last_price: float) -> Reply | MarketSpec:
    """The refusal Binance would answer for this order, or the market it is for. `last_price` is
    the market's price now, which a market order's notional is reckoned at."""
    for name in ("symbol", "side", "type"):
        if not params.get(name):
            return mandatory(name)
    market = markets.get(params["symbol"])
    if market is None:
        return _refusal(-1121, "Invalid symbol.")
    table = SPOT_MANDATORY if pool == "api" else FUTURES_MANDATORY
    kind = params["type"]
    if kind not in table:
        return _refusal(-1116, "Invalid orderType.")
    if params["side"] not in ("BUY", "SELL"):
        return _refusal(-1117, "Invalid side.")
    for name in table[kind]:
        if not params.get(name):
            return mandatory(name)
    if pool == "api" and kind == "MARKET" and not (params.get("quantity") or params.get("quoteOrderQty")):
        return json_reply({"code": -1102, "msg": "Param 'quantity' or 'quoteOrderQty' must be sent, but both "
                           "were empty/null!"}, 400, outcome="bad_request")
    if "timeInForce" in params and params["timeInForce"] not in TIME_IN_FORCE[pool]:
        return _refusal(-1115, "Invalid timeInForce.")
    numbers: dict[str, float] = {}
    for name in NUMBERS:
        if params.get(name):
            try:
                numbers[name] = float(params[name])
            except ValueError:
                return _refusal(-1100, f"Illegal characters found in parameter '{name}'; legal range is "
                                "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.")
    refused = (_spot_filters if pool == "api" else _futures_filters)(market, numbers, last_price)
    return refused or market


def _spot_filters(market: MarketSpec, numbers: Mapping[str, float], last_price: float) -> Reply | None:
    price = numbers.get("price", last_price)
    if "quantity" in numbers and numbers["quantity"] < market.min_qty:
        return _refusal(-1013, "Filter failure: LOT_SIZE")
    notional = numbers["quoteOrderQty"] if "quoteOrderQty" in numbers else numbers.get("quantity", 0.0) * price
    if notional < market.min_notional:
        return _refusal(-1013, "Filter failure: NOTIONAL")
    return None


def _futures_filters(market: MarketSpec, numbers: Mapping[str, float], last_price: float) -> Reply | None:
    if "quantity" in numbers and numbers["quantity"] <= 0:
        return _refusal(-4003, "Quantity less than or equal to zero.")
    if numbers.get("price", 0.0) < 0:
        return _refusal(-4001, "Price less than 0.")
    if "quantity" in numbers and numbers["quantity"] * numbers.get("price", last_price) < market.min_notional:
        return _refusal(-4164, f"Order's notional must be no smaller than {market.min_notional:g} (unless you "
                        "choose reduce only).")
    return None


def _refusal(code: int, message: str) -> Reply:
    return json_reply({"code": code, "msg": message}, 400, outcome="bad_request")
