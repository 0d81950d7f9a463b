"""Consents: the resident gives, lists, withdraws and downloads receipts; a wijkteam records a
consent given in a conversation. Every consent event is audited in the same transaction."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from sqlmodel import Session

from consent import (
    ConsentRequest,
    ConsentValidationError,
    ConsentView,
    consent_receipt,
    consent_text,
    get_consent,
    give_consent,
    list_consents,
    recorded_by,
    withdraw_consent,
)
from consent.service import RESIDENT, GivenBy
from gateway.auth import Principal
from gateway.clock import from_datetime, rfc3339
from gateway.db import session_scope
from gateway.deps import ContextDep, PrincipalDep, ServicesDep
from gateway.errors import NotFound
from gateway.facts import holding_units
from gateway.pep import NO_ACTIVITY, RequestContext, ResourceFacts
from gateway.schemas import (
    ConsentCreate,
    ConsentCreated,
    ConsentHistoryPublic,
    ConsentList,
    ConsentPublic,
    ConsentRecordCreate,
    ConsentTextPublic,
    ConsentUsePublic,
)
from gateway.services import Services

router = APIRouter(prefix="/v1", tags=["consents"])

_GIVEN_BY_LABEL = {
    "resident": "door uzelf gegeven",
    "team": "vastgelegd door uw wijkteam, na een gesprek met u",
}


def _require_resident(principal: Principal) -> None:
    if not principal.is_resident:
        # Professionals record a consent through POST /v1/residents/{resident}/consents.
        raise NotFound("consents are managed by the resident with their own token")


def _controller(services: Services, principal: Principal) -> str:
    """The organisation responsible for the consent: the caller's municipality."""
    m = services.register.municipalities.get(principal.municipality)
    if m is None:
        raise ConsentValidationError("municipality", "not served by this gateway")
    return m.organisation


def _request(body: ConsentCreate) -> ConsentRequest:
    return ConsentRequest(
        categories=body.categories,
        processing_activities=body.processing_activities,
        recipients=body.recipients,
        valid_from_ns=from_datetime(body.valid_from) if body.valid_from else None,
        valid_until_ns=from_datetime(body.valid_until) if body.valid_until else None,
        language=body.language,
        text_sha256=body.text_sha256,
        supersedes=body.supersedes,
    )


def _uses(
    services: Services, session: Session, pseudonym: str
) -> dict[str, list[ConsentUsePublic]]:
    """The allowed accesses that cite a consent, by consent id, newest first."""
    reg = services.register
    out: dict[str, list[ConsentUsePublic]] = {}
    for rec in services.audit.for_resident(session, pseudonym):
        act = reg.activities.get(rec.processing_activity)
        # Accesses under a confidential activity stay out of the resident's view (the access
        # log decides when they show); no such activity admits consent in the default register.
        if not rec.allowed or not rec.consent_id or rec.event_type.startswith("consent."):
            continue
        if act is not None and act.confidential:
            continue
        out.setdefault(rec.consent_id, []).append(
            ConsentUsePublic(
                seq=rec.seq,
                when=rec.occurred_at,
                action=rec.action,
                category=rec.category,
                processing_activity=rec.processing_activity,
                processing_activity_label=act.label if act else None,
                organisation=rec.organisation,
                teams=rec.subject_teams,
                roles=rec.subject_roles,
            )
        )
    return out


def _public(view: ConsentView, uses: list[ConsentUsePublic] | None = None) -> ConsentPublic:
    c, ev = view.consent, view.evidence
    given_by = "resident" if view.method == "digital" else "team"
    return ConsentPublic(
        id=c.id,
        status=view.status.value,
        categories=c.categories,
        processing_activities=c.processing_activities,
        recipients=c.recipients,
        recipient_organisations=ev.recipient_organisations if ev else [],
        valid_from=rfc3339(c.valid_from_ns),
        valid_until=rfc3339(c.valid_until_ns) if c.valid_until_ns else None,
        given_at=rfc3339(c.given_at_ns),
        given_by=given_by,
        given_by_label=_GIVEN_BY_LABEL[given_by],
        recorded_by_team=ev.recorded_by_team if ev else None,
        form_sha256=ev.form_sha256 if ev else None,
        language=ev.language if ev else None,
        text_version=ev.text_version if ev else None,
        text_sha256=ev.text_sha256 if ev else None,
        withdrawn_at=rfc3339(view.withdrawn_at_ns) if view.withdrawn_at_ns else None,
        supersedes=ev.supersedes if ev else None,
        superseded_by=view.superseded_by,
        history=[
            ConsentHistoryPublic(event=h.event.value, at=rfc3339(h.at_ns), by=h.by)
            for h in view.history
        ],
        processings=uses or [],
    )


def _give(
    services: Services,
    principal: Principal,
    pseudonym: str,
    body: ConsentCreate,
    ctx: RequestContext,
    given_by: GivenBy,
    event_type: str,
) -> ConsentCreated:
    req = _request(body)
    controller = _controller(services, principal)
    with session_scope(services.db) as session:
        consent = give_consent(
            session,
            services.register,
            pseudonym,
            req,
            ctx.now_ns,
            given_by,
            controller=controller,
        )
        services.pep.record_event(
            session, principal, event_type, pseudonym, ctx, consent_id=consent.id
        )
        if req.supersedes is not None:
            services.pep.record_event(
                session, principal, "consent.superseded", pseudonym, ctx, consent_id=req.supersedes
            )
        view = get_consent(session, pseudonym, consent.id, ctx.now_ns)
    return ConsentCreated(
        id=consent.id,
        status=view.status.value,
        text_sha256=view.evidence.text_sha256 if view.evidence else "",
    )


@router.post("/consents/preview", response_model=ConsentTextPublic)
def preview(
    body: ConsentCreate, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> ConsentTextPublic:
    """The exact consent text for this scope, to show before the resident agrees. Stores nothing;
    send its `text_sha256` with the consent to prove that this text was shown."""
    text = consent_text(
        services.register, _request(body), ctx.now_ns, _controller(services, principal)
    )
    return ConsentTextPublic(
        language=text.language, text_version=text.version, text=text.text, text_sha256=text.sha256
    )


@router.post("/consents", status_code=status.HTTP_201_CREATED, response_model=ConsentCreated)
def give(
    body: ConsentCreate, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> ConsentCreated:
    """Give consent: categories x processing activities x recipients (units or organisations),
    in a time window."""
    _require_resident(principal)
    pseudonym = services.pseudonymize(principal.sub)
    return _give(services, principal, pseudonym, body, ctx, RESIDENT, "consent.given")


@router.post(
    "/residents/{resident}/consents",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsentCreated,
)
def record(
    resident: str,
    body: ConsentRecordCreate,
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
) -> ConsentCreated:
    """Record a consent the resident gave in a conversation (keukentafelgesprek), with the hash of
    the signed form. Wijkteam roles only, and decided by the policy (resource type `consent`):
    only for a client of the recorder's own team or unit, in that record's municipality;
    audited, allowed or not. The resident sees it as recorded by their team and can withdraw
    it like any other."""
    given_by = recorded_by(
        services.register,
        professional=principal.sub,
        roles=principal.roles,
        teams=principal.teams,
        municipality=principal.municipality,
        form_sha256=body.evidence.form_sha256,
    )
    pseudonym = services.pseudonymize(resident)
    with session_scope(services.db) as session:
        units = holding_units(session, pseudonym)
        own = next((t for t in principal.teams if t in units), None)
        facts = ResourceFacts(
            type="consent",
            category="",
            team=own or "",
            municipality=units[own] if own else principal.municipality,
            resident=pseudonym,
        )
        outcome = services.pep.decide(session, principal, NO_ACTIVITY, "create", [facts], ctx)
    outcome.raise_if_refused()
    scope = ConsentCreate.model_validate(body.model_dump(exclude={"evidence"}))
    return _give(services, principal, pseudonym, scope, ctx, given_by, "consent.recorded")


@router.post("/consents/{consent_id}/withdraw", response_model=ConsentPublic)
def withdraw(
    consent_id: str, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> ConsentPublic:
    """Withdraw a consent. It no longer counts from the very next request."""
    _require_resident(principal)
    pseudonym = services.pseudonymize(principal.sub)
    with session_scope(services.db) as session:
        before = get_consent(session, pseudonym, consent_id, ctx.now_ns)
        view = withdraw_consent(session, pseudonym, consent_id, ctx.now_ns)
        if view.history != before.history:  # something was appended: audit it
            services.pep.record_event(
                session, principal, "consent.withdrawn", pseudonym, ctx, consent_id=consent_id
            )
    return _public(view)


@router.get("/me/consents", response_model=ConsentList)
def my_consents(services: ServicesDep, principal: PrincipalDep, ctx: ContextDep) -> ConsentList:
    """Your consents, with their status now, their history, and the accesses each one allowed."""
    _require_resident(principal)
    pseudonym = services.pseudonymize(principal.sub)
    with session_scope(services.db) as session:
        views = list_consents(session, pseudonym, ctx.now_ns)
        uses = _uses(services, session, pseudonym)
    return ConsentList(consents=[_public(v, uses.get(v.consent.id)) for v in views])


@router.get("/consents/{consent_id}/receipt", response_model=dict[str, Any])
def receipt(
    consent_id: str,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
) -> dict[str, Any]:
    """A receipt of one of your consents, as JSON with Kantara Consent Receipt v1.1 field names."""
    _require_resident(principal)
    with session_scope(services.db) as session:
        view = get_consent(session, services.pseudonymize(principal.sub), consent_id, ctx.now_ns)
    return consent_receipt(
        services.register,
        view,
        policy_url=str(request.url_for("registry")),
        issued_at_ns=ctx.now_ns,
    )
