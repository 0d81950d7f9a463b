"""How the console words what it shows: times in Dutch time (Europe/Amsterdam, as on the
resident pages), and the policy's reason codes in the officer's language (the policy's own
`msg_<code>` / `msg_nl_<code>` texts). No logic about what may be shown."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from policy import reason_catalogue

try:
    _TZ: ZoneInfo | None = ZoneInfo("Europe/Amsterdam")
except ZoneInfoNotFoundError:  # no tz database on this machine: show UTC and say so
    _TZ = None


def local_time(value: int | str | None) -> str:
    """`2026-11-29 15:03` in Dutch time, from nanoseconds or an RFC 3339 UTC time; the zone
    is named only when it is not Dutch time (no tz database here)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, int):
        dt = datetime.fromtimestamp(value / 1e9, tz=UTC)
    else:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    local = dt.astimezone(_TZ) if _TZ else dt
    return f"{local:%Y-%m-%d %H:%M}" + ("" if _TZ else " UTC")


def iso_time(value: int | str | None) -> str:
    """The machine-readable time for a `<time datetime=…>` attribute."""
    if isinstance(value, int):
        return datetime.fromtimestamp(value / 1e9, tz=UTC).isoformat().replace("+00:00", "Z")
    return value or ""


def reason_texts(modules: tuple[tuple[str, str], ...], lang: str) -> dict[str, str]:
    """Reason code → the policy's message in `lang` (Dutch: `message_nl`)."""
    return dict(_reason_texts(modules, lang))


@lru_cache(maxsize=8)
def _reason_texts(modules: tuple[tuple[str, str], ...], lang: str) -> tuple[tuple[str, str], ...]:
    key = "message_nl" if lang == "nl" else "message"
    return tuple(
        (code, texts.get(key) or texts.get("message") or code)
        for code, texts in reason_catalogue(dict(modules)).items()
    )
