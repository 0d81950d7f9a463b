"""The change between two versions' data in the register's terms, whatever made it:

    pw-reintegration: consent admissible no → yes
    zaanstad: team_wi_specialist gains pw-enforcement
    flow pw-data-to-enforcement: categories loses identity

one line per change, by register id, beside the JSON path diff (`service.diff`).

`changes` gives each line as a `Change`: what happened (`how`), to what (`subject`, `what`)
and the values, with the register's words as `Word` keys, so that a reader can word it in
its own language (the console: `gateway/web/console/i18n_register.py`). `register_changes`
words them in English, as the API answers them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any


class Word(str):
    """A register word to be translated (a field, a kind of entry, yes/no), not an id."""

    __slots__ = ()


Term = str  # an id as it is, or a `Word`

#: The English words for the register's fields and kinds of entries; a field not named here
#: reads as its key with spaces (`no_dossier` → "no dossier").
WORDS: dict[str, str] = {
    # an activity's fields
    "label": "label",
    "purpose": "purpose",
    "domain": "domain",
    "consent_admissible": "consent admissible",
    "categories": "categories",
    "retention_days": "retention (days)",
    "break_glass": "emergency access",
    "justification_required": "justification required",
    "confidential": "held back during an investigation",
    "legal_basis.law": "law",
    "legal_basis.article": "article",
    "legal_basis.gdpr": "GDPR ground",
    "legal_basis.link": "link",
    "legal_basis.explanation": "explanation",
    # a flow's, a team's, a regional service's fields
    "from_domain": "from domain",
    "to_domain": "to domain",
    "activities": "activities",
    "article": "article",
    "link": "link",
    "grounds": "grounds",
    "explanation": "explanation",
    "redact": "redact",
    "municipality": "municipality",
    "regional_service": "regional service",
    "no_dossier": "no dossier",
    "serves": "serves",
    "domains": "domains",
    # a profile's single-entry parts and their fields
    "contact": "contact",
    "controller": "controller",
    "dpo": "DPO",
    "privacy_officer": "who answers",
    "answer_days": "answer term (days)",
    "url": "page",
    "name": "name",
    "email": "email",
    "phone": "phone",
    "address": "address",
    # kinds of entries, and the register's and a profile's other sections
    "activity": "activity",
    "flow": "flow",
    "category": "category",
    "team": "team",
    "profile": "profile",
    "purposes": "purposes",
    "roles": "roles",
    "no_basis": "no basis",
    "municipalities": "municipalities",
    "mandates": "mandates",
    "teams": "teams",
    "regional_services": "regional services",
    # values
    "yes": "yes",
    "no": "no",
    "none": "none",
}

#: How each kind of change reads in English.
TEMPLATES: dict[str, str] = {
    "set": "{subject}: {what} {old} → {new}",
    "gains": "{subject}: {what} gains {items}",
    "loses": "{subject}: {what} loses {items}",
    "reordered": "{subject}: {what} reordered",
    "mandate_gains": "{subject}: {what} gains {items}",
    "mandate_loses": "{subject}: {what} loses {items}",
    "added": "{subject} added",
    "removed": "{subject} removed",
    "changed": "{subject} changed",
}

#: A profile's single-entry sections.
_PROFILE_PARTS = ("contact", "controller", "dpo")


@dataclass(frozen=True)
class Change:
    """One change in the register's terms: `how` (a key of `TEMPLATES`), the entry it is
    about (`subject`), the field (`what`), and the values (`old` → `new`, or `items` gained
    or lost)."""

    how: str
    subject: tuple[Term, ...]
    what: tuple[Term, ...] = ()
    old: Any = None
    new: Any = None
    items: tuple[str, ...] = ()

    def words(self, templates: Mapping[str, str], word: Callable[[str], str]) -> str:
        """This change in the language of `templates` and `word` (a register word's key →
        its text)."""

        def terms(seq: tuple[Term, ...]) -> str:
            return " ".join(word(t) if isinstance(t, Word) else t for t in seq)

        def value(v: Any) -> str:
            if v is None:
                return "—"
            if isinstance(v, bool):
                return word("yes" if v else "no")
            if isinstance(v, list | tuple):
                return ", ".join(str(x) for x in v) or word("none")
            if isinstance(v, dict):
                return ", ".join(f"{k}={value(x)}" for k, x in v.items())
            return str(v)

        return templates[self.how].format(
            subject=terms(self.subject),
            what=terms(self.what),
            old=value(self.old),
            new=value(self.new),
            items=", ".join(self.items),
        )

    @property
    def text(self) -> str:
        """In English, as the API says it."""
        return self.words(TEMPLATES, english)


def english(key: str) -> str:
    return WORDS.get(key, key.replace("_", " "))


def _changed(
    subject: tuple[Term, ...], what: tuple[Term, ...], old: Any, new: Any
) -> Iterator[Change]:
    if old == new:
        return
    lists = isinstance(old, list | tuple) and isinstance(new, list | tuple)
    if lists and all(isinstance(v, str) for v in [*old, *new]):
        gained = tuple(v for v in new if v not in old)
        lost = tuple(v for v in old if v not in new)
        if gained:
            yield Change("gains", subject, what, items=gained)
        if lost:
            yield Change("loses", subject, what, items=lost)
        if not gained and not lost:
            yield Change("reordered", subject, what)
        return
    yield Change("set", subject, what, old, new)


def _flat(entry: Mapping[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in entry.items() if not isinstance(v, dict)}
    if isinstance(flat.get("grounds"), list):  # a flow's grounds: "<article> (<kind>)"
        flat["grounds"] = [
            f"{g.get('article')} ({g.get('kind')})" if isinstance(g, dict) else str(g)
            for g in flat["grounds"]
        ]
    for key, value in entry.items():
        if isinstance(value, dict):
            flat |= {f"{key}.{k}": v for k, v in value.items()}
    return flat


def _entries(
    kind: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    head: tuple[Term, ...] = (),
    *,
    named: bool = True,
) -> Iterator[Change]:
    """Each entry (by id) added, removed or changed field by field; `head` before it (a
    profile), the kind's word before the id in a field's change if `named`."""
    for key in sorted(set(old) | set(new)):
        if key not in old:
            yield Change("added", (*head, Word(kind), key))
        elif key not in new:
            yield Change("removed", (*head, Word(kind), key))
        else:
            a, b = _flat(old[key]), _flat(new[key])
            subject = (*head, Word(kind), key) if named else (*head, key)
            for field in sorted(set(a) | set(b)):
                yield from _changed(subject, (Word(field),), a.get(field), b.get(field))


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """What changed from `old` to `new` (a version's data), one `Change` per line."""
    found: list[Change] = []
    a, b = old.get("register", {}), new.get("register", {})
    found += _entries("activity", a.get("activities", {}), b.get("activities", {}), named=False)
    flows_a = {f.get("id"): f for f in a.get("flows", [])}
    flows_b = {f.get("id"): f for f in b.get("flows", [])}
    found += _entries("flow", flows_a, flows_b)
    found += _entries("category", a.get("categories", {}), b.get("categories", {}))
    for section in sorted((set(a) | set(b)) - {"activities", "flows", "categories"}):
        if a.get(section) != b.get(section):
            found.append(Change("changed", ("register:", Word(section))))
    pa, pb = old.get("profiles", {}), new.get("profiles", {})
    for name in sorted(set(pa) | set(pb)):
        if name not in pa or name not in pb:
            found.append(Change("added" if name not in pa else "removed", (Word("profile"), name)))
            continue
        x, y = pa[name], pb[name]
        head = (f"{name}:",)
        ma, mb = x.get("mandates", {}), y.get("mandates", {})
        for role in sorted(set(ma) | set(mb)):
            gained = [v for v in mb.get(role, []) if v not in ma.get(role, [])]
            lost = [v for v in ma.get(role, []) if v not in mb.get(role, [])]
            found += [Change("mandate_gains", (name,), (role,), items=(act,)) for act in gained]
            found += [Change("mandate_loses", (name,), (role,), items=(act,)) for act in lost]
        for section, kind in (("teams", "team"), ("regional_services", "regional_service")):
            found += _entries(kind, x.get(section, {}), y.get(section, {}), head)
        for part in _PROFILE_PARTS:
            before, after = x.get(part), y.get(part)
            if before == after:
                continue
            if not isinstance(before, dict) or not isinstance(after, dict):
                how = "added" if before is None else "removed" if after is None else "changed"
                found.append(Change(how, (*head, Word(part))))
                continue
            for field in sorted(set(before) | set(after)):
                found += _changed(
                    (name,), (Word(part), Word(field)), before.get(field), after.get(field)
                )
        skip = {"mandates", "teams", "regional_services", *_PROFILE_PARTS}
        for section in sorted((set(x) | set(y)) - skip):
            if x.get(section) != y.get(section):
                found.append(Change("changed", (*head, Word(section))))
    return found


def register_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What changed from `old` to `new` (a version's data), one line per change, in the
    register's terms, in English."""
    return [c.text for c in changes(old, new)]
