"""Four-eyes exceptions (DESIGN rule 1, fourth bullet): one person requests, a different person
approves, and for a limited time the policy allows the named employee what it covers (basis
`exception`, always reviewed). Every event is audited in the same transaction."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlmodel import Session

from exceptions import (
    Actor,
    ExceptionNotAllowed,
    ExceptionRequest,
    ExceptionStatus,
    ExceptionView,
    approve_exception,
    get_exception,
    list_exceptions,
    request_exception,
    revoke_exception,
)
from gateway.auth import Principal
from gateway.clock import rfc3339
from gateway.db import session_scope
from gateway.deps import ContextDep, PrincipalDep, ServicesDep
from gateway.pep import RequestContext
from gateway.schemas import ExceptionCreate, ExceptionList, ExceptionPublic, ExceptionRevoke
from gateway.services import Services

router = APIRouter(prefix="/v1/exceptions", tags=["exceptions"])


def _actor(principal: Principal) -> Actor:
    actor = Actor(principal.sub, principal.roles, principal.municipality)
    if not actor.professional:
        raise ExceptionNotAllowed("exceptions are for professionals")
    return actor


def _public(view: ExceptionView) -> ExceptionPublic:
    x, approved, revoked = view.exception, view.approved, view.revoked
    return ExceptionPublic(
        id=x.id,
        status=view.status.value,
        resident_pseudonym=x.resident_pseudonym,
        municipality=x.municipality,
        subject=x.subject,
        categories=x.categories,
        processing_activities=x.processing_activities,
        justification=x.justification,
        valid_days=x.valid_days,
        requested_by=x.requested_by,
        requested_at=rfc3339(x.requested_at_ns),
        approved_by=approved.actor if approved else None,
        valid_from=rfc3339(approved.at_ns) if approved else None,
        valid_until=rfc3339(approved.valid_until_ns)
        if approved and approved.valid_until_ns
        else None,
        revoked_by=revoked.actor if revoked else None,
        revoked_at=rfc3339(revoked.at_ns) if revoked else None,
        revoke_reason=revoked.note if revoked else None,
    )


def _audit(
    services: Services,
    session: Session,
    principal: Principal,
    event: str,
    view: ExceptionView,
    ctx: RequestContext,
) -> None:
    """`exception.<event>`: ids and scope only; the justification stays in the exception."""
    x = view.exception
    services.pep.record_event(
        session,
        principal,
        f"exception.{event}",
        x.resident_pseudonym,
        ctx,
        activity=x.processing_activities[0] if len(x.processing_activities) == 1 else "",
        details={
            "exception_id": x.id,
            "exception_subject": x.subject,
            "categories": ",".join(x.categories),
            "processing_activities": ",".join(x.processing_activities),
            **({"valid_until": rfc3339(view.valid_until_ns)} if view.valid_until_ns else {}),
        },
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ExceptionPublic)
def request(
    body: ExceptionCreate, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> ExceptionPublic:
    """Ask for an exception, for yourself or a colleague (`subject`). It allows nothing until
    a team lead or the privacy officer other than you approves it."""
    actor = _actor(principal)
    req = ExceptionRequest(
        subject=body.subject,
        categories=body.categories,
        processing_activities=body.processing_activities,
        justification=body.justification,
        valid_days=body.valid_days,
    )
    with session_scope(services.db) as session:
        view = request_exception(
            session,
            services.register,
            req,
            requester=actor,
            resident_pseudonym=services.pseudonymize(body.resident),
            now_ns=ctx.now_ns,
        )
        _audit(services, session, principal, "requested", view, ctx)
    return _public(view)


@router.post("/{exception_id}/approve", response_model=ExceptionPublic)
def approve(
    exception_id: str, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> ExceptionPublic:
    """The second pair of eyes: a team lead or the privacy officer, not the requester and not
    the employee it is for (403 `four_eyes`). It holds from now for its `valid_days`."""
    actor = _actor(principal)
    with session_scope(services.db) as session:
        view = approve_exception(session, exception_id, approver=actor, now_ns=ctx.now_ns)
        _audit(services, session, principal, "approved", view, ctx)
    return _public(view)


@router.post("/{exception_id}/revoke", response_model=ExceptionPublic)
def revoke(
    exception_id: str,
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    body: ExceptionRevoke | None = None,
) -> ExceptionPublic:
    """End a pending or active exception at once (the requester, the employee it is for, or
    an approver); it allows nothing from the next request on."""
    actor = _actor(principal)
    with session_scope(services.db) as session:
        view = revoke_exception(
            session,
            exception_id,
            actor=actor,
            now_ns=ctx.now_ns,
            note=body.reason if body else None,
        )
        _audit(services, session, principal, "revoked", view, ctx)
    return _public(view)


@router.get("", response_model=ExceptionList)
def list_all(
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    status: Annotated[ExceptionStatus | None, Query()] = None,
    resident: Annotated[str | None, Query(max_length=64)] = None,
) -> ExceptionList:
    """Team leads and privacy officers see their municipality's exceptions; others the ones
    they asked for or hold. Filter by `status` or `resident` (a BSN, pseudonymised here)."""
    actor = _actor(principal)
    with session_scope(services.db) as session:
        views = list_exceptions(
            session,
            actor=actor,
            now_ns=ctx.now_ns,
            status=status,
            resident_pseudonym=services.pseudonymize(resident) if resident else None,
        )
    return ExceptionList(exceptions=[_public(v) for v in views])


@router.get("/{exception_id}", response_model=ExceptionPublic)
def read(
    exception_id: str, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> ExceptionPublic:
    """One exception, if you may see it (else 404)."""
    actor = _actor(principal)
    with session_scope(services.db) as session:
        view = get_exception(session, exception_id, actor=actor, now_ns=ctx.now_ns)
    return _public(view)
