"""Times as a Dutch officer reads them: Europe/Amsterdam, as on the resident pages."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    TZ: ZoneInfo | None = ZoneInfo("Europe/Amsterdam")
except ZoneInfoNotFoundError:  # no tz database on this machine: show UTC and say so
    TZ = None


def local_time(value: int | str | None) -> str:
    """`2026-11-29 15:03` in Dutch time, from nanoseconds or an RFC 3339 UTC time; the zone
    is named only when it is not Dutch time (no tz database here)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, int):
        dt = datetime.fromtimestamp(value / 1e9, tz=UTC)
    else:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    local = dt.astimezone(TZ) if TZ else dt
    return f"{local:%Y-%m-%d %H:%M}" + ("" if TZ else " UTC")


def iso_time(value: int | str | None) -> str:
    """The machine-readable time for a `<time datetime=…>` attribute."""
    if isinstance(value, int):
        return datetime.fromtimestamp(value / 1e9, tz=UTC).isoformat().replace("+00:00", "Z")
    return value or ""
