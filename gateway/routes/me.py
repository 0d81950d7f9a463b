"""The resident's access log: who looked at my data, when, and why. In plain Dutch (B1).

Entries of a confidential activity (enforcement, AVG art. 23 / UAVG art. 41) are held back
only while an investigation into the resident is registered (`investigations`): an entry that
occurred while an investigation was running is held back as long as that investigation still
runs; once it is closed the entries appear, and the log says until when they were held back.
Held-back entries are counted, not hidden: the answer says how many, and each holding back is
itself audited (`access_log.held_back`). Never an employee id, never record content.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import Session

from audit import AuditRecord
from consent.texts import organisations
from gateway.clock import rfc3339
from gateway.db import session_scope
from gateway.deps import ContextDep, PrincipalDep, ServicesDep
from gateway.errors import InvalidField, NotFound
from gateway.localtime import TZ
from gateway.schemas import MAX_SEQ, AccessLog, AccessLogEntry, HeldBackPeriod, LegalBasisPublic
from gateway.services import Services
from investigations import Investigation, investigations_of
from registry import Register

router = APIRouter(prefix="/v1/me", tags=["residents"])

_VERBS = {"read": ("heeft", "bekeken", "bekijken"), "create": ("heeft", "vastgelegd", "vastleggen")}


def _basis(reg: Register, rec: AuditRecord) -> LegalBasisPublic | None:
    if not rec.basis_type or not rec.basis_ref:
        return None
    if rec.basis_type == "consent":
        return LegalBasisPublic(
            type="consent",
            ref=rec.basis_ref,
            article="AVG art. 6 lid 1 onder a",
            explanation="U heeft hiervoor zelf toestemming gegeven.",
        )
    act = reg.activities.get(rec.processing_activity)
    law = act.legal_basis if act and act.legal_basis.article == rec.basis_ref else None
    flow = next((f for f in reg.flows if f.article == rec.basis_ref), None)
    return LegalBasisPublic(
        type=rec.basis_type,
        ref=rec.basis_ref,
        article=law.article if law else (flow.article if flow else None),
        link=law.link if law else (flow.link if flow else None),
        explanation=law.explanation if law else None,
    )


def organisation_label(reg: Register, organisation: str) -> str:
    """The name the pages use ("gemeente Zaanstad", "Regionale Sociale Dienst …"), else the id."""
    if organisation in reg.regional_services:
        return reg.regional_services[organisation].label
    return organisations(reg).get(organisation, organisation)


_INVESTIGATION_EVENTS = {
    "investigation.create": "De gemeente is een onderzoek naar u begonnen.",
    "investigation.close": "De gemeente heeft het onderzoek naar u afgesloten.",
    "investigation.read": "De gemeente heeft bekeken welke onderzoeken naar u er zijn.",
}

_QUESTION_EVENTS = {
    "question.create": "U heeft een vraag gesteld aan de privacy officer.",
    "question.read": "De privacy officer heeft uw vraag gelezen.",
    "question.answer": "De privacy officer heeft uw vraag beantwoord.",
}


def summary(reg: Register, rec: AuditRecord) -> str:
    """One or two short sentences in plain Dutch: who (role, never a name), what, why, and
    whether it was allowed. Organisations by the names the pages use."""
    if rec.event_type == "consent.given":
        return "U heeft toestemming gegeven."
    if rec.event_type == "consent.withdrawn":
        return "U heeft uw toestemming ingetrokken."
    if rec.event_type in _QUESTION_EVENTS and rec.allowed:
        return _QUESTION_EVENTS[rec.event_type]
    if rec.event_type in _INVESTIGATION_EVENTS and rec.allowed:
        return _INVESTIGATION_EVENTS[rec.event_type]
    role = next((reg.roles[r].label for r in rec.subject_roles if r in reg.roles), None)
    who = f"Een medewerker ({role.lower()})" if role else "Een medewerker"
    org = f" van {organisation_label(reg, rec.organisation)}" if rec.organisation else ""
    cat = reg.categories.get(rec.category or "")
    what = f"uw gegevens over '{cat.label.lower()}'" if cat else "uw gegevens"
    act = reg.activities.get(rec.processing_activity)
    why = f" voor '{act.label.lower()}'" if act else ""
    aux, done, infinitive = _VERBS.get(rec.action, ("heeft", "gebruikt", "gebruiken"))
    if not rec.allowed:
        return f"{who}{org} wilde {what}{why} {infinitive}. Dat mocht niet. Het is geweigerd."
    reason = {
        "consent": "U heeft daarvoor toestemming gegeven.",
        "law": "De wet staat dat toe.",
        "role": "Dat hoort bij het werk van deze medewerker.",
        "break_glass": "Dat was een noodgeval. De privacy officer controleert dit altijd.",
        "exception": "Een tweede medewerker heeft dat vooraf goedgekeurd.",
    }.get(rec.basis_type or "", "Dat mocht.")
    return f"{who}{org} {aux} {what}{why} {done}. {reason}"


def held_back_message(n: int) -> str | None:
    if n == 0:
        return None
    regels = "1 regel is" if n == 1 else f"{n} regels zijn"
    return (
        f"{regels} nog niet zichtbaar. Dat komt doordat de gemeente nog een onderzoek doet. "
        "U ziet deze regels als het onderzoek klaar is."
    )


_MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]


def dutch_date(ns: int) -> str:
    """`5 juni 2026`, the day in Dutch time."""
    dt = datetime.fromtimestamp(ns / 1e9, tz=UTC)
    local = dt.astimezone(TZ) if TZ else dt
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}"


def held_back_ended_message(periods: list[Investigation]) -> str | None:
    """In plain Dutch, per investigation that has ended: until when its entries were held back."""
    lines = [
        f"Van {dutch_date(i.opened_at_ns)} tot {dutch_date(i.closed_at_ns)} deed de gemeente "
        f"een onderzoek. Regels uit die tijd waren tot {dutch_date(i.closed_at_ns)} niet "
        "zichtbaar. Nu ziet u ze wel."
        for i in periods
        if i.closed_at_ns is not None
    ]
    return " ".join(lines) or None


def held_back_from(reg: Register, investigations: list[Investigation]) -> dict[str, str]:
    """The one rule: per confidential activity, the RFC 3339 time from which its entries about
    the resident are held back now, the opening of the earliest investigation into them that
    is still running. An entry that occurred while an investigation ran, and that one still
    runs, is held back; nothing else is (no investigation running: nothing at all)."""
    running = [i.opened_at_ns for i in investigations if i.running]
    if not running:
        return {}
    start = rfc3339(min(running))
    return {name: start for name, act in reg.activities.items() if act.confidential}


def is_held_back(reg: Register, session: Session, rec: AuditRecord) -> bool:
    """`rec` is held back from its resident now: the same rule as the access log's
    (`AuditStore.resident_log` with `held_back_from`), for the routes that read one entry."""
    if not rec.resident:
        return False
    cutoff = held_back_from(reg, investigations_of(session, rec.resident)).get(
        rec.processing_activity
    )
    return cutoff is not None and rec.occurred_at >= cutoff


def to_entry(reg: Register, rec: AuditRecord) -> AccessLogEntry:
    """An audit record as the resident sees it, on every route (the access log, one entry):
    an allow-list of fields. No employee id, no `details`, no policy input, no content."""
    act = reg.activities.get(rec.processing_activity)
    purpose = reg.purposes.get(rec.purpose)
    return AccessLogEntry(
        seq=rec.seq,
        when=rec.occurred_at,
        event=rec.event_type,
        action=rec.action,
        category=rec.category,
        processing_activity=rec.processing_activity,
        processing_activity_label=act.label if act else None,
        purpose=rec.purpose,
        purpose_label=purpose.label if purpose else None,
        legal_basis=_basis(reg, rec),
        consent_id=rec.consent_id,
        organisation=rec.organisation,
        teams=rec.subject_teams,
        roles=rec.subject_roles,
        allowed=rec.allowed,
        reasons=rec.reason_codes,
        summary=summary(reg, rec),
        proof=f"/v1/audit/proofs/inclusion?seq={rec.seq}",
    )


def visible_entry(
    services: Services, session: Session, pseudonym: str, seq: int
) -> AuditRecord | None:
    """Entry `seq` if the resident sees it in their own access log now: about them, not the
    log's bookkeeping, and not held back for a running investigation; else None."""
    rec = session.get(AuditRecord, seq)
    if rec is None or rec.resident != pseudonym or rec.event_type.startswith("access_log."):
        return None
    return None if is_held_back(services.register, session, rec) else rec


def _day(d: date) -> str:
    return f"{d.isoformat()}T00:00:00.000000Z"


@router.get("/access-log", response_model=AccessLog)
def access_log(
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    since: Annotated[
        date | None, Query(alias="from", description="First day (YYYY-MM-DD).")
    ] = None,
    until: Annotated[date | None, Query(alias="to", description="Last day (YYYY-MM-DD).")] = None,
    category: Annotated[str | None, Query(description="A data category, e.g. health.")] = None,
    limit: Annotated[int, Query(gt=0, le=200)] = 50,
    before_seq: Annotated[
        int | None, Query(gt=0, le=MAX_SEQ, description="For the next page.")
    ] = None,
) -> AccessLog:
    """Every access to your data, newest first: when, which activity and purpose, on what basis,
    by which organisation, team and role, and whether it was allowed."""
    if not principal.is_resident:
        raise NotFound("the access log is read by the resident with their own token")
    reg = services.register
    if category is not None and category not in reg.categories:
        raise InvalidField("category", "unknown category")
    pseudonym = services.pseudonymize(principal.sub)
    with session_scope(services.db) as session:
        investigations = investigations_of(session, pseudonym)
        records, held_back = services.audit.resident_log(
            session,
            pseudonym,
            held_back_from=held_back_from(reg, investigations),
            limit=limit,
            before_seq=before_seq,
            since=_day(since) if since else None,
            # The last day there is has no day after it, and needs no upper bound.
            until=_day(until + timedelta(days=1)) if until and until < date.max else None,
            category=category,
        )
        entries = [to_entry(reg, r) for r in records]
        if held_back:
            services.pep.record_event(
                session,
                principal,
                "access_log.held_back",
                pseudonym,
                ctx,
                activity="own-access",
                details={"held_back": str(held_back)},
            )
    return AccessLog(
        entries=entries,
        held_back=held_back,
        held_back_message=held_back_message(held_back),
        held_back_ended=[
            HeldBackPeriod(
                investigation_started=rfc3339(i.opened_at_ns),
                held_back_until=rfc3339(i.closed_at_ns),
            )
            for i in investigations
            if i.closed_at_ns is not None
        ],
        held_back_ended_message=held_back_ended_message(investigations),
        next_before_seq=entries[-1].seq if len(entries) == limit else None,
    )
