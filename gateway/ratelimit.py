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

`memory://` is counted by `LocalMovingWindow` below, not by `limits`' `MemoryStorage`: that
storage expires entries on a `threading.Timer` of 10 ms that it starts anew on the first hit
after the previous one ran, so a steady stream of reads started a thread every few requests,
and each such read waited for the new thread to be scheduled (`Thread.start`): ~0.35 ms on
average, ~1 ms at p90 on the shared 2-core machine (issue 16). `LocalMovingWindow` answers
every hit exactly as `MovingWindowRateLimiter` over `MemoryStorage` does (same keys, same
window, same `reset_time`; tests/security/test_edge_rate_limit.py replays both side by side),
and expires entries as it goes, without a thread.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from gateway.auth import Principal
from gateway.errors import RateLimited

CASE_SYSTEM_ROLE = "case_system"


class LocalMovingWindow:
    """`MovingWindowRateLimiter(MemoryStorage())`'s `hit` and window reset, in one process,
    without an expiry thread.

    Per key, the times of its hits in the window, newest first (`limits` keeps the same list).
    A hit of `cost` is allowed when fewer than `limit - cost + 1` hits are younger than the
    window (`limits`: the entry at index `limit - cost` is absent or older than the window).
    Older hits are dropped on every hit of their key; keys nobody hit within their window are
    dropped by a sweep at most once per `sweep_seconds`, so memory stays bounded by the
    subjects active in the last window.
    """

    def __init__(self, sweep_seconds: float = 10.0) -> None:
        self._events: dict[str, tuple[int, deque[float]]] = {}
        self._lock = threading.Lock()
        self._sweep_seconds = sweep_seconds
        self._swept = time.time()

    @staticmethod
    def _trim(events: deque[float], since: float) -> None:
        while events and events[-1] < since:
            events.pop()

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        limit, expiry = item.amount, item.get_expiry()
        if cost > limit:
            return False
        key = item.key_for(*identifiers)
        now = time.time()
        with self._lock:
            if now - self._swept >= self._sweep_seconds:
                self._sweep(now)
            kept = self._events.get(key)
            if kept is None:
                kept = self._events[key] = (expiry, deque())
            events = kept[1]
            self._trim(events, now - expiry)
            if len(events) > limit - cost:
                return False
            events.extendleft([now] * cost)
            return True

    def reset_time(self, item: RateLimitItem, *identifiers: str) -> float:
        """When the oldest hit in the window leaves it (`get_window_stats(…).reset_time`)."""
        expiry = item.get_expiry()
        now = time.time()
        with self._lock:
            kept = self._events.get(item.key_for(*identifiers))
            if kept is not None:
                self._trim(kept[1], now - expiry)
            if kept is None or not kept[1]:
                return now + expiry
            return kept[1][-1] + expiry

    def _sweep(self, now: float) -> None:
        # Under self._lock.
        self._swept = now
        for key, (expiry, events) in list(self._events.items()):
            self._trim(events, now - expiry)
            if not events:
                del self._events[key]


class DecisionRateLimit:
    """The budgets of one gateway process (or of every replica, with a shared storage)."""

    def __init__(self, rate: str, case_system_rate: str, storage_uri: str = "memory://") -> None:
        self._local = LocalMovingWindow() if storage_uri == "memory://" else None
        self._limiter = (
            None
            if self._local is not None
            else MovingWindowRateLimiter(storage_from_string(storage_uri))
        )
        self._rate: RateLimitItem = parse(rate)
        self._case_system_rate: RateLimitItem = parse(case_system_rate)

    def charge(self, principal: Principal, cost: int = 1) -> None:
        """Spend `cost` decisions of the subject's budget; `RateLimited` when it is spent."""
        rate = self._case_system_rate if CASE_SYSTEM_ROLE in principal.roles else self._rate
        key = (principal.municipality, principal.sub)
        cost = max(1, cost)
        if self._local is not None:
            if self._local.hit(rate, *key, cost=cost):
                return
            reset = self._local.reset_time(rate, *key)
        else:
            assert self._limiter is not None
            if self._limiter.hit(rate, *key, cost=cost):
                return
            reset = self._limiter.get_window_stats(rate, *key).reset_time
        raise RateLimited(max(1, math.ceil(reset - time.time())))
