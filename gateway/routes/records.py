"""Case records: store and read, each request decided by policy and audited before the answer."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from starlette.concurrency import run_in_threadpool

from gateway import cursors
from gateway.auth import Principal
from gateway.clock import rfc3339
from gateway.db import read_scope, session_scope
from gateway.deps import (
    ActivityDep,
    ContextDep,
    PrincipalDep,
    RateLimitDep,
    ServicesDep,
    rate_limit_of,
    services_of,
)
from gateway.errors import InvalidField
from gateway.listing import listing
from gateway.pep import RequestContext, ResourceFacts
from gateway.ratelimit import DecisionRateLimit
from gateway.schemas import (
    HandoverRequest,
    HandoverResult,
    RecordCreate,
    RecordCreated,
    RecordList,
    RecordPublic,
)
from gateway.services import Services
from policy import Decision
from records import (
    CaseRecord,
    RecordNotFound,
    RecordRow,
    create_record,
    fetch_record,
    get_record,
    list_for_resident,
)
from records.service import new_record_id
from registry import Register

router = APIRouter(prefix="/v1", tags=["records"])

_DENIED: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "Refused by policy: `{reasons: [{code, message}]}`, no content. Only to "
        "a caller with a relationship to the resident; anyone else gets the 404 of a record "
        "that does not exist."
    }
}


def _facts(record: CaseRecord | RecordRow) -> ResourceFacts:
    return ResourceFacts(
        id=record.id,
        category=record.category,
        team=record.team,
        municipality=record.municipality,
        resident=record.resident_pseudonym,
    )


#: The fields of a record a `redact` obligation can withhold. An unknown field name in a
#: decision withholds the content too: failing closed beats leaking free text.
_REDACTABLE = {"content"}


def _public(record: CaseRecord | RecordRow, decision: Decision) -> RecordPublic:
    """The record as this decision lets it leave: `redact` applied before the answer."""
    redacted = sorted(set(decision.redact))
    withhold_content = bool(redacted) and (
        "content" in redacted or not set(redacted) <= _REDACTABLE
    )
    return RecordPublic(
        id=record.id,
        resident=record.resident,
        category=record.category,
        team=record.team,
        municipality=record.municipality,
        content=None if withhold_content else record.content,
        created_at=rfc3339(record.created_at_ns),
        redacted=redacted,
    )


def _municipality_of(body: RecordCreate, register: Register) -> str:
    """The municipality a new record belongs to: the unit's, or for a regional service's
    unit the resident's municipality from the body (one the service serves)."""
    team = register.teams[body.team]
    if team.regional_service is None:
        if body.municipality not in (None, team.municipality):
            raise InvalidField("municipality", "this unit holds records of its own municipality")
        return team.municipality
    serves = register.regional_services[team.regional_service].serves
    if body.municipality is None or body.municipality not in serves:
        raise InvalidField(
            "municipality", f"a regional unit needs one of its municipalities: {', '.join(serves)}"
        )
    return body.municipality


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
        municipality=_municipality_of(body, register),
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
async def read_record(
    record_id: str,
    request: Request,
    principal: PrincipalDep,
    activity: ActivityDep,
    ctx: ContextDep,
) -> RecordPublic:
    """Read one record, if the policy allows it under the declared processing activity.

    Fields the decision withholds (`redact`, e.g. a signal's free text for another domain)
    come back as null and are named in `redacted`; the audit record names them too. Send
    `X-Break-Glass-Justification` for emergency access or a report under the meldrecht.
    """
    # One hop to the thread pool for the blocking part (database, decision, durable audit
    # record); the answer's validation and JSON then run on the loop. A plain `def` route
    # costs two hops: FastAPI validates a sync route's answer in the pool as well. The
    # services and the rate limit come from the request, not as ServicesDep and RateLimitDep:
    # on the busiest route, two dependencies fewer for FastAPI to solve (gateway/deps.py).
    return await run_in_threadpool(
        _read_record,
        record_id,
        services_of(request),
        principal,
        activity,
        ctx,
        rate_limit_of(request),
    )


def _read_record(
    record_id: str,
    services: Services,
    principal: Principal,
    activity: str,
    ctx: RequestContext,
    rate_limit: DecisionRateLimit,
) -> RecordPublic:
    rate_limit.charge(principal)
    with read_scope(services.db) as session:
        record = fetch_record(session, record_id)
        outcome = services.pep.decide(session, principal, activity, "read", [_facts(record)], ctx)
        knows = outcome.allowed or services.pep.knows(
            session, principal, record.resident_pseudonym, ctx.now_ns
        )
    if outcome.failure is None and not knows:
        # Existence is a decision too: without a relationship with the resident, a refused
        # record answers exactly like a missing one (the refusal is audited all the same).
        raise RecordNotFound(record_id)
    outcome.raise_if_refused()
    return _public(record, outcome.decisions[0])


@router.post("/records/{record_id}/handover", response_model=HandoverResult, responses=_DENIED)
def hand_over_case(
    record_id: str,
    body: HandoverRequest,
    services: ServicesDep,
    principal: PrincipalDep,
    activity: ActivityDep,
    ctx: ContextDep,
) -> HandoverResult:
    """Hand a case over to another team: every record of this resident held by the record's
    team moves to `to_team`. Decided per record (action `handover`: only the team that holds
    it, under a team activity) and audited (`record.handover`); all move or none does."""
    register = services.register
    with session_scope(services.db) as session:
        record = get_record(session, record_id)
        target = register.teams.get(body.to_team)
        if (
            target is None
            or target.domain != "team"
            or target.municipality != record.municipality
            or body.to_team == record.team
        ):
            raise InvalidField("to_team", "another team of the same municipality, in the register")
        from_team = record.team
        case = [
            r
            for r in list_for_resident(session, record.resident_pseudonym)
            if r.team == record.team
        ]
        outcome = services.pep.decide(
            session, principal, activity, "handover", [_facts(r) for r in case], ctx
        )
        if outcome.allowed:
            for r in case:
                r.team = body.to_team
                session.add(r)
    outcome.raise_if_refused()
    return HandoverResult(
        from_team=from_team,
        to_team=body.to_team,
        moved=sorted(r.id for r in case),
    )


_CURSOR = re.compile(r"^(\d{1,20}):(r-[0-9a-z-]{1,76})$")


def _cursor(record: CaseRecord) -> str:
    return cursors.encode(f"{record.created_at_ns}:{record.id}")


def _after(cursor: str | None) -> tuple[int, str] | None:
    if cursor is None:
        return None
    match = cursors.decode(cursor, _CURSOR)
    return int(match.group(1)), match.group(2)


@router.get("/residents/{resident}/records", response_model=RecordList)
async def list_resident_records(
    resident: str,
    services: ServicesDep,
    principal: PrincipalDep,
    activity: ActivityDep,
    ctx: ContextDep,
    rate_limit: RateLimitDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
) -> RecordList:
    """One page of the resident's records that the policy allows (oldest first; each one
    decided and audited). `withheld` says how many of the page it withheld, but only to a
    caller with a relationship to the resident (she herself, or a team or unit of the caller
    holds a record of hers); anyone else learns nothing, not even whether records exist:
    `withheld` is null (docs/security.md, "Existence")."""
    return await run_in_threadpool(
        _list_resident_records,
        resident,
        services,
        principal,
        activity,
        ctx,
        rate_limit,
        limit,
        cursor,
    )


def _list_resident_records(
    resident: str,
    services: Services,
    principal: Principal,
    activity: str,
    ctx: RequestContext,
    rate_limit: DecisionRateLimit,
    limit: int,
    cursor: str | None,
) -> RecordList:
    rate_limit.charge(principal)
    after = _after(cursor)
    pseudonym = services.pseudonymize(resident)
    with read_scope(services.db) as session:
        records = list_for_resident(session, pseudonym, after=after, limit=limit)
        outcome = services.pep.decide(
            session, principal, activity, "read", [_facts(r) for r in records], ctx
        )
        knows = services.pep.knows(session, principal, pseudonym, ctx.now_ns)
    if outcome.failure is not None:
        raise outcome.failure
    listed = listing(records, [[d] for d in outcome.decisions])
    return RecordList(
        records=[_public(r, ds[0]) for r, ds in listed.allowed],
        withheld=listed.withheld if knows else None,
        next_cursor=_cursor(records[-1]) if knows and len(records) == limit else None,
    )
