"""A resident's own consents: give, list, withdraw. Every event is audited."""

from __future__ import annotations

from fastapi import APIRouter, status

from consent import ConsentRequest, ConsentView, give_consent, list_consents, withdraw_consent
from gateway.auth import Principal
from gateway.clock import from_datetime, rfc3339
from gateway.db import session_scope
from gateway.deps import ContextDep, PrincipalDep, ServicesDep
from gateway.errors import NotFound
from gateway.schemas import ConsentCreate, ConsentCreated, ConsentList, ConsentPublic

router = APIRouter(prefix="/v1", tags=["consents"])


def _require_resident(principal: Principal) -> None:
    if not principal.is_resident:
        # Professionals record consents on a resident's behalf through another route (later).
        raise NotFound("consents are managed by the resident with their own token")


def _public(view: ConsentView) -> ConsentPublic:
    c = view.consent
    return ConsentPublic(
        id=c.id,
        status=view.status.value,
        categories=c.categories,
        processing_activities=c.processing_activities,
        recipients=c.recipients,
        valid_from=rfc3339(c.valid_from_ns),
        valid_until=rfc3339(c.valid_until_ns) if c.valid_until_ns else None,
        given_at=rfc3339(c.given_at_ns),
        given_by=c.given_by,
        withdrawn_at=rfc3339(view.withdrawn_at_ns) if view.withdrawn_at_ns else None,
    )


@router.post("/consents", status_code=status.HTTP_201_CREATED, response_model=ConsentCreated)
def give(
    body: ConsentCreate, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> ConsentCreated:
    """Give consent: categories x processing activities x recipient domains."""
    _require_resident(principal)
    req = ConsentRequest(
        categories=body.categories,
        processing_activities=body.processing_activities,
        recipients=body.recipients,
        valid_until_ns=from_datetime(body.valid_until) if body.valid_until else None,
    )
    pseudonym = services.pseudonymize(principal.sub)
    with session_scope(services.db) as session:
        consent = give_consent(session, services.register, pseudonym, req, ctx.now_ns)
        services.pep.record_event(
            session, principal, "consent.given", pseudonym, ctx, consent_id=consent.id
        )
    return ConsentCreated(id=consent.id)


@router.post("/consents/{consent_id}/withdraw", response_model=ConsentPublic)
def withdraw(
    consent_id: str, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> ConsentPublic:
    """Withdraw a consent. It no longer counts from the very next request."""
    _require_resident(principal)
    pseudonym = services.pseudonymize(principal.sub)
    with session_scope(services.db) as session:
        view = withdraw_consent(session, pseudonym, consent_id, ctx.now_ns)
        services.pep.record_event(
            session, principal, "consent.withdrawn", pseudonym, ctx, consent_id=consent_id
        )
    return _public(view)


@router.get("/me/consents", response_model=ConsentList)
def my_consents(services: ServicesDep, principal: PrincipalDep, ctx: ContextDep) -> ConsentList:
    """Your consents, with their status now."""
    _require_resident(principal)
    with session_scope(services.db) as session:
        views = list_consents(session, services.pseudonymize(principal.sub), ctx.now_ns)
    return ConsentList(consents=[_public(v) for v in views])
