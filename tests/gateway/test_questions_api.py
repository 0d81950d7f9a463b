"""Residents' questions ("Klopt er iets niet?") through the API, on SQLite and PostgreSQL:
the resident asks about her own entry, the privacy officer answers, the resident reads the
answer; every step decided by the policy and audited; nobody else asks, reads or answers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from questions import ask_question
from tests.gateway.conftest import BSN_JOOST, BSN_SANNE, store_record

Token = Callable[..., dict[str, str]]


def _sanne_entry(client: TestClient, token: Token) -> tuple[int, dict[str, str]]:
    """Anna stores an intake note about Sanne: that is an entry of Sanne's access log."""
    store_record(
        client, token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    )
    sanne = token(BSN_SANNE, "resident")
    log = client.get("/v1/me/access-log", headers=sanne).json()["entries"]
    return int(log[0]["seq"]), sanne


def test_ask_answer_read(client: TestClient, token: Token) -> None:
    seq, sanne = _sanne_entry(client, token)
    asked = client.post(
        "/v1/me/questions",
        json={"entry_seq": seq, "kind": "objection", "text": "Waarom mocht dit?"},
        headers=sanne,
    )
    assert asked.status_code == 201, asked.text
    q = asked.json()
    assert q["status"] == "open"
    assert q["kind"] == "objection"
    assert q["entry_seq"] == seq

    officer = token("u-fg-1", "privacy_officer")
    queue = client.get("/v1/questions", headers=officer)
    assert queue.status_code == 200, queue.text
    listed = queue.json()["questions"]
    assert [x["id"] for x in listed] == [q["id"]]
    assert "text" not in listed[0]
    assert listed[0]["status"] == "open"

    one = client.get(f"/v1/questions/{q['id']}", headers=officer).json()
    assert one["text"] == "Waarom mocht dit?"
    assert one["entry"]["seq"] == seq
    assert one["entry"]["event"] == "record.create"
    answered = client.post(
        f"/v1/questions/{q['id']}/answer",
        json={"text": "Het wijkteam legde uw gesprek vast. Dat hoort bij hun werk."},
        headers=officer,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered"

    mine = client.get("/v1/me/questions", headers=sanne).json()
    assert mine["contact"]["answer_days"] == 30
    assert "@" in mine["contact"]["email"]
    (got,) = mine["questions"]
    assert got["status"] == "answered"
    assert got["answers"] == [
        {
            "text": "Het wijkteam legde uw gesprek vast. Dat hoort bij hun werk.",
            "answered_at": got["answers"][0]["answered_at"],
            "answered_by": "de privacy officer",
        }
    ]
    assert "u-fg-1" not in str(mine)

    # Sanne's access log shows the asking, the officer's reading and answering; not her own
    # reads of her questions (bookkeeping).
    events = [e["event"] for e in client.get("/v1/me/access-log", headers=sanne).json()["entries"]]
    assert events[:3] == ["question.answer", "question.read", "question.create"]
    log = client.get("/v1/me/access-log", headers=sanne).json()["entries"]
    assert log[0]["summary"] == "De privacy officer heeft uw vraag beantwoord."


def test_nobody_else_asks_reads_or_answers(client: TestClient, token: Token) -> None:
    seq, sanne = _sanne_entry(client, token)
    joost = token(BSN_JOOST, "resident")
    # Another resident's entry is not in Joost's log: as unknown.
    resp = client.post(
        "/v1/me/questions", json={"entry_seq": seq, "text": "Wat is dit?"}, headers=joost
    )
    assert resp.status_code == 404
    resp = client.post(
        "/v1/me/questions", json={"entry_seq": 10**9, "text": "Wat is dit?"}, headers=sanne
    )
    assert resp.status_code == 404
    q = client.post(
        "/v1/me/questions", json={"entry_seq": seq, "text": "Wat is dit?"}, headers=sanne
    ).json()
    anna = token("u-anna", "team_generalist", teams=("wt-oost",))
    for method, path, body in (
        ("get", "/v1/questions", None),
        ("get", f"/v1/questions/{q['id']}", None),
        ("post", f"/v1/questions/{q['id']}/answer", {"text": "Dat mocht gewoon."}),
        ("post", "/v1/me/questions", {"entry_seq": seq, "text": "Namens Sanne"}),
    ):
        resp = client.request(method, path, json=body, headers=anna)
        assert resp.status_code == 403, (path, resp.text)
    # A resident does not answer, not even her own question.
    resp = client.post(
        f"/v1/questions/{q['id']}/answer", json={"text": "Zelf opgelost."}, headers=sanne
    )
    assert resp.status_code == 403
    assert resp.json()["reasons"][0]["code"] == "questions_by_resident_and_privacy_officer"
    # An officer of a municipality this deployment does not serve.
    other = token("u-fg-hl", "privacy_officer", municipality="haarlem")
    resp = client.get(f"/v1/questions/{q['id']}", headers=other)
    assert resp.status_code == 403
    assert resp.json()["reasons"][0]["code"] == "other_municipality"
    # Every refusal above is audited (one door): the officer sees them as question decisions.
    assert client.get("/v1/me/questions", headers=sanne).json()["questions"][0]["answers"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "x" * 2001}, "text"),
        ({"text": "Kort"}, "text"),
        ({"text": "Wat \x00 is dit?"}, "text"),
        ({"text": "Wat is dit?", "kind": "klacht"}, "kind"),
        ({"text": "Wat is dit?", "entry_seq": 0}, "entry_seq"),
    ],
)
def test_bounded_input(
    client: TestClient, token: Token, body: dict[str, object], field: str
) -> None:
    seq, sanne = _sanne_entry(client, token)
    resp = client.post("/v1/me/questions", json={"entry_seq": seq, **body}, headers=sanne)
    assert resp.status_code == 422, resp.text
    assert field in str(resp.json()["detail"])


def test_held_back_entry_cannot_be_asked_about(client: TestClient, token: Token) -> None:
    """An enforcement look held back from Sanne's log is not an entry she can ask about (that
    would tip her off)."""
    kees = token("u-kees", "wi_client_manager", activity="pw-benefit")
    rid = store_record(client, kees, category="income", team="wi-zaanstad")
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    opened = client.post("/v1/investigations", json={"resident": BSN_SANNE}, headers=henk)
    assert opened.status_code == 201
    assert client.get(f"/v1/records/{rid}", headers=henk).status_code == 200
    sanne = token(BSN_SANNE, "resident")
    log = client.get("/v1/me/access-log", headers=sanne).json()
    assert log["held_back"] == 2  # the opening and the look
    held_seq = max(e["seq"] for e in log["entries"]) + 2
    resp = client.post(
        "/v1/me/questions", json={"entry_seq": held_seq, "text": "Wie keek hier?"}, headers=sanne
    )
    assert resp.status_code == 404


def test_questions_are_append_only(session: Session) -> None:
    view = ask_question(
        session,
        resident_pseudonym="p-1",
        municipality="zaanstad",
        entry_seq=1,
        kind="question",
        text="Wat betekent dit?",
        now_ns=1,
    )
    session.commit()
    for statement in (
        "UPDATE resident_questions SET text = 'anders'",
        "DELETE FROM resident_questions",
    ):
        with pytest.raises(DBAPIError):
            session.execute(sa.text(statement))
        session.rollback()
    assert session.get(type(view.question), view.question.id) is not None
