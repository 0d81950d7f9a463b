"""The change between two versions' data in the register's terms, whatever made it:

    pw-reintegration: consent admissible no → yes
    zaanstad: team_wi_specialist gains pw-enforcement
    flow pw-data-to-enforcement: categories loses identity

one line per change, by register id, beside the JSON path diff (`service.diff`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

_ACTIVITY_WORDS = {
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
}


#: A profile's single-entry sections, and what each is called in a change line.
_PROFILE_PARTS = {"contact": "contact", "controller": "controller", "dpo": "DPO"}
_PART_WORDS = {
    "privacy_officer": "who answers",
    "answer_days": "answer term (days)",
    "url": "page",
}


def _word(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_word(v)}" for k, v in value.items())
    return str(value)


def _changed(subject: str, words: str, old: Any, new: Any) -> Iterator[str]:
    if old == new:
        return
    lists = isinstance(old, list | tuple) and isinstance(new, list | tuple)
    if lists and all(isinstance(v, str) for v in [*old, *new]):
        gained = [v for v in new if v not in old]
        lost = [v for v in old if v not in new]
        if gained:
            yield f"{subject}: {words} gains {', '.join(gained)}"
        if lost:
            yield f"{subject}: {words} loses {', '.join(lost)}"
        if not gained and not lost:
            yield f"{subject}: {words} reordered"
        return
    yield f"{subject}: {words} {_word(old)} → {_word(new)}"


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
    subject: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    words: Mapping[str, str],
    prefix: str = "",
) -> Iterator[str]:
    """Each entry (by id) added, removed or changed field by field (named `prefix` + id)."""
    for key in sorted(set(old) | set(new)):
        if key not in old:
            yield f"{subject} {key} added"
        elif key not in new:
            yield f"{subject} {key} removed"
        else:
            a, b = _flat(old[key]), _flat(new[key])
            for field in sorted(set(a) | set(b)):
                what = words.get(field, field.replace("_", " "))
                yield from _changed(f"{prefix}{key}", what, a.get(field), b.get(field))


def register_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What changed from `old` to `new` (a version's data), one line per change, in the
    register's terms."""
    changes: list[str] = []
    a, b = old.get("register", {}), new.get("register", {})
    acts_a, acts_b = a.get("activities", {}), b.get("activities", {})
    changes += _entries("activity", acts_a, acts_b, _ACTIVITY_WORDS)
    flows_a = {f.get("id"): f for f in a.get("flows", [])}
    flows_b = {f.get("id"): f for f in b.get("flows", [])}
    changes += _entries("flow", flows_a, flows_b, {}, "flow ")
    changes += _entries(
        "category", a.get("categories", {}), b.get("categories", {}), {}, "category "
    )
    for section in sorted((set(a) | set(b)) - {"activities", "flows", "categories"}):
        if a.get(section) != b.get(section):
            changes.append(f"register: {section.replace('_', ' ')} changed")
    pa, pb = old.get("profiles", {}), new.get("profiles", {})
    for name in sorted(set(pa) | set(pb)):
        if name not in pa or name not in pb:
            changes.append(f"profile {name} {'added' if name not in pa else 'removed'}")
            continue
        x, y = pa[name], pb[name]
        ma, mb = x.get("mandates", {}), y.get("mandates", {})
        for role in sorted(set(ma) | set(mb)):
            gained = [v for v in mb.get(role, []) if v not in ma.get(role, [])]
            lost = [v for v in ma.get(role, []) if v not in mb.get(role, [])]
            changes += [f"{name}: {role} gains {act}" for act in gained]
            changes += [f"{name}: {role} loses {act}" for act in lost]
        for section, what in (("teams", "team"), ("regional_services", "regional service")):
            changes += [
                f"{name}: {line}"
                for line in _entries(what, x.get(section, {}), y.get(section, {}), {}, f"{what} ")
            ]
        for section, what in _PROFILE_PARTS.items():
            old, new = x.get(section), y.get(section)
            if old == new:
                continue
            if not isinstance(old, dict) or not isinstance(new, dict):
                how = "added" if old is None else "removed" if new is None else "changed"
                changes.append(f"{name}: {what} {how}")
                continue
            for field in sorted(set(old) | set(new)):
                words = f"{what} {_PART_WORDS.get(field, field.replace('_', ' '))}"
                changes += _changed(name, words, old.get(field), new.get(field))
        skip = {"mandates", "teams", "regional_services", *_PROFILE_PARTS}
        for section in sorted((set(x) | set(y)) - skip):
            if x.get(section) != y.get(section):
                changes.append(f"{name}: {section.replace('_', ' ')} changed")
    return changes
