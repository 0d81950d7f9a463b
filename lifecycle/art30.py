"""The record of processing activities (AVG art. 30 lid 1) of a policy version, for the AP.

Generated from the register a version holds, for one profile, so it is never out of date:
the controller and its data protection officer with their contact details (the profile's
`controller` and `dpo`), and per activity its purpose, legal basis, categories of personal
data and of data subjects, recipients (the flows that pass its data on, and the regional
services that act under it), retention, and the security measures the gateway applies to
it. Language-neutral: labels come from the register (Dutch); a measure is a code the page
translates.
See docs/policy-lifecycle.md, "The processing register for the AP".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lifecycle.content import register_for
from registry import Register
from registry.models import Party

#: Applied to every activity by the gateway itself (docs/architecture.md).
ALWAYS = ("audit_trail", "purpose_binding", "policy_four_eyes", "pseudonymised_log")


@dataclass(frozen=True)
class Recipient:
    """Who receives data processed under an activity, and on which provision."""

    name: str
    article: str
    withheld: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    activity: str
    name: str
    purpose: str
    domain: str
    law: str
    article: str
    gdpr: str
    link: str
    consent_admissible: bool
    categories: tuple[str, ...]
    data_subjects: str
    recipients: tuple[Recipient, ...]
    retention_days: int
    confidential: bool
    measures: tuple[str, ...]


@dataclass(frozen=True)
class Record:
    """The art. 30 record of one profile under one version."""

    revision: str
    profile: str
    controller: str
    municipalities: tuple[str, ...]
    entries: tuple[Entry, ...]
    #: The controller's and the DPO's name and contact details (art. 30 lid 1 onder a), from
    #: the profile; None where the profile does not state them.
    controller_contact: Party | None = None
    dpo: Party | None = None


def _recipients(reg: Register, key: str) -> tuple[Recipient, ...]:
    act = reg.activities[key]
    own = {c for c in act.categories if reg.categories[c].domain in (act.domain, "shared")}
    found: list[Recipient] = []
    for flow in reg.flows:
        if flow.from_domain != act.domain or not own & set(flow.categories):
            continue
        for target in flow.activities:
            receiver = reg.activities[target]
            found.append(
                Recipient(
                    name=f"{reg.domains[flow.to_domain].label}: {receiver.label}",
                    article=flow.article,
                    withheld=flow.redact,
                )
            )
    for service in reg.regional_services.values():
        if key in service.activities:
            found.append(Recipient(name=service.label, article=act.legal_basis.article))
    return tuple(found)


def _measures(reg: Register, key: str) -> tuple[str, ...]:
    act = reg.activities[key]
    measures = list(ALWAYS)
    if act.break_glass:
        measures.append("emergency_access_review")
    if act.justification_required:
        measures.append("justification_review")
    if act.confidential:
        measures.append("confidential_period")
    if any(f.redact for f in reg.flows if key in f.activities):
        measures.append("redaction")
    if act.consent_admissible:
        measures.append("consent_where_admissible")
    return tuple(measures)


def record(revision: str, data: Mapping[str, Any], profile: str) -> Record:
    """The record of `profile` in a version's `data` (checked as the loader checks it)."""
    reg = register_for(data, profile)
    places = tuple(m.label for m in reg.municipalities.values())
    subjects = ", ".join(places)
    entries = tuple(
        Entry(
            activity=key,
            name=act.label,
            purpose=reg.purposes[act.purpose].label,
            domain=reg.domains[act.domain].label,
            law=act.legal_basis.law,
            article=act.legal_basis.article,
            gdpr=act.legal_basis.gdpr,
            link=act.legal_basis.link,
            consent_admissible=act.consent_admissible,
            categories=tuple(reg.categories[c].label for c in act.categories),
            data_subjects=subjects,
            recipients=_recipients(reg, key),
            retention_days=act.retention_days,
            confidential=act.confidential,
            measures=_measures(reg, key),
        )
        for key, act in reg.activities.items()
    )
    return Record(
        revision=revision,
        profile=reg.profile,
        controller=reg.controller.name if reg.controller else reg.profile_label,
        municipalities=places,
        entries=entries,
        controller_contact=reg.controller,
        dpo=reg.dpo,
    )


#: The CSV's columns, in order: heading keys `col_<name>`, translated by the caller.
COLUMNS = (
    "activity",
    "name",
    "purpose",
    "domain",
    "legal_basis",
    "gdpr_ground",
    "link",
    "consent_admissible",
    "data_categories",
    "data_subjects",
    "recipients",
    "retention_days",
    "confidential",
    "measures",
    "controller",
    "dpo",
)


def party_text(party: Party | None) -> str:
    """A party's name and contact details on one line; empty if not stated."""
    if party is None:
        return ""
    return "; ".join(v for v in (party.name, party.email, party.phone, party.address) if v)


def _row(e: Entry, t: Callable[..., str], rec: Record) -> list[str]:
    return [
        e.activity,
        e.name,
        e.purpose,
        e.domain,
        f"{e.law}; {e.article}",
        e.gdpr,
        e.link,
        t("yes") if e.consent_admissible else t("no"),
        "; ".join(e.categories),
        t("art30_subjects", places=e.data_subjects),
        "; ".join(
            f"{r.name} ({r.article})" + (f" [-{', '.join(r.withheld)}]" if r.withheld else "")
            for r in e.recipients
        ),
        str(e.retention_days),
        t("yes") if e.confidential else t("no"),
        "; ".join(t(f"measure_{m}") for m in e.measures),
        party_text(rec.controller_contact) or rec.controller,
        party_text(rec.dpo),
    ]


def _cell(value: str) -> str:
    # A cell a spreadsheet would read as a formula is quoted as text (CSV injection).
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(rec: Record, heading: Callable[..., str]) -> str:
    """The record as CSV (RFC 4180), headings through `heading` (a translation lookup)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([heading(f"col_{key}") for key in COLUMNS])
    for entry in rec.entries:
        writer.writerow([_cell(cell) for cell in _row(entry, heading, rec)])
    return out.getvalue()
