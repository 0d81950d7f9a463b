"""A team lead's oversight of her own team (issue 17, finding 7): the team's caseload and who
of the team worked on which of its records, never content.

One door: each view is one decision of the enforcement point on a resource of type
`team_oversight` (the team overseen, in the team's municipality) under the `team-oversight`
activity, audited like every other read (`team_oversight.read`, about no resident). The policy
allows only a lead mandated for the activity, of that team, in her own municipality; the
domain logic is `oversight/`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query

from gateway import cursors
from gateway.clock import rfc3339
from gateway.db import read_scope
from gateway.deps import ContextDep, PrincipalDep, ServicesDep
from gateway.errors import InvalidField
from gateway.pep import ResourceFacts
from gateway.schemas import (
    CategoryCountPublic,
    MemberCaseloadPublic,
    TeamAccessList,
    TeamAccessPublic,
    TeamCaseloadPublic,
)
from oversight import CategoryCount, caseload, team_accesses
from registry import Register

router = APIRouter(prefix="/v1/oversight", tags=["oversight"])

#: The activity every oversight view is decided under (registry/register.yaml).
ACTIVITY = "team-oversight"
DAY_NS = 86_400 * 10**9

_DENIED: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "Refused by policy: only the lead of this team, in her municipality, "
        "under `team-oversight`."
    }
}

TeamQuery = Annotated[
    str | None,
    Query(
        max_length=80,
        description="The team you lead; may be left out when your token names one team.",
    ),
]


def _team(principal_teams: tuple[str, ...], team: str | None) -> str:
    """The team asked about: the query's, or the caller's only team. No team at all is left
    to the policy to refuse (audited); several without a choice is the caller's to fix."""
    if team is not None:
        return team
    if len(principal_teams) > 1:
        raise InvalidField("team", "name the team: your token names more than one")
    return principal_teams[0] if principal_teams else ""


def _facts(register: Register, team: str, caller_municipality: str) -> ResourceFacts:
    """The team as the policy sees it, in the team's own municipality (a team the register
    does not know: the caller's, and the policy refuses it as no team of hers to lead)."""
    unit = register.teams.get(team)
    return ResourceFacts(
        type="team_oversight",
        category="",
        team=team,
        municipality=unit.municipality if unit is not None else caller_municipality,
        resident=None,
    )


def _counts(counts: tuple[CategoryCount, ...]) -> list[CategoryCountPublic]:
    return [
        CategoryCountPublic(category=c.category, count=c.count, suppressed=c.suppressed)
        for c in counts
    ]


@router.get("/team", response_model=TeamCaseloadPublic, responses=_DENIED)
def get_team_caseload(
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    team: TeamQuery = None,
    days: Annotated[
        int, Query(ge=1, le=366, description="Work on records counts over the last days.")
    ] = 90,
) -> TeamCaseloadPublic:
    """Team leads: your team's caseload. The records and cases (residents) the team holds now,
    per category; per employee of the team, those of them she worked on (an allowed read,
    create or handover) in the last `days` days. Counts per category below the register's
    small-cell threshold are suppressed; no content, no resident. Decided under
    `team-oversight` and audited."""
    wanted = _team(principal.teams, team)
    facts = _facts(services.register, wanted, principal.municipality)
    since = rfc3339(max(ctx.now_ns - days * DAY_NS, 0))
    threshold = services.register.small_cell_threshold
    with read_scope(services.db) as session:
        outcome = services.pep.decide(session, principal, ACTIVITY, "read", [facts], ctx)
        load = (
            caseload(session, wanted, facts.municipality, since=since, threshold=threshold)
            if outcome.allowed
            else None
        )
    outcome.raise_if_refused()
    assert load is not None
    return TeamCaseloadPublic(
        team=load.team,
        municipality=load.municipality,
        since=since,
        records=load.records,
        cases=load.cases,
        by_category=_counts(load.by_category),
        members=[
            MemberCaseloadPublic(
                employee=m.employee,
                records=m.records,
                cases=m.cases,
                by_category=_counts(m.by_category),
            )
            for m in load.members
        ],
        small_cell_threshold=threshold,
    )


_CURSOR = re.compile(r"^s:(\d{1,19})$")


def _cursor(seq: int) -> str:
    return cursors.encode(f"s:{seq}")


def _before(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    return int(cursors.decode(cursor, _CURSOR).group(1))


@router.get("/team/accesses", response_model=TeamAccessList, responses=_DENIED)
def get_team_accesses(
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    team: TeamQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=40, description="`next_cursor` of the previous page.")
    ] = None,
) -> TeamAccessList:
    """Team leads: who of your team worked on which of its records. Per access by a member of
    the team to a record the team held: when, the employee, the record id, the action, the
    activity, allowed or refused (reason codes, basis type). Newest first, a page at a time.
    No content, no category, no resident (name, BSN or pseudonym). Decided under
    `team-oversight` and audited."""
    before = _before(cursor)
    wanted = _team(principal.teams, team)
    facts = _facts(services.register, wanted, principal.municipality)
    with read_scope(services.db) as session:
        outcome = services.pep.decide(session, principal, ACTIVITY, "read", [facts], ctx)
        page, next_before = (
            team_accesses(session, wanted, facts.municipality, before_seq=before, limit=limit)
            if outcome.allowed
            else ([], None)
        )
    outcome.raise_if_refused()
    return TeamAccessList(
        team=wanted,
        municipality=facts.municipality,
        accesses=[
            TeamAccessPublic(
                seq=a.seq,
                occurred_at=a.occurred_at,
                employee=a.employee,
                record_id=a.record_id,
                action=a.action,
                processing_activity=a.processing_activity,
                allowed=a.allowed,
                reason_codes=list(a.reason_codes),
                basis_type=a.basis_type,
            )
            for a in page
        ],
        next_cursor=_cursor(next_before) if next_before is not None else None,
    )
