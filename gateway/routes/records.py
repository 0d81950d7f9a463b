"""Case records: store and read, each request decided by policy and audited before the answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from gateway.clock import rfc3339
from gateway.db import session_scope
from gateway.deps import ActivityDep, ContextDep, PrincipalDep, ServicesDep
from gateway.errors import InvalidField
from gateway.pep import ResourceFacts
from gateway.records import CaseRecord, create_record, get_record, list_for_resident
from gateway.records.service import new_record_id
from gateway.schemas import RecordCreate, RecordCreated, RecordList, RecordPublic

router = APIRouter(prefix="/v1", tags=["records"])

_DENIED: dict[int | str, dict[str, Any]] = {
    403: {"description": "Refused by policy: `{reasons: [{code, message}]}`, no content."}
}


def _facts(record: CaseRecord) -> ResourceFacts:
    return ResourceFacts(
        id=record.id,
        category=record.category,
        team=record.team,
        municipality=record.municipality,
        resident=record.resident_pseudonym,
    )


def _public(record: CaseRecord) -> RecordPublic:
    return RecordPublic(
        id=record.id,
        resident=record.resident,
        category=record.category,
        team=record.team,
        municipality=record.municipality,
        content=record.content,
        created_at=rfc3339(record.created_at_ns),
    )


@router.post(
    "/records",
    status_code=status.HTTP_201_CREATED,
    response_model=RecordCreated,
    responses=_DENIED,
)
def store_record(
    body: RecordCreate,
    services: ServicesDep,
    principal: PrincipalDep,
    activity: ActivityDep,
    ctx: ContextDep,
) -> RecordCreated:
    """Store a case record. The record and its audit record commit in one transaction."""
    register = services.register
    category = register.categories.get(body.category)
    if category is None:
        raise InvalidField("category", f"unknown category; known: {', '.join(register.categories)}")
    team = register.teams.get(body.team)
    if team is None:
        raise InvalidField("team", "unknown team for this profile")
    if category.domain not in ("shared", team.domain):
        raise InvalidField(
            "team", f"a {team.domain} unit cannot hold {body.category} ({category.domain} data)"
        )
    record = CaseRecord(
        id=new_record_id(),
        resident=body.resident,
        resident_pseudonym=services.pseudonymize(body.resident),
        category=body.category,
        team=body.team,
        municipality=team.municipality,
        content=body.content,
        created_at_ns=ctx.now_ns,
        created_by=principal.sub,
    )
    with session_scope(services.db) as session:
        outcome = services.pep.decide(session, principal, activity, "create", [_facts(record)], ctx)
        if outcome.allowed:
            create_record(session, record)
    outcome.raise_if_refused()
    return RecordCreated(
        id=record.id,
        category=record.category,
        team=record.team,
        municipality=record.municipality,
        created_at=rfc3339(record.created_at_ns),
    )


@router.get("/records/{record_id}", response_model=RecordPublic, responses=_DENIED)
def read_record(
    record_id: str,
    services: ServicesDep,
    principal: PrincipalDep,
    activity: ActivityDep,
    ctx: ContextDep,
) -> RecordPublic:
    """Read one record, if the policy allows it under the declared processing activity."""
    with session_scope(services.db) as session:
        record = get_record(session, record_id)
        outcome = services.pep.decide(session, principal, activity, "read", [_facts(record)], ctx)
    outcome.raise_if_refused()
    return _public(record)


@router.get("/residents/{resident}/records", response_model=RecordList)
def list_resident_records(
    resident: str,
    services: ServicesDep,
    principal: PrincipalDep,
    activity: ActivityDep,
    ctx: ContextDep,
) -> RecordList:
    """The resident's records that the policy allows, and how many it withheld."""
    with session_scope(services.db) as session:
        records = list_for_resident(session, services.pseudonymize(resident))
        outcome = services.pep.decide(
            session, principal, activity, "read", [_facts(r) for r in records], ctx
        )
    if outcome.failure is not None:
        raise outcome.failure
    allowed = [r for r, d in zip(records, outcome.decisions, strict=True) if d.allow]
    return RecordList(records=[_public(r) for r in allowed], withheld=len(records) - len(allowed))
