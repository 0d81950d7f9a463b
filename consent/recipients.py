"""Who a consent names as its recipient: a unit or an organisation, never a whole domain.

A consent names the unit (a wijkteam, the W&I unit, a regional service's unit) or the
organisation (a municipality, a regional service) that may use the data (AVG art. 4 sub 11:
specific; "the wijkteams" is not). The policy counts a consent only for a subject who belongs
to a named unit (`subject.teams`) or organisation (`subject.organisation`).

Consents from before this rule named domains (`team`, `work_income`, …). `narrow` says what
such a consent becomes, never wider than it was (issue 17, finding 6; docs/law.md):

- a domain recipient becomes the unit that recorded the consent
  (`consent_evidence.recorded_by_team`) where that unit is of the recipient domain (and of
  one of the organisations the consent names, if it names any), or else the organisations
  the consent already names (`recipient_organisations`);
- the old consent counted only under activities of its recipient domains, so the narrowed
  one keeps only those activities, and only the categories they may touch;
- a consent none of whose domains can be narrowed so stops counting (`None`).
"""

from __future__ import annotations

from dataclasses import dataclass

from registry import Register, Team


def organisation_labels(register: Register, language: str = "nl") -> dict[str, str]:
    """Every organisation of the profile by id, with a readable name: the municipalities'
    organisations and the regional services."""
    prefix = {"nl": "gemeente", "en": "the municipality of"}[language]
    names = {
        m.organisation: f"{prefix} {m.label}" if m.organisation.startswith("gemeente-") else m.label
        for m in register.municipalities.values()
    }
    names |= {org: s.label for org, s in register.regional_services.items()}
    return names


def recipient_labels(register: Register, language: str = "nl") -> dict[str, str]:
    """Every id a consent can name as recipient (units and organisations), with its name."""
    return {k: t.label for k, t in register.teams.items()} | organisation_labels(register, language)


def unit_organisation(register: Register, unit: Team) -> str:
    """The organisation a unit belongs to: its regional service, or its municipality's."""
    if unit.regional_service is not None:
        return unit.regional_service
    return register.municipalities[unit.municipality].organisation


def recipients_for(register: Register, municipality: str) -> dict[str, str]:
    """The units and organisations that work for `municipality` and may be named as recipient,
    with their names: its own units and organisation, and the regional services serving it
    with their units."""
    services = {o for o, s in register.regional_services.items() if municipality in s.serves}
    m = register.municipalities.get(municipality)
    labels = recipient_labels(register)
    units = [
        k
        for k, t in register.teams.items()
        if (t.regional_service is None and t.municipality == municipality)
        or (t.regional_service in services)
    ]
    orgs = ([m.organisation] if m else []) + sorted(services)
    return {k: labels[k] for k in units + orgs}


def municipality_of(register: Register, controller: str) -> str | None:
    """The municipality whose organisation is `controller`."""
    return next(
        (k for k, m in register.municipalities.items() if m.organisation == controller), None
    )


@dataclass(frozen=True)
class Narrowed:
    """The scope a consent with domain recipients keeps."""

    categories: list[str]
    processing_activities: list[str]
    recipients: list[str]


def narrow(
    register: Register,
    *,
    categories: list[str],
    processing_activities: list[str],
    recipients: list[str],
    recorded_by_team: str | None,
    organisations: list[str],
) -> Narrowed | None:
    """What a consent naming recipient domains becomes: its units or organisations, never
    wider (module docstring); `None` when it cannot be narrowed and stops counting."""
    unit = register.teams.get(recorded_by_team) if recorded_by_team else None
    known = organisation_labels(register)
    orgs = [o for o in organisations if o in known]
    named: set[str] = set()
    kept_domains: set[str] = set()
    for r in recipients:
        if r not in register.domains:  # already a unit or organisation
            named.add(r)
            continue
        if (
            unit is not None
            and recorded_by_team is not None
            and unit.domain == r
            and (not organisations or unit_organisation(register, unit) in organisations)
        ):
            named.add(recorded_by_team)
            kept_domains.add(r)
        elif orgs:
            named.update(orgs)
            kept_domains.add(r)
    had_domains = any(r in register.domains for r in recipients)
    acts = [
        a
        for a in processing_activities
        if a in register.activities
        and (not had_domains or register.activities[a].domain in kept_domains)
    ]
    cats = [c for c in categories if any(c in register.activities[a].categories for a in acts)]
    if not named or not acts or not cats:
        return None
    return Narrowed(sorted(set(cats)), sorted(set(acts)), sorted(named))
