"""The log line's timestamp (gateway/logging.py): as structlog's TimeStamper spells it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from gateway.logging import add_timestamp


def _time_stamper(ns: int) -> str:
    """structlog's TimeStamper(fmt="iso", utc=True) for the instant `ns`."""
    dt = datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC).replace(
        microsecond=(ns // 1000) % 1_000_000
    )
    return dt.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "ns",
    [
        1_795_937_776_123_456_789,
        1_795_937_776_000_000_000,  # a whole second: no fraction, as isoformat writes it
        1_795_937_776_000_999_999,  # under a microsecond: still a whole second
        1_795_937_776_000_001_000,
        1_795_937_776_999_999_999,
    ],
)
def test_the_timestamp_is_spelled_as_structlogs_iso_utc(
    monkeypatch: pytest.MonkeyPatch, ns: int
) -> None:
    monkeypatch.setattr("gateway.logging.time", SimpleNamespace(time_ns=lambda: ns))
    assert add_timestamp(None, "info", {"event": "x"}) == {
        "event": "x",
        "timestamp": _time_stamper(ns),
    }


def test_the_timestamp_of_now_parses_as_utc() -> None:
    stamp = add_timestamp(None, "info", {})["timestamp"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", stamp)
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - parsed).total_seconds()) < 5
