"""Consent rules over a real session, on SQLite and PostgreSQL, against the Zaanstad register.

Time is always passed in (`now_ns`), so expiry and withdrawal are tested without sleeping.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from consent import (
    TEXT_VERSION,
    Consent,
    ConsentEvent,
    ConsentEventType,
    ConsentEvidence,
    ConsentMethod,
    ConsentNotFound,
    ConsentNotYours,
    ConsentStatus,
    ConsentValidationError,
    active_consents,
    consent_text,
    get_consent,
    give_consent,
    list_consents,
    recorded_by,
    withdraw_consent,
)
from gateway.db import session_scope
from registry import Register, load_register
from tests.factories import make_consent_request

T0 = 1_764_400_000_000_000_000
HOUR = 3_600 * 10**9
A, B = "ps-resident-a", "ps-resident-b"
FORM = hashlib.sha256(b"scan of the signed form").hexdigest()


def _give(session: Session, register: Register, who: str = A, at: int = T0, **kw: Any) -> Consent:
    return give_consent(session, register, who, make_consent_request(**kw), at)


def _statuses(session: Session, who: str, at: int) -> dict[str, ConsentStatus]:
    return {v.consent.id: v.status for v in list_consents(session, who, at)}


def _ids(consents: list[Consent]) -> set[str]:
    return {c.id for c in consents}


def _count(engine: Engine, model: Any) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


# --- give ---------------------------------------------------------------------------------------


def test_a_valid_consent_is_stored_normalised_with_its_given_event(
    engine: Engine, register: Register
) -> None:
    scope: dict[str, Any] = {
        "categories": ["debts", "income", "debts"],
        "processing_activities": ["wmo-support"],
        "recipients": ["wt-oost"],
        "valid_until_ns": T0 + HOUR,
    }
    shown = consent_text(register, make_consent_request(**scope), T0, "gemeente-zaanstad")
    with session_scope(engine) as s:
        given = _give(s, register, text_sha256=shown.sha256, **scope)

    with Session(engine) as s:
        stored = s.get_one(Consent, given.id)
        events = s.exec(select(ConsentEvent).where(col(ConsentEvent.consent_id) == given.id)).all()
    assert stored.resident_pseudonym == A
    assert stored.categories == ["debts", "income"]
    assert (stored.valid_from_ns, stored.valid_until_ns, stored.given_at_ns) == (T0, T0 + HOUR, T0)
    assert stored.given_by == "resident"
    assert [(e.event, e.at_ns, e.actor) for e in events] == [("given", T0, "resident")]
    with Session(engine) as s:
        ev = s.get_one(ConsentEvidence, given.id)
    assert (ev.method, ev.recorded_by, ev.form_sha256) == ("digital", None, None)
    assert (ev.controller, ev.language, ev.recipient_organisations) == (
        "gemeente-zaanstad",
        "nl",
        [],
    )
    assert (ev.text, ev.text_sha256) == (shown.text, shown.sha256)
    assert "gemeente Zaanstad" in ev.text
    assert "schulden en inkomen" in ev.text


def test_a_professional_records_a_consent_with_its_evidence(
    engine: Engine, register: Register
) -> None:
    who = recorded_by(
        register,
        professional="emp-7",
        roles=["team_generalist"],
        teams=["wt-oost"],
        municipality="zaanstad",
        form_sha256=FORM,
    )
    with session_scope(engine) as s:
        c = give_consent(s, register, A, make_consent_request(language="en"), T0, given_by=who)

    with Session(engine) as s:
        view = get_consent(s, A, c.id, T0)
        assert _ids(active_consents(s, A, T0)) == {c.id}
    assert view.method is ConsentMethod.RECORDED
    assert view.consent.given_by == "emp-7"
    ev = view.evidence
    assert ev is not None
    assert (ev.recorded_by, ev.recorded_by_team, ev.form_sha256) == ("emp-7", "wt-oost", FORM)
    assert (ev.language, ev.text_version) == ("en", TEXT_VERSION)
    assert ev.text.startswith("I give my consent to the municipality of Zaanstad.")
    assert ev.text_sha256 == hashlib.sha256(ev.text.encode()).hexdigest()
    # The resident's history names the team, never the professional.
    assert [(h.event, h.by) for h in view.history] == [(ConsentEventType.GIVEN, "team")]


@pytest.mark.parametrize(
    ("overrides", "field", "named"),
    [
        pytest.param(
            {"categories": ["debts", "tax_records"]},
            "categories",
            ["tax_records"],
            id="unknown category",
        ),
        pytest.param(
            {"processing_activities": ["wmo-support", "marketing"]},
            "processing_activities",
            ["marketing"],
            id="unknown activity",
        ),
        pytest.param(
            {"recipients": ["wt-oost", "insurer"]},
            "recipients",
            ["units or organisations"],
            id="unknown recipient",
        ),
        pytest.param(
            {"recipients": ["team"]},
            "recipients",
            ["units or organisations"],
            id="a whole domain is no specific recipient",
        ),
        pytest.param(
            {
                "categories": ["income"],
                "processing_activities": ["pw-enforcement"],
                "recipients": ["handhaving-zaanstad"],
            },
            "processing_activities",
            # the activity, its legal basis, and the plain-Dutch why
            [
                "pw-enforcement",
                "Participatiewet art. 53a",
                "Toestemming kan hier geen grondslag zijn",
            ],
            id="inadmissible activity",
        ),
        pytest.param(
            {"categories": ["debts", "enforcement_case"], "processing_activities": ["wmo-support"]},
            "categories",
            ["enforcement_case"],
            id="scope wider than the activity",
        ),
        pytest.param(
            {
                "categories": ["debts", "reintegration_plan"],
                "processing_activities": ["wmo-support", "signalling"],
            },
            "categories",
            ["reintegration_plan"],
            id="scope wider than every activity",
        ),
        pytest.param(
            {"valid_until_ns": T0 - 1}, "valid_until", ["past"], id="valid_until in the past"
        ),
        pytest.param({"valid_until_ns": T0}, "valid_until", ["past"], id="valid_until now"),
        pytest.param(
            {"valid_from_ns": T0 + 2 * HOUR, "valid_until_ns": T0 + HOUR},
            "valid_until",
            ["before valid_from"],
            id="valid_until before valid_from",
        ),
        pytest.param(
            {"valid_from_ns": T0 - HOUR}, "valid_from", ["never reaches back"], id="backdated"
        ),
        pytest.param({"language": "fy"}, "language", ["nl, en"], id="no text in that language"),
        pytest.param(
            {"text_sha256": "0" * 64}, "text_sha256", ["differs"], id="another text was shown"
        ),
    ],
)
def test_an_invalid_consent_is_refused_naming_the_field(
    register: Register, overrides: dict[str, Any], field: str, named: list[str]
) -> None:
    # Validation comes before any write: an unbound session would fail on the first flush.
    with Session() as s:
        with pytest.raises(ConsentValidationError) as caught:
            _give(s, register, **overrides)
        assert not s.new

    assert caught.value.field == field
    for part in named:
        assert part in caught.value.message
    assert str(caught.value).startswith(f"{field}: ")
    assert A not in str(caught.value)  # no personal data in the message


def test_a_refused_consent_leaves_nothing_behind(engine: Engine, register: Register) -> None:
    with pytest.raises(ConsentValidationError), session_scope(engine) as s:
        _give(
            s,
            register,
            processing_activities=["pw-enforcement"],
            recipients=["handhaving-zaanstad"],
        )
    assert _count(engine, Consent) == 0
    assert _count(engine, ConsentEvent) == 0


@pytest.mark.parametrize("empty", ["categories", "processing_activities", "recipients"])
def test_a_consent_must_name_at_least_one_of_each(empty: str) -> None:
    with pytest.raises(ValidationError, match=empty):
        make_consent_request(**{empty: []})


def test_a_consent_spanning_several_activities_may_cover_each_ones_categories(
    session: Session, register: Register
) -> None:
    c = _give(
        session,
        register,
        categories=["debts", "reintegration_plan"],
        processing_activities=["wmo-support", "pw-reintegration"],
        recipients=["wt-oost", "wi-zaanstad"],
    )
    assert c.categories == ["debts", "reintegration_plan"]


# --- list, with status derived at the moment of asking -----------------------------------------


def test_status_is_derived_from_the_time_of_asking(session: Session, register: Register) -> None:
    c = _give(session, register, valid_until_ns=T0 + HOUR)

    assert _statuses(session, A, T0 - 1) == {c.id: ConsentStatus.NOT_YET_VALID}
    assert _statuses(session, A, T0) == {c.id: ConsentStatus.ACTIVE}
    assert _statuses(session, A, T0 + HOUR - 1) == {c.id: ConsentStatus.ACTIVE}
    assert _statuses(session, A, T0 + HOUR) == {c.id: ConsentStatus.EXPIRED}
    assert active_consents(session, A, T0 + HOUR) == []


def test_list_shows_every_consent_oldest_first_with_its_own_status(
    session: Session, register: Register
) -> None:
    expired = _give(session, register, at=T0, valid_until_ns=T0 + HOUR)
    withdrawn = _give(session, register, at=T0 + 1)
    active = _give(session, register, at=T0 + 2)
    withdraw_consent(session, A, withdrawn.id, T0 + 3)

    views = list_consents(session, A, T0 + 2 * HOUR)

    assert [(v.consent.id, v.status, v.withdrawn_at_ns) for v in views] == [
        (expired.id, ConsentStatus.EXPIRED, None),
        (withdrawn.id, ConsentStatus.WITHDRAWN, T0 + 3),
        (active.id, ConsentStatus.ACTIVE, None),
    ]


def test_a_consent_without_end_stays_active_and_expiry_shows_in_the_history(
    session: Session, register: Register
) -> None:
    assert list_consents(session, A, T0) == []
    forever = _give(session, register)
    timed = _give(session, register, at=T0 + 1, valid_until_ns=T0 + HOUR)

    later = T0 + 10 * 365 * 24 * HOUR
    assert _statuses(session, A, later) == {
        forever.id: ConsentStatus.ACTIVE,
        timed.id: ConsentStatus.EXPIRED,
    }
    # Expiry is derived, never written: no job ran, yet the history shows it at its moment.
    view = get_consent(session, A, timed.id, later)
    assert [(h.event, h.at_ns, h.by) for h in view.history] == [
        (ConsentEventType.GIVEN, T0 + 1, "resident"),
        (ConsentEventType.EXPIRED, T0 + HOUR, "time"),
    ]
    # Withdrawing what already expired appends nothing.
    assert withdraw_consent(session, A, timed.id, later).status is ConsentStatus.EXPIRED
    assert get_consent(session, A, timed.id, later).history == view.history


def test_a_consent_can_start_later(session: Session, register: Register) -> None:
    c = _give(session, register, valid_from_ns=T0 + HOUR)
    assert _statuses(session, A, T0) == {c.id: ConsentStatus.NOT_YET_VALID}
    assert active_consents(session, A, T0) == []
    assert _ids(active_consents(session, A, T0 + HOUR)) == {c.id}


def test_a_new_consent_supersedes_an_older_one(engine: Engine, register: Register) -> None:
    with session_scope(engine) as s:
        old = _give(s, register)
        theirs = _give(s, register, who=B)
    with session_scope(engine) as s:
        new = _give(s, register, at=T0 + 5, categories=["debts", "health"], supersedes=old.id)

    with Session(engine) as s:
        assert _ids(active_consents(s, A, T0 + 5)) == {new.id}
        old_view, new_view = get_consent(s, A, old.id, T0 + 5), get_consent(s, A, new.id, T0 + 5)
        # Nothing was edited: the old consent reads as ended by an appended event.
        assert (old_view.status, old_view.withdrawn_at_ns) == (ConsentStatus.WITHDRAWN, T0 + 5)
        assert old_view.superseded_by == new.id
        assert [h.event for h in old_view.history] == ["given", "superseded"]
        assert new_view.evidence is not None
        assert new_view.evidence.supersedes == old.id
        with pytest.raises(ConsentValidationError, match="already ended"):
            _give(s, register, at=T0 + 6, supersedes=old.id)
        # Another resident's consent cannot be ended this way, nor learned about.
        with pytest.raises(ConsentValidationError) as caught:
            _give(s, register, at=T0 + 6, supersedes=theirs.id)
        assert caught.value.message == "no consent of this resident with that id"
        assert _ids(active_consents(s, B, T0 + 6)) == {theirs.id}


def test_recipients_are_the_units_and_organisations_working_for_the_municipality() -> None:
    """Issue 17, finding 6: a Bunnik resident names Bunnik's team, the municipality, or the
    regional service serving Bunnik (and its units); not another municipality's units, not a
    domain. The refusal names the field, never the value."""
    krh = load_register("kromme-rijn-heuvelland")
    scope: dict[str, Any] = {
        "categories": ["health"],
        "processing_activities": ["pw-reintegration"],
    }
    req = make_consent_request(
        recipients=["rsd-krh", "rsd-krh-wi", "st-bunnik", "gemeente-bunnik"], **scope
    )
    text = consent_text(krh, req, T0, "gemeente-bunnik").text
    assert "Regionale Sociale Dienst Kromme Rijn Heuvelland" in text
    assert "Sociaal team Bunnik" in text
    assert "RSD Werk en Inkomen" in text
    for stray in ["wt-zeist-noord", "gemeente-zeist", "work_income", "team", "x-secret" * 9]:
        with pytest.raises(ConsentValidationError) as caught:
            consent_text(
                krh, make_consent_request(recipients=[stray], **scope), T0, "gemeente-bunnik"
            )
        assert caught.value.field == "recipients"
        assert stray not in str(caught.value)


def test_the_consent_tables_refuse_update_and_delete(engine: Engine, register: Register) -> None:
    with session_scope(engine) as s:
        c = _give(s, register)
    for table, sql in [
        ("consent_evidence", "UPDATE consent_evidence SET form_sha256 = 'x'"),
        ("consent_evidence", "DELETE FROM consent_evidence"),
        ("consent_events", "UPDATE consent_events SET at_ns = 0"),
        ("consents", "UPDATE consents SET valid_until_ns = 1"),
    ]:
        with pytest.raises(IntegrityError, match=f"{table} is append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    with Session(engine) as s:
        assert get_consent(s, A, c.id, T0).status is ConsentStatus.ACTIVE


# --- withdraw -----------------------------------------------------------------------------------


def test_a_withdrawal_counts_from_the_very_next_call(engine: Engine, register: Register) -> None:
    with session_scope(engine) as s:
        c = _give(s, register)
    with session_scope(engine) as s:
        assert _ids(active_consents(s, A, T0 + 5)) == {c.id}
        view = withdraw_consent(s, A, c.id, T0 + 5)
        assert (view.status, view.withdrawn_at_ns) == (ConsentStatus.WITHDRAWN, T0 + 5)

    with Session(engine) as s:  # a new transaction: the next request
        assert active_consents(s, A, T0 + 5) == []
        assert _statuses(s, A, T0 + 5) == {c.id: ConsentStatus.WITHDRAWN}
        # Asked about a moment before the withdrawal, it was still active then.
        assert _ids(active_consents(s, A, T0 + 4)) == {c.id}


def test_withdrawing_is_idempotent(engine: Engine, register: Register) -> None:
    with session_scope(engine) as s:
        c = _give(s, register)
        first = withdraw_consent(s, A, c.id, T0 + 5)
    with session_scope(engine) as s:
        again = withdraw_consent(s, A, c.id, T0 + 9)

    assert again.withdrawn_at_ns == first.withdrawn_at_ns == T0 + 5
    assert again.status is ConsentStatus.WITHDRAWN
    with Session(engine) as s:
        events = s.exec(
            select(ConsentEvent.event).where(col(ConsentEvent.consent_id) == c.id)
        ).all()
    assert sorted(events) == ["given", "withdrawn"]


def test_overlapping_consents_count_separately(session: Session, register: Register) -> None:
    first = _give(session, register, at=T0)
    second = _give(session, register, at=T0 + 1, categories=["debts", "health"])
    assert _ids(active_consents(session, A, T0 + 2)) == {first.id, second.id}

    withdraw_consent(session, A, first.id, T0 + 3)

    assert _ids(active_consents(session, A, T0 + 3)) == {second.id}


def test_the_active_set_query_agrees_with_the_derived_status(
    engine: Engine, register: Register
) -> None:
    """`active_consents` is one query; `list_consents` derives each status from the events.
    Over a mix of windows, withdrawals and a supersession, at every moment, both agree."""
    with session_scope(engine) as s:
        plain = _give(s, register)
        timed = _give(s, register, at=T0 + 1, valid_until_ns=T0 + 30)
        later = _give(s, register, at=T0 + 2, valid_from_ns=T0 + 10, valid_until_ns=T0 + 50)
        gone = _give(s, register, at=T0 + 3)
        withdraw_consent(s, A, gone.id, T0 + 20)
        expired_first = _give(s, register, at=T0 + 4, valid_until_ns=T0 + 25)
        withdraw_consent(s, A, expired_first.id, T0 + 20)
        _give(s, register, at=T0 + 40, supersedes=plain.id)
        _give(s, register, who=B)
    assert len({plain.id, timed.id, later.id, gone.id, expired_first.id}) == 5
    with Session(engine) as s:
        for at in range(T0, T0 + 60):
            derived = {i for i, st in _statuses(s, A, at).items() if st is ConsentStatus.ACTIVE}
            assert _ids(active_consents(s, A, at)) == derived, at - T0


def test_withdrawing_an_unknown_consent_is_not_found(session: Session) -> None:
    with pytest.raises(ConsentNotFound) as caught:
        withdraw_consent(session, A, "c-does-not-exist", T0)
    assert type(caught.value) is ConsentNotFound
    assert caught.value.consent_id == "c-does-not-exist"


# --- two residents ------------------------------------------------------------------------------


def test_residents_never_see_each_others_consents(session: Session, register: Register) -> None:
    mine = _give(session, register, who=A)
    theirs = _give(session, register, who=B)

    assert [v.consent.id for v in list_consents(session, A, T0)] == [mine.id]
    assert [v.consent.id for v in list_consents(session, B, T0)] == [theirs.id]
    assert _ids(active_consents(session, A, T0)) == {mine.id}


def test_withdrawing_another_residents_consent_looks_like_not_found(
    engine: Engine, register: Register
) -> None:
    with session_scope(engine) as s:
        theirs = _give(s, register, who=B)

    with pytest.raises(ConsentNotFound) as caught, session_scope(engine) as s:
        withdraw_consent(s, A, theirs.id, T0 + 1)

    assert isinstance(caught.value, ConsentNotYours)
    assert str(caught.value) == str(ConsentNotFound(theirs.id))  # indistinguishable in words
    with Session(engine) as s:
        assert _ids(active_consents(s, B, T0 + 1)) == {theirs.id}
    assert _count(engine, ConsentEvent) == 1  # only the `given` event
