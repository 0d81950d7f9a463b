"""Four-eyes exceptions as plain functions over a session: request, approve, revoke, list.

One person requests (with a written justification), a different person approves, and from
the approval the exception holds for `valid_days` (at most 30). Nothing is ever updated: the
request is a row, and requested, approved and revoked are appended events; the status is
derived from them and the time at the moment of asking, so expiry needs no background job
and a revocation counts from the very next request. The policy decides what an active
exception allows (docs/policy.md); this module only keeps them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from exceptions.errors import (
    ExceptionNotAllowed,
    ExceptionNotFound,
    ExceptionStateConflict,
    ExceptionValidationError,
    FourEyesViolation,
)
from exceptions.models import (
    AccessException,
    AccessExceptionEvent,
    ExceptionEventType,
    ExceptionStatus,
)
from registry import Register

DAY_NS = 86_400 * 10**9
#: The longest an exception may hold: it is a way through a case, not a standing mandate.
MAX_VALID_DAYS = 30
#: Who may approve: a line manager (team lead), never the requester, and never the privacy
#: officer, who supervises exceptions afterwards and must stay independent (AVG art. 38 lid 6).
APPROVER_ROLES = frozenset({"team_lead"})
#: Roles that are not professionals acting on a case: they may not request.
NON_PROFESSIONAL_ROLES = frozenset({"resident", "case_system"})
MIN_JUSTIFICATION = 10


@dataclass(frozen=True)
class Actor:
    """Who acts: an employee id, their roles and municipality (from the token)."""

    id: str
    roles: tuple[str, ...]
    municipality: str

    @property
    def approver(self) -> bool:
        return bool(APPROVER_ROLES.intersection(self.roles))

    @property
    def professional(self) -> bool:
        return any(r not in NON_PROFESSIONAL_ROLES for r in self.roles)


class ExceptionRequest(BaseModel):
    """What is asked: for `subject` (default: the requester), these categories of one
    resident under these processing activities, for `valid_days` from the approval."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str | None = Field(default=None, max_length=200)
    categories: list[str] = Field(min_length=1)
    processing_activities: list[str] = Field(min_length=1)
    justification: str = Field(max_length=4000)
    valid_days: int = Field(default=7, ge=1, le=MAX_VALID_DAYS)


@dataclass(frozen=True)
class ExceptionView:
    exception: AccessException
    status: ExceptionStatus
    events: tuple[AccessExceptionEvent, ...]

    def _event(self, kind: ExceptionEventType) -> AccessExceptionEvent | None:
        return next((e for e in self.events if e.event == kind), None)

    @property
    def approved(self) -> AccessExceptionEvent | None:
        return self._event(ExceptionEventType.APPROVED)

    @property
    def revoked(self) -> AccessExceptionEvent | None:
        return self._event(ExceptionEventType.REVOKED)

    @property
    def valid_from_ns(self) -> int | None:
        return self.approved.at_ns if self.approved else None

    @property
    def valid_until_ns(self) -> int | None:
        return self.approved.valid_until_ns if self.approved else None


def new_exception_id() -> str:
    return f"x-{uuid.uuid4().hex[:20]}"


# --- status -------------------------------------------------------------------------------------


def status_of(
    exc: AccessException, events: Sequence[AccessExceptionEvent], now_ns: int
) -> ExceptionStatus:
    """Revoked beats everything; an approval holds until its end; an unapproved request goes
    stale after its own `valid_days`."""
    kinds = {e.event: e for e in events}
    if ExceptionEventType.REVOKED in kinds:
        return ExceptionStatus.REVOKED
    approved = kinds.get(ExceptionEventType.APPROVED)
    if approved is not None:
        end = approved.valid_until_ns or 0
        return ExceptionStatus.ACTIVE if now_ns < end else ExceptionStatus.EXPIRED
    if now_ns < exc.requested_at_ns + exc.valid_days * DAY_NS:
        return ExceptionStatus.PENDING
    return ExceptionStatus.EXPIRED


def _views(session: Session, rows: Iterable[AccessException], now_ns: int) -> list[ExceptionView]:
    rows = list(rows)
    if not rows:
        return []
    events: dict[str, list[AccessExceptionEvent]] = {}
    stmt = (
        select(AccessExceptionEvent)
        .where(col(AccessExceptionEvent.exception_id).in_([r.id for r in rows]))
        .order_by(col(AccessExceptionEvent.id))
    )
    for ev in session.exec(stmt):
        events.setdefault(ev.exception_id, []).append(ev)
    return [
        ExceptionView(r, status_of(r, events.get(r.id, []), now_ns), tuple(events.get(r.id, [])))
        for r in rows
    ]


# --- validation ---------------------------------------------------------------------------------


def _validate(register: Register, req: ExceptionRequest) -> None:
    def refuse_unknown(fld: str, items: list[str], known: object) -> None:
        unknown = [i[:80] for i in items if i not in known]  # type: ignore[operator]
        if unknown:
            raise ExceptionValidationError(fld, f"not in the register: {', '.join(unknown)}")

    refuse_unknown("categories", req.categories, register.categories)
    refuse_unknown("processing_activities", req.processing_activities, register.activities)
    for act_id in req.processing_activities:
        act = register.activities[act_id]
        if not act.consent_admissible:
            raise ExceptionValidationError(
                "processing_activities",
                f"an exception cannot apply to {act_id}: it admits no basis beyond its own "
                f"({act.legal_basis.article}); the law decides there, not two colleagues",
            )
    allowed = {c for a in req.processing_activities for c in register.activities[a].categories}
    wider = [c for c in req.categories if c not in allowed]
    if wider:
        raise ExceptionValidationError(
            "categories", f"wider than the processing activities may touch: {', '.join(wider)}"
        )
    if len(req.justification.strip()) < MIN_JUSTIFICATION:
        raise ExceptionValidationError(
            "justification", f"write down why, in at least {MIN_JUSTIFICATION} characters"
        )


# --- commands -----------------------------------------------------------------------------------


def request_exception(
    session: Session,
    register: Register,
    req: ExceptionRequest,
    *,
    requester: Actor,
    resident_pseudonym: str,
    now_ns: int,
) -> ExceptionView:
    """Write the request and its `requested` event. Any professional may ask, for themselves
    or for a colleague; it holds nothing until a second person approves it."""
    if not requester.professional:
        raise ExceptionNotAllowed("only professionals request an exception")
    if requester.municipality not in register.municipalities:
        raise ExceptionValidationError("municipality", "not served by this gateway")
    _validate(register, req)
    row = AccessException(
        id=new_exception_id(),
        resident_pseudonym=resident_pseudonym,
        municipality=requester.municipality,
        subject=req.subject or requester.id,
        categories=list(dict.fromkeys(req.categories)),
        processing_activities=list(dict.fromkeys(req.processing_activities)),
        justification=req.justification.strip(),
        valid_days=req.valid_days,
        requested_by=requester.id,
        requested_at_ns=now_ns,
    )
    session.add(row)
    session.flush()
    event = AccessExceptionEvent(
        exception_id=row.id, event=ExceptionEventType.REQUESTED, at_ns=now_ns, actor=requester.id
    )
    session.add(event)
    session.flush()
    return ExceptionView(row, ExceptionStatus.PENDING, (event,))


def _fetch(session: Session, exception_id: str, actor: Actor, now_ns: int) -> ExceptionView:
    row = session.get(AccessException, exception_id)
    if row is None or not visible_to(row, actor):
        raise ExceptionNotFound(exception_id)
    return _views(session, [row], now_ns)[0]


def visible_to(row: AccessException, actor: Actor) -> bool:
    """Approvers see their municipality's exceptions; others those they asked or hold."""
    if actor.municipality != row.municipality:
        return False
    return actor.approver or actor.id in (row.requested_by, row.subject)


def approve_exception(
    session: Session, exception_id: str, *, approver: Actor, now_ns: int
) -> ExceptionView:
    """The second pair of eyes: a team lead or privacy officer who is neither the requester
    nor the employee it is for. From now until now + valid_days it holds."""
    view = _fetch(session, exception_id, approver, now_ns)
    row = view.exception
    if not approver.approver:
        raise ExceptionNotAllowed("only a team lead or the privacy officer approves an exception")
    if approver.id == row.requested_by:
        raise FourEyesViolation("the approver must be another person than the requester")
    if approver.id == row.subject:
        raise FourEyesViolation("nobody approves an exception granted to themselves")
    if view.status is not ExceptionStatus.PENDING:
        raise ExceptionStateConflict(exception_id, view.status.value, "approve")
    event = AccessExceptionEvent(
        exception_id=row.id,
        event=ExceptionEventType.APPROVED,
        at_ns=now_ns,
        actor=approver.id,
        valid_until_ns=now_ns + row.valid_days * DAY_NS,
    )
    session.add(event)
    session.flush()
    return ExceptionView(row, ExceptionStatus.ACTIVE, (*view.events, event))


def revoke_exception(
    session: Session, exception_id: str, *, actor: Actor, now_ns: int, note: str | None = None
) -> ExceptionView:
    """End an exception at once: the requester, the employee it is for, or an approver."""
    view = _fetch(session, exception_id, actor, now_ns)
    if view.status not in (ExceptionStatus.PENDING, ExceptionStatus.ACTIVE):
        raise ExceptionStateConflict(exception_id, view.status.value, "revoke")
    event = AccessExceptionEvent(
        exception_id=view.exception.id,
        event=ExceptionEventType.REVOKED,
        at_ns=now_ns,
        actor=actor.id,
        note=(note or "").strip() or None,
    )
    session.add(event)
    session.flush()
    return ExceptionView(view.exception, ExceptionStatus.REVOKED, (*view.events, event))


# --- queries ------------------------------------------------------------------------------------


def get_exception(
    session: Session, exception_id: str, *, actor: Actor, now_ns: int
) -> ExceptionView:
    return _fetch(session, exception_id, actor, now_ns)


def list_exceptions(
    session: Session,
    *,
    actor: Actor,
    now_ns: int,
    status: ExceptionStatus | None = None,
    resident_pseudonym: str | None = None,
) -> list[ExceptionView]:
    """What `actor` may see, newest first, optionally by status or resident."""
    stmt = select(AccessException).where(AccessException.municipality == actor.municipality)
    if not actor.approver:
        stmt = stmt.where(
            (col(AccessException.requested_by) == actor.id)
            | (col(AccessException.subject) == actor.id)
        )
    if resident_pseudonym is not None:
        stmt = stmt.where(AccessException.resident_pseudonym == resident_pseudonym)
    stmt = stmt.order_by(col(AccessException.requested_at_ns).desc(), col(AccessException.id))
    views = _views(session, session.exec(stmt), now_ns)
    return [v for v in views if status is None or v.status is status]


#: The active-exception rule as one Core statement for the enforcement point's hot path:
#: approved, never revoked, and `now < valid_until_ns` (`status_of` gives ACTIVE for exactly
#: these; tests/gateway/test_facts.py checks both agree). Bind `resident`, `subject`, `now`.
_approved = aliased(AccessExceptionEvent, name="approved")
_revoked = aliased(AccessExceptionEvent, name="revoked")
ACTIVE_EXCEPTION_FACTS = (
    sa_select(
        col(AccessException.id),
        col(AccessException.subject),
        col(AccessException.categories),
        col(AccessException.processing_activities),
        col(_approved.at_ns),
        col(_approved.valid_until_ns),
    )
    .join(
        _approved,
        and_(
            col(_approved.exception_id) == AccessException.id,
            col(_approved.event) == ExceptionEventType.APPROVED.value,
        ),
    )
    .where(
        col(AccessException.resident_pseudonym) == bindparam("resident"),
        col(AccessException.subject) == bindparam("subject"),
        col(_approved.valid_until_ns) > bindparam("now"),
        ~sa_select(col(_revoked.id))
        .where(
            col(_revoked.exception_id) == AccessException.id,
            col(_revoked.event) == ExceptionEventType.REVOKED.value,
        )
        .exists(),
    )
    .order_by(col(AccessException.id))
)
