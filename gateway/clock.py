"""The time source, injected so tests can move it (expiry needs no background job)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

Clock = Callable[[], int]


def system_clock() -> int:
    """Nanoseconds since the epoch."""
    return time.time_ns()


def rfc3339(ns: int) -> str:
    """RFC 3339 UTC with microseconds, e.g. 2026-11-29T07:36:16.123456Z."""
    return f"{utc_second(ns // 1_000_000_000)}.{(ns // 1000) % 1_000_000:06d}Z"


@lru_cache(maxsize=256)
def utc_second(seconds: int) -> str:
    """`2026-11-29T07:36:16` for a second since the epoch: every governed request formats
    one or two times, mostly of the same few seconds (strftime is most of the cost)."""
    return f"{datetime.fromtimestamp(seconds, tz=UTC):%Y-%m-%dT%H:%M:%S}"


def from_datetime(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError("a time must carry its UTC offset")
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
