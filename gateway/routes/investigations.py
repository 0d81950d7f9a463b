"""The register of investigations over HTTP: an enforcement officer opens and closes an
investigation into a resident of their municipality.

One door: opening (`create`) and closing (`close`) are decisions of the enforcement point on
a resource of type `investigation` under the officer's enforcement activity, and audited
(`investigation.create`, `investigation.close`). The BSN in the body is pseudonymised at
once and never stored. While an investigation runs, the enforcement accesses made during it
are held back from the resident's access log (`gateway.routes.me.held_back_from`); once it
is closed they appear, and the log says until when they were held back.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from gateway.clock import rfc3339
from gateway.db import session_scope
from gateway.deps import ContextDep, PrincipalDep, ServicesDep
from gateway.pep import ResourceFacts
from gateway.schemas import InvestigationCreate, InvestigationPublic
from investigations import (
    Investigation,
    close_investigation,
    get_investigation,
    open_investigation,
)

router = APIRouter(prefix="/v1/investigations", tags=["investigations"])

#: The enforcement activity investigations are opened under (registry/register.yaml).
ACTIVITY = "pw-enforcement"


def _facts(municipality: str, resident: str, investigation_id: str | None) -> ResourceFacts:
    return ResourceFacts(
        type="investigation",
        category="",
        team="",
        municipality=municipality,
        resident=resident,
        id=investigation_id,
    )


def _public(inv: Investigation) -> InvestigationPublic:
    return InvestigationPublic(
        id=inv.id,
        municipality=inv.municipality,
        opened_at=rfc3339(inv.opened_at_ns),
        closed_at=rfc3339(inv.closed_at_ns) if inv.closed_at_ns is not None else None,
        status="running" if inv.running else "closed",
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=InvestigationPublic)
def post_investigation(
    body: InvestigationCreate, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> InvestigationPublic:
    """Enforcement officers: register that an investigation into a resident of your
    municipality has begun. Until you close it, the enforcement accesses from now on are
    held back from the resident's access log (UAVG art. 41)."""
    pseudonym = services.pseudonymize(body.resident)
    with session_scope(services.db) as session:
        outcome = services.pep.decide(
            session,
            principal,
            ACTIVITY,
            "create",
            [_facts(principal.municipality, pseudonym, None)],
            ctx,
        )
        inv = None
        if outcome.allowed:
            inv = open_investigation(
                session,
                resident_pseudonym=pseudonym,
                municipality=principal.municipality,
                officer=principal.sub,
                now_ns=ctx.now_ns,
            )
    outcome.raise_if_refused()
    assert inv is not None
    return _public(inv)


@router.post("/{investigation_id}/close", response_model=InvestigationPublic)
def post_close(
    investigation_id: Annotated[str, Path(min_length=1, max_length=40)],
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
) -> InvestigationPublic:
    """Enforcement officers: the investigation has ended. The accesses held back for it
    appear in the resident's access log, which says until when they were held back."""
    with session_scope(services.db) as session:
        found = get_investigation(session, investigation_id)
        outcome = services.pep.decide(
            session,
            principal,
            ACTIVITY,
            "close",
            [_facts(found.municipality, found.resident_pseudonym, found.id)],
            ctx,
        )
        inv = None
        if outcome.allowed:
            inv = close_investigation(session, found.id, officer=principal.sub, now_ns=ctx.now_ns)
    outcome.raise_if_refused()
    assert inv is not None
    return _public(inv)
