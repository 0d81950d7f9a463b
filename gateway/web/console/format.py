"""How the console words what it shows: times in Dutch time (Europe/Amsterdam, as on the
resident pages), and the policy's reason codes in the officer's language (the policy's own
English and Dutch texts, `policy.reason_catalogue`). No logic about what may be shown."""

from __future__ import annotations

from functools import lru_cache

from gateway.localtime import iso_time, local_time
from policy import reason_catalogue

__all__ = ["iso_time", "local_time", "reason_texts"]


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
