"""The resident's access log: who looked at my data, when, and why. In plain Dutch (B1).

Entries of a confidential activity (a running fraud investigation, AVG art. 23 / UAVG art. 41)
are held back until the register's `confidential_days` after the access have passed. They are
counted, not hidden: the answer says how many, and each holding back is itself audited
(`access_log.held_back`). Never an employee id, never record content.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from audit import AuditRecord
from gateway.clock import rfc3339
from gateway.db import session_scope
from gateway.deps import ContextDep, PrincipalDep, ServicesDep
from gateway.errors import InvalidField, NotFound
from gateway.schemas import MAX_SEQ, AccessLog, AccessLogEntry, LegalBasisPublic
from registry import Register

router = APIRouter(prefix="/v1/me", tags=["residents"])

_DAY_NS = 86_400 * 1_000_000_000
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


def summary(reg: Register, rec: AuditRecord) -> str:
    """One or two short sentences in plain Dutch: who (role, never a name), what, why, and
    whether it was allowed."""
    if rec.event_type == "consent.given":
        return "U heeft toestemming gegeven."
    if rec.event_type == "consent.withdrawn":
        return "U heeft uw toestemming ingetrokken."
    role = next((reg.roles[r].label for r in rec.subject_roles if r in reg.roles), None)
    who = f"Een medewerker ({role.lower()})" if role else "Een medewerker"
    org = f" van {rec.organisation}" if rec.organisation else ""
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
        "U ziet deze regels later, als de termijn van het onderzoek voorbij is."
    )


def to_entry(reg: Register, rec: AuditRecord) -> AccessLogEntry:
    """An audit record as the resident sees it: no employee id, no content."""
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
    held_back_after = {
        name: rfc3339(ctx.now_ns - act.confidential_days * _DAY_NS)
        for name, act in reg.activities.items()
        if act.confidential_days > 0
    }
    with session_scope(services.db) as session:
        records, held_back = services.audit.resident_log(
            session,
            pseudonym,
            held_back_after=held_back_after,
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
        next_before_seq=entries[-1].seq if len(entries) == limit else None,
    )
