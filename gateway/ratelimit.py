"""Per-subject rate limits on the decision routes, with the `limits` library.

Each decision costs one unit of the subject's budget (an AuthZEN batch costs one per
evaluation); over budget, the request is refused with 429 and `Retry-After` before anything is
decided or audited. The window moves (`MovingWindowRateLimiter`): no burst at a window's edge.
The subject is the token's (municipality, sub): a resident or a professional, or a case system,
which has its own, larger budget because it decides for many users.

Why `limits` directly and not slowapi: slowapi keys a decorator on the raw request before the
route runs, so it cannot see the verified subject without decoding the token a second time;
`limits` (which slowapi itself uses) is the counting part alone, called once the subject is
known. The counts live in `edge.rate_limit_storage`: per process with `memory://`, shared by
replicas with e.g. `redis://`.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from gateway.auth import Principal
from gateway.errors import RateLimited

CASE_SYSTEM_ROLE = "case_system"


class DecisionRateLimit:
    """The budgets of one gateway process (or of every replica, with a shared storage)."""

    def __init__(self, rate: str, case_system_rate: str, storage_uri: str = "memory://") -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._rate: RateLimitItem = parse(rate)
        self._case_system_rate: RateLimitItem = parse(case_system_rate)

    def charge(self, principal: Principal, cost: int = 1) -> None:
        """Spend `cost` decisions of the subject's budget; `RateLimited` when it is spent."""
        rate = self._case_system_rate if CASE_SYSTEM_ROLE in principal.roles else self._rate
        key = (principal.municipality, principal.sub)
        if not self._limiter.hit(rate, *key, cost=max(1, cost)):
            reset = self._limiter.get_window_stats(rate, *key).reset_time
            raise RateLimited(max(1, math.ceil(reset - time.time())))
