"""The register of investigations over HTTP (issue 17, finding 8): only an enforcement
officer of the resident's municipality opens and closes an investigation, each opening,
closing and refusal is audited, the BSN is never stored nor echoed. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session, col, select

from audit import AuditRecord
from investigations import InvestigationEvent
from tests.security.door import profile_client

from .conftest import BSN_SANNE


def _events(client, event_type: str) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:
        return list(s.scalars(select(AuditRecord).where(col(AuditRecord.event_type) == event_type)))


def test_an_enforcement_officer_opens_and_closes_and_both_are_audited(client, token):
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    opened = client.post("/v1/investigations", json={"resident": BSN_SANNE}, headers=henk)
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert (body["municipality"], body["status"], body["closed_at"]) == (
        "zaanstad",
        "running",
        None,
    )
    assert BSN_SANNE not in opened.text
    again = client.post("/v1/investigations", json={"resident": BSN_SANNE}, headers=henk)
    assert again.status_code == 409  # one running investigation is enough
    closed = client.post(f"/v1/investigations/{body['id']}/close", headers=henk)
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert client.post(f"/v1/investigations/{body['id']}/close", headers=henk).status_code == 409
    assert client.post("/v1/investigations/inv-nope/close", headers=henk).status_code == 404
    me = client.app.state.services.pseudonymize(BSN_SANNE)
    for event in ("investigation.create", "investigation.close"):
        [rec] = [r for r in _events(client, event) if r.allowed]
        assert (rec.resident, rec.subject_id, rec.processing_activity) == (
            me,
            "u-henk",
            "pw-enforcement",
        )
    with Session(client.app.state.services.db) as s:
        rows = s.scalars(select(InvestigationEvent)).all()
    assert [(r.kind, r.resident_pseudonym) for r in rows] == [("opened", me), ("closed", me)]


def test_no_one_else_opens_or_closes_and_the_refusals_are_audited(client, token):
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    inv = client.post("/v1/investigations", json={"resident": BSN_SANNE}, headers=henk).json()
    others = [
        token("u-kees", "wi_client_manager", activity="pw-benefit"),
        token("u-kees", "wi_client_manager", activity="pw-enforcement"),
        token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support"),
        token("u-pia", "privacy_officer"),
        token(BSN_SANNE, "resident"),
    ]
    for headers in others:
        opened = client.post("/v1/investigations", json={"resident": BSN_SANNE}, headers=headers)
        assert opened.status_code in (403, 404), opened.text
        closed = client.post(f"/v1/investigations/{inv['id']}/close", headers=headers)
        assert closed.status_code in (403, 404), closed.text
    refused = [r for r in _events(client, "investigation.create") if not r.allowed]
    refused += [r for r in _events(client, "investigation.close") if not r.allowed]
    assert len(refused) == 2 * len(others)
    assert client.post(f"/v1/investigations/{inv['id']}/close", headers=henk).status_code == 200


def test_an_enforcement_officer_of_another_municipality_does_not_close(settings, clock):
    with profile_client(settings, clock, "kromme-rijn-heuvelland") as (c, tok):
        bunnik = tok("u-b", "enforcement_officer", "bunnik", "pw-enforcement")
        zeist = tok("u-z", "enforcement_officer", "zeist", "pw-enforcement")
        inv = c.post("/v1/investigations", json={"resident": BSN_SANNE}, headers=bunnik)
        assert inv.status_code == 201, inv.text
        resp = c.post(f"/v1/investigations/{inv.json()['id']}/close", headers=zeist)
        assert resp.status_code in (403, 404)
        [refusal] = [r for r in _events(c, "investigation.close") if not r.allowed]
        assert "other_municipality" in refusal.reason_codes
        ok = c.post(f"/v1/investigations/{inv.json()['id']}/close", headers=bunnik)
        assert ok.status_code == 200


def test_the_body_is_bounded(client, token):
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    for body in ({"resident": ""}, {"resident": "9" * 65}, {"resident": BSN_SANNE, "x": 1}, {}):
        resp = client.post("/v1/investigations", json=body, headers=henk)
        assert resp.status_code == 422
        assert BSN_SANNE not in resp.text
