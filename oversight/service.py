"""The caseload of a team and who of the team worked on which of its records.

Takes a session; decides nothing (the enforcement point does, resource type `team_oversight`
under the `team-oversight` activity). Reads no record content: of a case record only its id,
category, the resident's pseudonym (to count cases, never returned) and the team holding it;
of the audit trail only metadata of the team's own records.

    caseload       what the team holds now (records, cases = residents, per category) and,
                   per employee of the team, the part of it she worked on in a window (an
                   allowed read, create or handover of the record while the team held it)
    team_accesses  who of the team accessed which record of the team, when, under which
                   activity, allowed or refused: newest first, a page at a time

"A member of the team" is a subject whose token named the team at the time of the access
(`subject_teams` in the audit record): the gateway keeps no staff list. Someone from outside
the team (a resident reading her own record, a unit with her consent) is not the lead's to
oversee; the privacy officer supervises every access.

Small cells (AVG art. 89; register `small_cell_threshold`): a count per category says how
many of the team's residents have, say, a health record, and is suppressed above 0 and below
the threshold, as every aggregate is. Totals per employee and for the team are the workload
the lead manages, say nothing about what any resident's file holds, and are shown as they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, cast, select
from sqlmodel import Session, col

from audit import AuditRecord
from audit.models import supervised_by
from records import CaseRecord

#: The audit events that are work on a record: reading, creating or handing it over.
RECORD_WORK = ("record.read", "record.create", "record.handover")


@dataclass(frozen=True)
class CategoryCount:
    category: str
    count: int | None  # None: suppressed
    suppressed: bool


@dataclass(frozen=True)
class MemberCaseload:
    employee: str
    records: int
    cases: int
    by_category: tuple[CategoryCount, ...]


@dataclass(frozen=True)
class Caseload:
    team: str
    municipality: str
    records: int
    cases: int
    by_category: tuple[CategoryCount, ...]
    members: tuple[MemberCaseload, ...]


@dataclass(frozen=True)
class Access:
    seq: int
    occurred_at: str
    employee: str
    record_id: str
    action: str
    processing_activity: str
    allowed: bool
    reason_codes: tuple[str, ...]
    basis_type: str | None


def _counts(categories: Iterable[str], threshold: int) -> tuple[CategoryCount, ...]:
    """Counts per category, small cells (above 0, below `threshold`) suppressed."""
    counted = Counter(categories)
    return tuple(
        CategoryCount(category=c, count=None, suppressed=True)
        if 0 < n < threshold
        else CategoryCount(category=c, count=n, suppressed=False)
        for c, n in sorted(counted.items())
    )


#: What the views read of an audit record: metadata, never its policy input.
_COLUMNS = (
    col(AuditRecord.seq),
    col(AuditRecord.occurred_at),
    col(AuditRecord.subject_id),
    col(AuditRecord.subject_teams),
    col(AuditRecord.record_id),
    col(AuditRecord.action),
    col(AuditRecord.processing_activity),
    col(AuditRecord.allowed),
    col(AuditRecord.reason_codes),
    col(AuditRecord.basis_type),
)


def _team_member_work(team: str, municipality: str) -> Select[*tuple[Any, ...]]:
    """Audit records of work on the team's records by a subject whose token named the team
    (the JSON text test narrows in SQL; the caller checks the list exactly). Erased entries
    (retention) name no record or employee any more and are left out."""
    return (
        select(*_COLUMNS)
        .where(col(AuditRecord.resource_team) == team)
        .where(supervised_by(municipality))
        .where(col(AuditRecord.event_type).in_(RECORD_WORK))
        .where(col(AuditRecord.erased_at).is_(None))
        .where(col(AuditRecord.record_id).is_not(None))
        .where(cast(col(AuditRecord.subject_teams), String).contains(f'"{team}"', autoescape=True))
    )


def caseload(
    session: Session, team: str, municipality: str, *, since: str, threshold: int
) -> Caseload:
    """What `team` holds now and, per employee of the team, the part of it she worked on since
    `since` (an RFC 3339 UTC time, as audit records spell `occurred_at`)."""
    held = session.execute(
        select(col(CaseRecord.id), col(CaseRecord.resident_pseudonym), col(CaseRecord.category))
        .where(col(CaseRecord.team) == team)
        .where(col(CaseRecord.municipality) == municipality)
    ).all()
    by_id = {rid: (resident, category) for rid, resident, category in held}
    worked: dict[str, set[str]] = {}
    rows = session.execute(
        _team_member_work(team, municipality)
        .where(col(AuditRecord.allowed).is_(True))
        .where(col(AuditRecord.occurred_at) >= since)
    )
    for row in rows:
        if team in row.subject_teams and row.record_id in by_id:
            worked.setdefault(row.subject_id, set()).add(row.record_id)
    members = tuple(
        MemberCaseload(
            employee=employee,
            records=len(ids),
            cases=len({by_id[i][0] for i in ids}),
            by_category=_counts((by_id[i][1] for i in ids), threshold),
        )
        for employee, ids in sorted(worked.items())
    )
    return Caseload(
        team=team,
        municipality=municipality,
        records=len(by_id),
        cases=len({resident for resident, _ in by_id.values()}),
        by_category=_counts((category for _, category in by_id.values()), threshold),
        members=members,
    )


def team_accesses(
    session: Session,
    team: str,
    municipality: str,
    *,
    before_seq: int | None,
    limit: int,
) -> tuple[list[Access], int | None]:
    """One page of accesses by the team's members to the team's records, newest first, before
    audit entry `before_seq`; and the `before_seq` of the next page (None on the last)."""
    stmt = _team_member_work(team, municipality)
    if before_seq is not None:
        stmt = stmt.where(col(AuditRecord.seq) < before_seq)
    rows = session.execute(stmt.order_by(col(AuditRecord.seq).desc()).limit(limit)).all()
    page = [
        Access(
            seq=r.seq,
            occurred_at=r.occurred_at,
            employee=r.subject_id,
            record_id=r.record_id or "",
            action=r.action,
            processing_activity=r.processing_activity,
            allowed=r.allowed,
            reason_codes=tuple(r.reason_codes),
            basis_type=r.basis_type,
        )
        for r in rows
        if team in r.subject_teams
    ]
    return page, rows[-1].seq if len(rows) == limit else None
