"""The consent text a resident is shown, in the resident's language, rendered from the scope.

The text is part of the consent: it is stored with it, word for word, with its language, its
template version and its SHA-256. A client that shows the text first (`preview`) can send the
hash back when the resident agrees; a different hash means the resident saw another text, and
the consent is refused. Labels come from the register, which keeps them in Dutch.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from consent.recipients import recipient_labels
from registry import Register

TEXT_VERSION = "2026-12"  # recipients are units and organisations (0006c)

_TEMPLATES = {
    "nl": (
        "Ik geef {controller} toestemming. {recipients} mag mijn gegevens over "
        "{categories} gebruiken voor: {activities}. Deze toestemming geldt {period}. Ik mag "
        "haar altijd intrekken; vanaf dat moment gebruikt niemand mijn gegevens nog op grond "
        "van deze toestemming. Als ik geen toestemming geef of haar intrek, krijg ik daardoor "
        "niet minder hulp."
    ),
    "en": (
        "I give my consent to {controller}. {recipients} may use my data on "
        "{categories} for: {activities}. This consent applies {period}. I can withdraw it at "
        "any time; from then on nobody uses my data on the basis of this consent. If I do not "
        "give or if I withdraw my consent, I will not get less help because of it."
    ),
}
_WORDS = {
    "nl": {"and": "en", "from": "vanaf", "until": "tot", "no_end": "zonder einddatum"},
    "en": {"and": "and", "from": "from", "until": "until", "no_end": "without an end date"},
}  # fmt: skip
LANGUAGES = tuple(_TEMPLATES)


@dataclass(frozen=True)
class ConsentText:
    language: str
    version: str
    text: str
    sha256: str


def organisations(register: Register, language: str = "nl") -> dict[str, str]:
    """The organisations of the profile's municipalities, by id, with a readable name."""
    prefix = {"nl": "gemeente", "en": "the municipality of"}[language]
    return {
        m.organisation: f"{prefix} {m.label}" if m.organisation.startswith("gemeente-") else m.label
        for m in register.municipalities.values()
    }


def _join(items: list[str], word: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def _when(ns: int) -> str:
    return datetime.fromtimestamp(ns // 1_000_000_000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def render(
    register: Register,
    *,
    controller: str,
    categories: list[str],
    processing_activities: list[str],
    recipients: list[str],
    valid_from_ns: int,
    valid_until_ns: int | None,
    language: str,
    now_ns: int,
) -> ConsentText:
    """The text for this scope. Call after validation: every id must be in the register."""
    w = _WORDS[language]
    period = (f"{w['from']} {_when(valid_from_ns)} " if valid_from_ns > now_ns else "") + (
        f"{w['until']} {_when(valid_until_ns)}" if valid_until_ns else w["no_end"]
    )
    names = organisations(register, language)
    who = recipient_labels(register, language)
    text = _TEMPLATES[language].format(
        controller=names[controller],
        recipients=_sentence_start(_join([who[r] for r in recipients], w["and"])),
        categories=_join([register.categories[c].label.lower() for c in categories], w["and"]),
        activities=_join(
            [register.activities[a].label.lower() for a in processing_activities], w["and"]
        ),
        period=period,
    )
    return ConsentText(
        language, TEXT_VERSION, text, hashlib.sha256(text.encode("utf-8")).hexdigest()
    )
