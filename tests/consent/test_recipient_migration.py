"""Migration 0006c: consents that named a domain are narrowed to a unit or organisation, never
widened; one that cannot be narrowed stops counting (issue 17, finding 6). On SQLite and
PostgreSQL: consents written at 0005a, as the gateway then wrote them, then migrated."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import insert
from sqlmodel import Session

from consent import (
    Consent,
    ConsentEvent,
    ConsentEvidence,
    ConsentStatus,
    list_consents,
    narrow,
)
from gateway.db import make_engine
from gateway.facts import resident_facts
from gateway.migrate import upgrade
from policy import EngineKind, build_engine
from policy.bundle import load_modules
from policy.contract import Context, DecisionInput, Resource, Subject
from registry import Register, load_register

HOUR = 3_600_000_000_000
ZAANSTAD = "gemeente-zaanstad"
RESIDENT = "p-77"


@pytest.fixture(scope="module")
def zaanstad() -> Register:
    return load_register("zaanstad")


def _old_consent(
    session: Session,
    cid: str,
    *,
    categories: list[str],
    activities: list[str],
    recipients: list[str],
    team: str | None = None,
    organisations: list[str] | None = None,
    at: int,
    events: tuple[tuple[str, int], ...] = (),
) -> None:
    """A consent as the gateway wrote it before 0006c (recipients were domains)."""
    session.execute(
        insert(Consent).values(
            id=cid,
            resident_pseudonym=RESIDENT,
            categories=categories,
            processing_activities=activities,
            recipients=recipients,
            valid_from_ns=at,
            valid_until_ns=None,
            given_at_ns=at,
            given_by="u-pro" if team else "resident",
        )
    )
    session.execute(
        insert(ConsentEvidence).values(
            consent_id=cid,
            method="recorded" if team else "digital",
            recorded_by="u-pro" if team else None,
            recorded_by_team=team,
            form_sha256="a" * 64 if team else None,
            controller=ZAANSTAD,
            language="nl",
            text_version="2026-11",
            text=f"the text of {cid}",
            text_sha256="b" * 64,
            recipient_organisations=organisations or [],
            supersedes=None,
        )
    )
    for event, when in (("given", at), *events):
        session.execute(
            insert(ConsentEvent).values(consent_id=cid, event=event, at_ns=when, actor="resident")
        )


def _decide(zaanstad: Register, consents: Any, team: str, role: str, now: int) -> Any:
    engine = build_engine(EngineKind.EMBEDDED, load_modules(), zaanstad.policy_data())
    activity, category = {
        "team_generalist": ("wmo-support", "income"),
        "wi_client_manager": ("pw-reintegration", "health"),
    }[role]
    return engine.decide(
        DecisionInput(
            subject=Subject(
                id="u-1",
                roles=(role,),
                organisation=ZAANSTAD,
                teams=(team,),
                municipality="zaanstad",
            ),
            action="read",
            processing_activity=activity,
            resource=Resource(
                type="record",
                id="r-1",
                category=category,
                team="wi-zaanstad" if category == "income" else "wt-oost",
                municipality="zaanstad",
                resident=RESIDENT,
            ),
            consents=consents,
            context=Context(now_ns=now),
        )
    )


def test_domain_recipients_are_narrowed_never_widened(
    blank_database_url: str, zaanstad: Register
) -> None:
    upgrade(blank_database_url, "0005a")
    engine = make_engine(blank_database_url)
    t = time.time_ns() - HOUR
    with Session(engine) as s, s.begin():
        # To "the wijkteams", recorded by wt-oost: becomes wt-oost.
        _old_consent(
            s,
            "c-1-team",
            categories=["income"],
            activities=["wmo-support"],
            recipients=["team"],
            team="wt-oost",
            at=t,
        )
        # To "work and income", given digitally, no organisation: cannot be narrowed.
        _old_consent(
            s,
            "c-2-wi",
            categories=["health"],
            activities=["pw-reintegration"],
            recipients=["work_income"],
            at=t + 1,
        )
        # To "work and income" at the named organisation: becomes the organisation.
        _old_consent(
            s,
            "c-3-org",
            categories=["health"],
            activities=["pw-reintegration"],
            recipients=["work_income"],
            organisations=[ZAANSTAD],
            at=t + 2,
        )
        # Already withdrawn: history, left as it is.
        _old_consent(
            s,
            "c-4-gone",
            categories=["income"],
            activities=["wmo-support"],
            recipients=["team"],
            team="wt-oost",
            at=t + 3,
            events=(("withdrawn", t + 4),),
        )
    with Session(engine) as s:
        before = resident_facts(s, RESIDENT, "u-1", ZAANSTAD, time.time_ns()).consents
    # Before: the policy counts a domain for nobody, so unmigrated consents open nothing.
    assert len(before) == 3
    assert not _decide(zaanstad, before, "wt-oost", "team_generalist", time.time_ns()).allow
    assert not _decide(zaanstad, before, "wi-zaanstad", "wi_client_manager", time.time_ns()).allow

    upgrade(blank_database_url)
    now = time.time_ns()
    with Session(engine) as s:
        views = {v.consent.id: v for v in list_consents(s, RESIDENT, now)}
        facts = resident_facts(s, RESIDENT, "u-1", ZAANSTAD, now).consents
    engine.dispose()

    old_team, old_wi, old_org, gone = (
        views.pop(k) for k in ("c-1-team", "c-2-wi", "c-3-org", "c-4-gone")
    )
    assert (old_team.status, old_org.status) == (ConsentStatus.WITHDRAWN,) * 2
    assert old_wi.status is ConsentStatus.LAPSED
    assert [h.by for h in old_wi.history] == ["resident", "gateway"]
    assert gone.status is ConsentStatus.WITHDRAWN
    assert gone.superseded_by is None
    new = {v.evidence.supersedes: v for v in views.values() if v.evidence}
    assert set(new) == {"c-1-team", "c-3-org"}
    assert len(views) == 2
    team, org = new["c-1-team"], new["c-3-org"]
    assert old_team.superseded_by == team.consent.id
    assert old_org.superseded_by == org.consent.id
    assert (team.consent.recipients, org.consent.recipients) == (["wt-oost"], [ZAANSTAD])
    assert team.status is org.status is ConsentStatus.ACTIVE
    # The evidence stays what the resident agreed to; the window stays.
    assert team.evidence is not None
    assert (team.evidence.text, team.evidence.form_sha256) == ("the text of c-1-team", "a" * 64)
    assert team.consent.valid_from_ns == old_team.consent.valid_from_ns
    assert team.consent.given_by == "u-pro"

    # After: wt-oost only; work and income only through the named organisation.
    assert sorted(f.id for f in facts) == sorted([team.consent.id, org.consent.id])
    oost = _decide(zaanstad, facts, "wt-oost", "team_generalist", now)
    assert oost.allow
    assert oost.basis is not None
    assert oost.basis.ref == team.consent.id
    assert not _decide(zaanstad, facts, "wt-west", "team_generalist", now).allow
    wi = _decide(zaanstad, facts, "wi-zaanstad", "wi_client_manager", now)
    assert wi.allow
    assert wi.basis is not None
    assert wi.basis.ref == org.consent.id

    # Running it again finds nothing to do.
    upgrade(blank_database_url, "0005a")
    upgrade(blank_database_url)
    engine = make_engine(blank_database_url)
    with Session(engine) as s:
        assert len(list_consents(s, RESIDENT, time.time_ns())) == 6
    engine.dispose()


@pytest.mark.parametrize(
    ("old", "expected"),
    [
        pytest.param(
            {"recipients": ["team"], "recorded_by_team": "wt-oost"},
            (["income"], ["wmo-support"], ["wt-oost"]),
            id="the recording team, of the recipient domain",
        ),
        pytest.param(
            {
                "recipients": ["work_income"],
                "recorded_by_team": "wt-oost",
                "categories": ["health"],
                "processing_activities": ["pw-reintegration"],
            },
            None,
            id="the recording team is of another domain",
        ),
        pytest.param(
            {"recipients": ["team"], "recorded_by_team": "wt-oost", "organisations": ["other"]},
            None,
            id="neither the recording team nor the organisation is in the register's",
        ),
        pytest.param(
            {
                "recipients": ["team"],
                "recorded_by_team": "wt-oost",
                "categories": ["income", "health"],
                "processing_activities": ["wmo-support", "pw-reintegration"],
            },
            (["health", "income"], ["wmo-support"], ["wt-oost"]),
            id="activities of another domain never counted: dropped",
        ),
        pytest.param(
            {
                "recipients": ["team"],
                "categories": ["reintegration_plan"],
                "processing_activities": ["wmo-support", "pw-reintegration"],
                "organisations": [ZAANSTAD],
            },
            None,
            id="no category left for the activities kept",
        ),
        pytest.param(
            {"recipients": ["team"]},
            None,
            id="given digitally, no organisation: stops counting",
        ),
    ],
)
def test_narrow(zaanstad: Register, old: dict[str, Any], expected: Any) -> None:
    got = narrow(
        zaanstad,
        categories=old.get("categories", ["income"]),
        processing_activities=old.get("processing_activities", ["wmo-support"]),
        recipients=old["recipients"],
        recorded_by_team=old.get("recorded_by_team"),
        organisations=old.get("organisations", []),
    )
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert (got.categories, got.processing_activities, got.recipients) == expected
