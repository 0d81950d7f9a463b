"""The register of investigations over HTTP: an enforcement officer opens, closes and lists
the investigations into a resident of their municipality.

One door: opening (`create`), closing (`close`) and listing (`read`) are decisions of the
enforcement point on a resource of type `investigation` under the officer's enforcement
activity, and audited (`investigation.create`, `investigation.close`, `investigation.read`).
The BSN in the body (or, for the listing, the query) is pseudonymised at once and never
stored. While an investigation runs, the enforcement accesses made during it are held back
from the resident's access log (`gateway.routes.me.held_back_from`); once it is closed they
appear, and the log says until when they were held back.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from gateway import cursors
from gateway.clock import rfc3339
from gateway.db import read_scope, session_scope
from gateway.deps import ContextDep, PrincipalDep, ServicesDep
from gateway.pep import ResourceFacts
from gateway.schemas import InvestigationCreate, InvestigationList, InvestigationPublic
from investigations import (
    Investigation,
    close_investigation,
    get_investigation,
    investigations_of,
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


_CURSOR = re.compile(r"^(\d{1,20}):(inv-[0-9a-f]{1,36})$")


def _cursor(inv: Investigation) -> str:
    return cursors.encode(f"{inv.opened_at_ns}:{inv.id}")


def _after(cursor: str | None) -> tuple[int, str] | None:
    if cursor is None:
        return None
    match = cursors.decode(cursor, _CURSOR)
    return int(match.group(1)), match.group(2)


@router.get("", response_model=InvestigationList)
def list_investigations(
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    resident: Annotated[
        str,
        Query(
            min_length=1,
            max_length=64,
            description="The resident id (e.g. a BSN); pseudonymised at once, never stored.",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=120, description="`next_cursor` of the previous page.")
    ] = None,
) -> InvestigationList:
    """Enforcement officers: your municipality's investigations into a resident, running and
    closed, oldest first, a page at a time. One decision of the policy (action `read` on the
    resident's investigations in your municipality), audited like opening and closing."""
    after = _after(cursor)
    pseudonym = services.pseudonymize(resident)
    with read_scope(services.db) as session:
        outcome = services.pep.decide(
            session,
            principal,
            ACTIVITY,
            "read",
            [_facts(principal.municipality, pseudonym, None)],
            ctx,
        )
        found = (
            [
                inv
                for inv in investigations_of(session, pseudonym)
                if inv.municipality == principal.municipality
                and (after is None or (inv.opened_at_ns, inv.id) > after)
            ]
            if outcome.allowed
            else []
        )
    outcome.raise_if_refused()
    page = found[:limit]
    return InvestigationList(
        investigations=[_public(inv) for inv in page],
        next_cursor=_cursor(page[-1]) if len(found) > limit else None,
    )
