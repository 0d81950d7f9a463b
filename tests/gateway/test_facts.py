"""`resident_facts` (one UNION ALL query) against the reference rules, on SQLite and
PostgreSQL: `active_consents` (consents, filtered by organisation) and the exceptions that
`list_exceptions` shows as active (four-eyes exceptions, status derived by `status_of` from
the events).

The enforcement point passes what `resident_facts` returns to the policy; these tests hold it
to the reference functions at every moment that matters (before, inside and after windows, at
their exact ends, at withdrawals), field by field and in the same order.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session

from consent import (
    Consent,
    ConsentEvent,
    ConsentEventType,
    ConsentEvidence,
    ConsentValidationError,
    active_consents,
    give_consent,
    withdraw_consent,
)
from exceptions import (
    Actor,
    ExceptionRequest,
    ExceptionStateConflict,
    ExceptionStatus,
    approve_exception,
    list_exceptions,
    request_exception,
    revoke_exception,
)
from exceptions.service import DAY_NS
from gateway.db import make_engine, read_scope, session_scope
from gateway.facts import NO_FACTS, ResidentFacts, resident_facts
from policy.contract import ConsentFact, ExceptionFact
from registry import Register
from tests.conftest import terminate_backends
from tests.factories import make_consent_request

T0 = 1_764_400_000_000_000_000
HOUR = 3_600 * 10**9
M90 = 90 * 60 * 10**9
DAY = DAY_NS
A, B, NOBODY = "ps-resident-a", "ps-resident-b", "ps-resident-none"
ZAANSTAD, ELSEWHERE = "gemeente-zaanstad", "regio-elders"
#: The organisations a decision may be asked for: the named one, another, and none (a token
#: without an `org` claim gives "").
ORGANISATIONS = (ZAANSTAD, ELSEWHERE, "")
SUBJECTS = ("u-1", "u-2", "u-req", "u-nobody")
REQUESTER = Actor("u-req", ("team_generalist",), "zaanstad")
LEAD = Actor("u-lead", ("team_lead",), "zaanstad")


def _give(session: Session, register: Register, who: str = A, at: int = T0, **kw: Any) -> Consent:
    return give_consent(session, register, who, make_consent_request(**kw), at)


def _ask(
    session: Session,
    register: Register,
    who: str = A,
    subject: str = "u-1",
    at: int = T0,
    valid_days: int = 7,
) -> str:
    req = ExceptionRequest(
        subject=subject,
        categories=["support_plan"],
        processing_activities=["wmo-support"],
        justification="Inwoner in crisis; eigen team tot maandag afwezig.",
        valid_days=valid_days,
    )
    view = request_exception(
        session, register, req, requester=REQUESTER, resident_pseudonym=who, now_ns=at
    )
    return view.exception.id


def _approve(session: Session, exception_id: str, at: int) -> int:
    """Approve at `at`; the end of the window it opens."""
    view = approve_exception(session, exception_id, approver=LEAD, now_ns=at)
    assert view.valid_until_ns is not None
    return view.valid_until_ns


def _revoke(session: Session, exception_id: str, at: int) -> None:
    revoke_exception(session, exception_id, actor=LEAD, now_ns=at)


def _reference(
    session: Session, resident: str, subject: str, organisation: str, at: int
) -> ResidentFacts:
    """What the enforcement point built before `resident_facts`: two ORM lookups."""
    consents = tuple(
        ConsentFact(
            id=c.id,
            categories=tuple(c.categories),
            processing_activities=tuple(c.processing_activities),
            recipients=tuple(c.recipients),
            valid_from_ns=c.valid_from_ns,
            valid_until_ns=c.valid_until_ns or 0,
        )
        for c in active_consents(session, resident, at, organisation=organisation)
    )
    # The exceptions the exceptions API shows as active (status derived from the events by
    # `status_of`), for this subject, in id order.
    active = list_exceptions(
        session,
        actor=LEAD,
        now_ns=at,
        status=ExceptionStatus.ACTIVE,
        resident_pseudonym=resident,
    )
    exceptions = tuple(
        ExceptionFact(
            id=v.exception.id,
            subject=v.exception.subject,
            categories=tuple(v.exception.categories),
            processing_activities=tuple(v.exception.processing_activities),
            valid_from_ns=v.valid_from_ns or 0,
            valid_until_ns=v.valid_until_ns or 0,
        )
        for v in sorted(active, key=lambda v: v.exception.id)
        if v.exception.subject == subject
    )
    return ResidentFacts(consents, exceptions)


def _assert_agree(
    session: Session, resident: str, subject: str, organisation: str, at: int
) -> ResidentFacts:
    got = resident_facts(session, resident, subject, organisation, at)
    want = _reference(session, resident, subject, organisation, at)
    where = f"resident={resident} subject={subject} org={organisation!r} at=T0{at - T0:+d}"
    assert [c.id for c in got.consents] == [c.id for c in want.consents], where
    assert got.consents == want.consents, where
    assert [x.id for x in got.exceptions] == [x.id for x in want.exceptions], where
    assert got.exceptions == want.exceptions, where
    assert got == want, where
    return got


def _legacy_consent(session: Session, who: str, at: int) -> Consent:
    """A consent from before `consent_evidence` existed: no evidence row, so no named
    organisations (the outer join gives NULL)."""
    c = Consent(
        id=f"c-legacy-{who[-1]}",
        resident_pseudonym=who,
        categories=["debts"],
        processing_activities=["wmo-support"],
        recipients=["team"],
        valid_from_ns=at,
        valid_until_ns=None,
        given_at_ns=at,
        given_by="resident",
    )
    session.add(c)
    session.flush()
    session.add(
        ConsentEvent(consent_id=c.id, event=ConsentEventType.GIVEN, at_ns=at, actor="resident")
    )
    session.flush()
    return c


def _named_legacy(session: Session, who: str, at: int) -> Consent:
    """A consent from before 0006c limited to a named organisation besides its domain
    (`recipient_organisations`); the service writes none any more, the facts still honour
    the limit of the rows that have one."""
    c = Consent(
        id=f"c-named-{who[-1]}-{at}",
        resident_pseudonym=who,
        categories=["debts"],
        processing_activities=["wmo-support"],
        recipients=["team"],
        valid_from_ns=at,
        valid_until_ns=None,
        given_at_ns=at,
        given_by="resident",
    )
    session.add(c)
    session.flush()
    session.add(
        ConsentEvidence(
            consent_id=c.id,
            method="digital",
            controller=ZAANSTAD,
            language="nl",
            text_version="2026-11",
            text="…",
            text_sha256="0" * 64,
            recipient_organisations=[ZAANSTAD],
        )
    )
    session.add(
        ConsentEvent(consent_id=c.id, event=ConsentEventType.GIVEN, at_ns=at, actor="resident")
    )
    session.flush()
    return c


# --- a scenario with every kind of consent and exception ----------------------------------------


@dataclass(frozen=True)
class Scenario:
    consents: dict[str, str]  # name → id
    exceptions: dict[str, str]
    moments: tuple[int, ...]


def _scenario(engine: Engine, register: Register) -> Scenario:
    with session_scope(engine) as s:
        legacy = _legacy_consent(s, A, T0 - HOUR)
        plain = _give(s, register)
        twin = _give(s, register, categories=["debts", "health"])  # same instant: id breaks tie
        named = _named_legacy(s, A, T0 + 1)
        windowed = _give(
            s,
            register,
            at=T0 + 2,
            categories=["income", "reintegration_plan"],
            processing_activities=["pw-reintegration"],
            recipients=["wi-zaanstad"],
            valid_from_ns=T0 + HOUR,
            valid_until_ns=T0 + 3 * HOUR,
        )
        withdrawn = _give(s, register, at=T0 + 3)
        old = _give(s, register, at=T0 + 4, valid_until_ns=T0 + 10 * HOUR)
        theirs = _give(s, register, who=B)
        x_active = _ask(s, register)
        x_revoked = _ask(s, register)
        x_pending = _ask(s, register, valid_days=3)
        x_other = _ask(s, register, subject="u-2")
        x_short = _ask(s, register, valid_days=1)
        x_theirs = _ask(s, register, who=B)
        x_dropped = _ask(s, register)  # revoked before anyone approved it
    with session_scope(engine) as s:
        ends = {x: _approve(s, x, T0 + HOUR) for x in (x_active, x_revoked, x_other, x_short)}
        ends[x_theirs] = _approve(s, x_theirs, T0 + HOUR)
        _revoke(s, x_dropped, T0 + HOUR)
    with session_scope(engine) as s:
        new = _give(s, register, at=T0 + M90, categories=["debts", "income"], supersedes=old.id)
        withdraw_consent(s, A, withdrawn.id, T0 + 2 * HOUR)
        _revoke(s, x_revoked, T0 + 2 * HOUR)
    assert ends[x_short] == T0 + HOUR + DAY
    assert ends[x_active] == T0 + HOUR + 7 * DAY
    edges = {
        T0 - HOUR,  # the legacy consent
        T0,  # most are given
        T0 + 1,  # the named one
        T0 + HOUR,  # the window opens; the approvals
        T0 + M90,  # the supersession
        T0 + 2 * HOUR,  # the withdrawal; the revocation
        T0 + 3 * HOUR,  # the window ends
        T0 + 10 * HOUR,  # the superseded one would have ended
        T0 + HOUR + DAY,  # the short exception ends
        T0 + 3 * DAY,  # the unapproved request goes stale
        T0 + HOUR + 7 * DAY,  # the others end
    }
    moments = sorted({t + d for t in edges for d in (-1, 0, 1)} | {T0 + 365 * DAY})
    return Scenario(
        consents={
            "legacy": legacy.id,
            "plain": plain.id,
            "twin": twin.id,
            "named": named.id,
            "windowed": windowed.id,
            "withdrawn": withdrawn.id,
            "old": old.id,
            "new": new.id,
            "theirs": theirs.id,
        },
        exceptions={
            "active": x_active,
            "revoked": x_revoked,
            "pending": x_pending,
            "other": x_other,
            "short": x_short,
            "theirs": x_theirs,
            "dropped": x_dropped,
        },
        moments=tuple(moments),
    )


def test_one_query_agrees_with_both_lookups_at_every_moment(
    engine: Engine, register: Register
) -> None:
    """Every moment x resident x subject x organisation: the same facts, field by field."""
    sc = _scenario(engine, register)
    seen_consents: set[str] = set()
    seen_exceptions: set[str] = set()
    with Session(engine) as s:
        for at, who, subject, org in itertools.product(
            sc.moments, (A, B, NOBODY), SUBJECTS, ORGANISATIONS
        ):
            got = _assert_agree(s, who, subject, org, at)
            seen_consents.update(c.id for c in got.consents)
            seen_exceptions.update(x.id for x in got.exceptions)
    # Not vacuous: every consent that was ever active was compared, and every exception that
    # is approved and unrevoked; the others never show.
    c, x = sc.consents, sc.exceptions
    assert seen_consents == set(c.values())
    assert seen_exceptions == {x["active"], x["other"], x["short"], x["theirs"]}


def test_the_scenario_reads_as_intended(engine: Engine, register: Register) -> None:
    """Anchors, so that agreement above is agreement about the right things."""
    sc = _scenario(engine, register)
    c, x = sc.consents, sc.exceptions

    def ids(
        s: Session, at: int, org: str = ZAANSTAD, who: str = A, subject: str = "u-1"
    ) -> tuple[list[str], list[str]]:
        got = _assert_agree(s, who, subject, org, at)
        return [f.id for f in got.consents], [f.id for f in got.exceptions]

    first = sorted([c["plain"], c["twin"]])
    with Session(engine) as s:
        # An exception's status ignores when its events happened (`status_of`), so an approved
        # one shows even at a moment before its request; its window is in the fact, and the
        # policy checks it. The one revoked at 2h never shows, not even before 2h.
        assert ids(s, T0 - HOUR - 1) == ([], sorted([x["active"], x["short"]]))
        assert x["revoked"] not in ids(s, T0 + HOUR)[1]
        assert ids(s, T0 + HOUR)[0] == [
            c["legacy"],
            *first,
            c["named"],
            c["windowed"],
            c["withdrawn"],
            c["old"],
        ]
        # The named consent counts only for its organisation.
        assert c["named"] not in ids(s, T0 + HOUR, ELSEWHERE)[0]
        assert c["named"] not in ids(s, T0 + HOUR, "")[0]
        # Superseded at M90, withdrawn at 2h, the window over at 3h: each from that instant on.
        assert ids(s, T0 + M90)[0] == [
            c["legacy"],
            *first,
            c["named"],
            c["windowed"],
            c["withdrawn"],
            c["new"],
        ]
        assert ids(s, T0 + 2 * HOUR - 1)[0][-2:] == [c["withdrawn"], c["new"]]
        assert ids(s, T0 + 2 * HOUR)[0] == [
            c["legacy"],
            *first,
            c["named"],
            c["windowed"],
            c["new"],
        ]
        assert ids(s, T0 + 3 * HOUR - 1)[0] == ids(s, T0 + 2 * HOUR)[0]
        assert ids(s, T0 + 3 * HOUR)[0] == [c["legacy"], *first, c["named"], c["new"]]
        # Exceptions: the short one ends after a day, the other a week after approval.
        assert ids(s, T0 + HOUR + DAY - 1)[1] == sorted([x["active"], x["short"]])
        assert ids(s, T0 + HOUR + DAY)[1] == [x["active"]]
        assert ids(s, T0 + HOUR + 7 * DAY) == ([c["legacy"], *first, c["named"], c["new"]], [])
        assert ids(s, T0 + HOUR, subject="u-2")[1] == [x["other"]]
        assert ids(s, T0 + HOUR, who=B) == ([c["theirs"]], [x["theirs"]])


def test_a_resident_with_nothing_has_no_facts(session: Session, register: Register) -> None:
    assert resident_facts(session, NOBODY, "u-1", ZAANSTAD, T0) == ResidentFacts((), ())
    # Another resident's consents and exceptions are not theirs.
    _give(session, register)
    x = _ask(session, register)
    _approve(session, x, T0)
    for at in (T0 - 1, T0, T0 + HOUR):
        for org in ORGANISATIONS:
            assert resident_facts(session, NOBODY, "u-1", org, at) == NO_FACTS
            assert _reference(session, NOBODY, "u-1", org, at) == NO_FACTS


def test_a_resident_with_only_ended_things_has_no_facts(
    session: Session, register: Register
) -> None:
    gone = _give(session, register, valid_until_ns=T0 + HOUR)
    _give(session, register, at=T0 + 1, valid_until_ns=T0 + DAY, supersedes=gone.id)
    later = _give(session, register, at=T0 + 2, recipients=[ZAANSTAD])
    withdraw_consent(session, A, later.id, T0 + 3)
    _ask(session, register, valid_days=1)  # never approved: stale after a day
    revoked = _ask(session, register)
    _approve(session, revoked, T0 + 1)
    _revoke(session, revoked, T0 + 2)
    short = _ask(session, register, valid_days=1)
    _approve(session, short, T0 + 1)
    for org in ORGANISATIONS:
        assert _assert_agree(session, A, "u-1", org, T0 + 2 * DAY) == NO_FACTS


# --- property: random histories ----------------------------------------------------------------


@dataclass(frozen=True)
class Give:
    resident: int
    delta: int
    start: int | None  # valid_from relative to now (None: now)
    length: int | None  # valid_until relative to valid_from (None: no end)
    named: bool
    supersedes: int | None


@dataclass(frozen=True)
class Withdraw:
    target: int
    delta: int


@dataclass(frozen=True)
class Request:
    resident: int
    subject: int
    days: int
    delta: int
    approved: bool  # at once, at the same instant (otherwise perhaps by a later Approve)


@dataclass(frozen=True)
class Approve:
    target: int
    delta: int


@dataclass(frozen=True)
class Revoke:
    target: int
    delta: int


Op = Give | Withdraw | Request | Approve | Revoke
PEOPLE = (A, B)
_delta = st.sampled_from([0, 1, HOUR, HOUR, HOUR, DAY, 8 * DAY])
_give_op = st.builds(
    Give,
    resident=st.integers(0, 1),
    delta=_delta,
    start=st.sampled_from([None, 0, 1, HOUR, DAY]),
    length=st.sampled_from([None, 1, HOUR, DAY, 10 * DAY]),
    named=st.booleans(),
    supersedes=st.none() | st.integers(0, 7),
)
_request_op = st.builds(
    Request,
    resident=st.integers(0, 1),
    subject=st.integers(0, 1),
    days=st.sampled_from([1, 7, 7]),
    delta=_delta,
    approved=st.booleans(),
)
_by_kind: dict[str, st.SearchStrategy[Op]] = {
    "give": _give_op,
    "request": _request_op,
    "approve": st.builds(Approve, target=st.integers(0, 7), delta=_delta),
    "withdraw": st.builds(Withdraw, target=st.integers(0, 7), delta=_delta),
    "revoke": st.builds(Revoke, target=st.integers(0, 7), delta=_delta),
}
#: Gives, requests and approvals thrice as likely as withdrawals and revocations, so that
#: most histories have something active to compare.
_ops: st.SearchStrategy[Op] = st.sampled_from(
    ["give", "request", "approve"] * 3 + ["withdraw", "revoke"]
).flatmap(_by_kind.__getitem__)


def _play(session: Session, register: Register, ops: list[Op]) -> list[int]:
    """Apply the history; refused steps (superseding an ended consent, approving what is not
    pending, revoking what has ended) are skipped as the service refuses them. Returns the
    instants at which something starts or ends."""
    now = T0
    consents: list[Consent] = []
    exceptions: list[str] = []
    unapproved: list[str] = []  # approvals pick among these
    instants = {T0}
    for op in ops:
        now += op.delta
        instants.add(now)
        if isinstance(op, Give):
            start = None if op.start is None else now + op.start
            until = None if op.length is None else (start or now) + op.length
            old = None
            if op.supersedes is not None and consents:
                old = consents[op.supersedes % len(consents)].id
            try:
                c = _give(
                    session,
                    register,
                    PEOPLE[op.resident],
                    now,
                    valid_from_ns=start,
                    valid_until_ns=until,
                    recipients=[ZAANSTAD] if op.named else ["wt-oost"],
                    supersedes=old,
                )
            except ConsentValidationError:
                continue
            consents.append(c)
            instants.add(c.valid_from_ns)
            if c.valid_until_ns is not None:
                instants.add(c.valid_until_ns)
        elif isinstance(op, Withdraw):
            if consents:
                target = consents[op.target % len(consents)]
                withdraw_consent(session, target.resident_pseudonym, target.id, now)
        elif isinstance(op, Request):
            who, subject = PEOPLE[op.resident], SUBJECTS[op.subject]
            exceptions.append(_ask(session, register, who, subject, now, valid_days=op.days))
            if op.approved:
                instants.add(_approve(session, exceptions[-1], now))
            else:
                unapproved.append(exceptions[-1])
        elif isinstance(op, Approve):
            if unapproved:
                target_id = unapproved.pop(op.target % len(unapproved))
                try:
                    instants.add(_approve(session, target_id, now))
                except ExceptionStateConflict:  # stale, or revoked while pending
                    continue
        elif exceptions:
            try:
                _revoke(session, exceptions[op.target % len(exceptions)], now)
            except ExceptionStateConflict:  # already ended
                continue
    return sorted(instants)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(_ops, min_size=4, max_size=16), data=st.data())
def test_random_histories_agree(
    engine: Engine, register: Register, ops: list[Op], data: st.DataObject
) -> None:
    """Random gives, withdrawals, supersessions, requests, approvals and revocations; at
    random moments near their edges, both paths give the same facts. Each example runs in a
    transaction that is rolled back, so examples never see each other's rows."""
    with Session(engine) as s:
        try:
            instants = _play(s, register, ops)
            # Any six of the edges, each just before and at it (permutations, not
            # sampled_from: that favours the first, T0, where little has happened yet).
            edges = data.draw(st.permutations(instants), "edges")[:6]
            moments = sorted({t + d for t in edges for d in (-1, 0)})
            seen = {"consents": False, "exceptions": False}
            for at in moments:
                for who in PEOPLE:
                    for subject, org in (("u-1", ZAANSTAD), ("u-2", ELSEWHERE)):
                        got = _assert_agree(s, who, subject, org, at)
                        seen["consents"] |= bool(got.consents)
                        seen["exceptions"] |= bool(got.exceptions)
            for kind, compared in seen.items():  # --hypothesis-show-statistics
                event(f"{kind} compared: {compared}")
        finally:
            s.rollback()


def test_a_failing_facts_query_is_a_database_error(engine: Engine) -> None:
    """The facts query runs on the driver's cursor; its failure is SQLAlchemy's error (the
    gateway's 503, fail closed), not the driver's own exception (a 500)."""
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE consents RENAME TO consents_gone"))
    with read_scope(engine) as s, pytest.raises(SQLAlchemyError):
        resident_facts(s, "p-1", "u-1", "gemeente-zaanstad", 0)


@pytest.mark.postgres
def test_the_facts_query_on_a_dropped_connection_invalidates_it(pg_database_url: str) -> None:
    """The driver's error on a connection the server dropped goes through SQLAlchemy, which
    invalidates the pool: the request fails closed, the next one connects anew."""
    engine = make_engine(pg_database_url)
    try:
        with read_scope(engine) as s:
            s.connection()  # checked out and alive
            assert terminate_backends(pg_database_url) >= 1
            with pytest.raises(DBAPIError) as caught:
                resident_facts(s, "p-1", "u-1", "gemeente-zaanstad", 0)
        assert caught.value.connection_invalidated
        with read_scope(engine) as s:
            assert resident_facts(s, "p-1", "u-1", "gemeente-zaanstad", 0) == NO_FACTS
    finally:
        engine.dispose()
