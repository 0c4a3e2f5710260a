"""Pointing a ccxt exchange at the simulator: the scheme and host of every API URL become the
exchange's base URL. Pure data in, data out, so the simulator still imports nothing of ccxt."""

from __future__ import annotations

import re
from typing import Any

_ORIGIN = re.compile(r"^[a-z]+://[^/]+")


def rebase_urls(api_urls: Any, base_url: str) -> Any:
    """`urls['api']` of a ccxt exchange (str or nested dict) with every origin replaced."""
    if isinstance(api_urls, dict):
        return {key: rebase_urls(value, base_url) for key, value in api_urls.items()}
    if isinstance(api_urls, str):
        return _ORIGIN.sub(base_url.rstrip("/"), api_urls, count=1)
    return api_urls
