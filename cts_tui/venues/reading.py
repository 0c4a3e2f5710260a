"""Small readers the venue modules share: numbers and reset stamps in headers, fields in bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text.strip())
    except ValueError:
        return None


def until_reset(value: float, received_at: float) -> float:
    """Reset stamps come as epoch ms, epoch s or seconds from now, depending on the exchange."""
    if value > 1e12:
        return max(0.0, value / 1000 - received_at)
    if value > 1e9:
        return max(0.0, value - received_at)
    return max(0.0, value)


def text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def flags(pairs: dict[str, bool]) -> list[str]:
    return [name for name, allowed in pairs.items() if allowed]


def epoch_ms(value: Any) -> datetime | None:
    """Epoch milliseconds; absent or zero is "none" (a wrong type surfaces as bad_response)."""
    return datetime.fromtimestamp(float(value) / 1000, UTC) if value not in (None, "", 0, "0") else None


def iso_time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _address_list(value: Any) -> list[str]:
    """A whitelist as a list or a comma-separated string; "*" (Bybit) means none."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [str(item).strip() for item in items if str(item).strip() not in ("", "*")]


def whitelist(value: Any) -> dict[str, Any]:
    ips = _address_list(value)
    return {"ip_restricted": bool(ips), "ips": ips}


def no_params(_previous: dict[str, Any]) -> dict[str, Any]:
    return {}


def listed_market_types(market_types: tuple[str, ...]) -> dict[str, Any]:
    """``fetchMarkets.types`` as a list of the kinds to load (Binance, Bybit, OKX)."""
    return {"fetchMarkets": {"types": list(market_types)}}
