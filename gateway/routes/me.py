"""The resident's access log: who looked at my data, when, and why."""

from __future__ import annotations

from fastapi import APIRouter

from audit import AuditRecord
from gateway.db import session_scope
from gateway.deps import PrincipalDep, ServicesDep
from gateway.errors import NotFound
from gateway.schemas import AccessLog, AccessLogEntry, LegalBasisPublic
from registry import Register

router = APIRouter(prefix="/v1/me", tags=["residents"])


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
    )


@router.get("/access-log", response_model=AccessLog)
def access_log(services: ServicesDep, principal: PrincipalDep) -> AccessLog:
    """Every access to your data, newest first: when, which activity and purpose, on what basis,
    by which organisation, team and role, and whether it was allowed."""
    if not principal.is_resident:
        raise NotFound("the access log is read by the resident with their own token")
    with session_scope(services.db) as session:
        records = services.audit.for_resident(session, services.pseudonymize(principal.sub))
        entries = [to_entry(services.register, r) for r in records]
    return AccessLog(entries=entries)
