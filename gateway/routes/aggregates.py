"""Anonymous counts: what a no-dossier unit (Hilversum's work-experience company) keeps instead
of files. Recording and reading are decided by the policy (resource type `aggregate`: only
under a statistics activity) and audited, about no resident."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status
from pydantic import ValidationError

from aggregates import PERIOD, AggregateCount, latest_counts, record_count
from gateway.clock import rfc3339
from gateway.db import read_scope, session_scope
from gateway.deps import ActivityDep, ContextDep, PrincipalDep, ServicesDep
from gateway.errors import InvalidField
from gateway.pep import ResourceFacts
from gateway.schemas import AggregateCountCreate, AggregateCountList, AggregateCountPublic

router = APIRouter(prefix="/v1/aggregates", tags=["aggregates"])

_DENIED: dict[int | str, dict[str, Any]] = {
    403: {"description": "Refused by policy: counts only under a statistics activity."}
}


def _public(row: AggregateCount, threshold: int) -> AggregateCountPublic:
    """A count as it may leave: a small cell (above 0, below the register's threshold) is
    suppressed, in every answer, the one that records it included."""
    small = 0 < row.count < threshold
    return AggregateCountPublic(
        unit=row.unit,
        municipality=row.municipality,
        category=row.category,
        processing_activity=row.processing_activity,
        period=row.period,
        count=None if small else row.count,
        suppressed=small,
        recorded_at=rfc3339(row.recorded_at_ns),
    )


def _parse(raw: dict[str, Any]) -> AggregateCountCreate:
    """Validate here, not in FastAPI: its 422 body echoes the input, and a refused resident
    id must not come back (or reach a log) at all."""
    try:
        return AggregateCountCreate.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors(include_input=False, include_url=False)[0]
        loc = [str(p) for p in err["loc"]]
        raise InvalidField(loc[-1] if loc else "body", err["msg"]) from None


@router.post(
    "/counts",
    status_code=status.HTTP_201_CREATED,
    response_model=AggregateCountPublic,
    responses=_DENIED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": AggregateCountCreate.model_json_schema()}},
        }
    },
)
def record(
    raw: Annotated[dict[str, Any], Body(include_in_schema=False)],
    services: ServicesDep,
    principal: PrincipalDep,
    activity: ActivityDep,
    ctx: ContextDep,
) -> AggregateCountPublic:
    """Record an anonymous count (no resident accepted, in any field). A correction is a new
    count for the same unit, subject and period; the listing shows the latest."""
    body = _parse(raw)
    register = services.register
    unit = register.teams.get(body.unit)
    if unit is None:
        raise InvalidField("unit", "unknown unit for this profile")
    if body.category is None and body.processing_activity is None:
        raise InvalidField("category", "name what was counted: a category or an activity")
    if body.category is not None and body.category not in register.categories:
        raise InvalidField("category", "not in the register")
    if body.processing_activity is not None and body.processing_activity not in (
        register.activities
    ):
        raise InvalidField("processing_activity", "not in the register")
    if not PERIOD.match(body.period):
        raise InvalidField("period", "a year, month, quarter or week: 2025, 2025-06, 2025-Q2")
    row = AggregateCount(
        municipality=unit.municipality,
        unit=body.unit,
        category=body.category,
        processing_activity=body.processing_activity,
        period=body.period,
        count=body.count,
        recorded_by=principal.sub,
        recorded_at_ns=ctx.now_ns,
    )
    facts = ResourceFacts(
        type="aggregate",
        category=body.category or "",
        team=body.unit,
        municipality=unit.municipality,
        resident=None,
    )
    with session_scope(services.db) as session:
        outcome = services.pep.decide(session, principal, activity, "create", [facts], ctx)
        if outcome.allowed:
            record_count(session, row)
    outcome.raise_if_refused()
    return _public(row, register.small_cell_threshold)


@router.get("/counts", response_model=AggregateCountList, responses=_DENIED)
def read(
    services: ServicesDep,
    principal: PrincipalDep,
    activity: ActivityDep,
    ctx: ContextDep,
    unit: Annotated[str | None, Query(max_length=80)] = None,
    period: Annotated[str | None, Query(max_length=8)] = None,
) -> AggregateCountList:
    """The latest counts of your municipality, for statistics (decided and audited)."""
    facts = ResourceFacts(
        type="aggregate",
        category="",
        team=unit or "",
        municipality=principal.municipality,
        resident=None,
    )
    with read_scope(services.db) as session:
        outcome = services.pep.decide(session, principal, activity, "read", [facts], ctx)
        rows = (
            latest_counts(session, principal.municipality, unit=unit, period=period)
            if outcome.allowed
            else []
        )
    outcome.raise_if_refused()
    threshold = services.register.small_cell_threshold
    return AggregateCountList(counts=[_public(r, threshold) for r in rows])
