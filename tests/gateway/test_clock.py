"""`rfc3339`: one spelling for every time, whichever second its cache has seen."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from gateway.clock import rfc3339


def _spelled(ns: int) -> str:
    dt = datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC)
    return f"{dt:%Y-%m-%dT%H:%M:%S}.{(ns // 1000) % 1_000_000:06d}Z"


def test_rfc3339_spells_utc_with_microseconds() -> None:
    assert rfc3339(0) == "1970-01-01T00:00:00.000000Z"
    assert rfc3339(1_795_937_776_123_456_789) == "2026-11-29T07:36:16.123456Z"
    assert rfc3339(1_795_937_776_999_999_999) == "2026-11-29T07:36:16.999999Z"
    assert rfc3339(1_795_937_777_000_000_000) == "2026-11-29T07:36:17.000000Z"


def test_rfc3339_agrees_with_datetime_for_any_time() -> None:
    rng = random.Random(3339)
    base = 1_795_937_776_000_000_000
    # Many times within a few seconds (cached seconds), and times far apart (more seconds
    # than the cache holds).
    times = [base + rng.randrange(5_000_000_000) for _ in range(2000)]
    times += [rng.randrange(0, 4_102_444_800 * 10**9) for _ in range(2000)]
    for ns in times:
        assert rfc3339(ns) == _spelled(ns), ns
