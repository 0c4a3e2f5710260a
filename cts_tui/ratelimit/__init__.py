"""Per-exchange rate limiting: budgets counted the way each exchange counts, priorities, backoff,
optionally shared across processes through Redis."""

from cts_tui.ratelimit.feedback import ResponseFeedback
from cts_tui.ratelimit.limiter import Permit, RateLimiter
from cts_tui.ratelimit.priority import Priority, current_priority, request_priority

__all__ = [
    "Permit",
    "Priority",
    "RateLimiter",
    "ResponseFeedback",
    "current_priority",
    "request_priority",
]
