"""The record routes: the allowed and the denied path of each, and an audit record per decision."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from audit import AuditRecord
from gateway.records import CaseRecord

from .conftest import BSN_JOOST, BSN_SANNE

TEAM = ("u-anna", "team_generalist")
OOST = ("wt-oost",)


def _audit(client) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:
        return list(s.scalars(select(AuditRecord).order_by(col(AuditRecord.seq))))


def _store(client, token, category="intake_notes", team="wt-oost", resident=BSN_SANNE):
    resp = client.post(
        "/v1/records",
        json={"resident": resident, "category": category, "team": team, "content": "geheim"},
        headers=token(*TEAM, teams=OOST, activity="wmo-support")
        if team.startswith("wt-")
        else token("u-kees", "wi_client_manager", activity="pw-reintegration"),
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def test_store_allowed_writes_record_and_audit_together(client, token):
    rid = _store(client, token)
    [entry] = _audit(client)
    assert entry.event_type == "record.create"
    assert entry.allowed is True
    assert entry.record_id == rid
    assert entry.basis_type == "role"
    assert entry.resident != BSN_SANNE
    assert (entry.resident or "").startswith("p-")


def test_store_denied_stores_nothing_but_audits(client, token):
    resp = client.post(
        "/v1/records",
        json={"resident": BSN_SANNE, "category": "intake_notes", "team": "wt-oost", "content": "x"},
        headers=token("u-henk", "enforcement_officer", activity="pw-enforcement"),
    )
    assert resp.status_code == 403
    assert "support_data_stays_in_team" in [r["code"] for r in resp.json()["reasons"]]
    with Session(client.app.state.services.db) as s:
        assert s.scalar(select(func.count()).select_from(CaseRecord)) == 0
    [entry] = _audit(client)
    assert entry.allowed is False
    assert entry.reason_codes == ["support_data_stays_in_team"]


def test_store_validates_against_the_register(client, token):
    headers = token(*TEAM, teams=OOST, activity="wmo-support")
    body = {"resident": BSN_SANNE, "category": "intake_notes", "team": "wt-oost", "content": "x"}
    for field, value in (("category", "diary"), ("team", "wt-mars")):
        resp = client.post("/v1/records", json={**body, field: value}, headers=headers)
        assert resp.status_code == 422
        assert resp.json()["detail"][0]["loc"] == ["body", field]
    resp = client.post("/v1/records", json={**body, "team": "wi-zaanstad"}, headers=headers)
    assert resp.status_code == 422  # a W&I unit cannot hold team data
    assert _audit(client) == []


def test_read_allowed_returns_content(client, token):
    rid = _store(client, token)
    resp = client.get(
        f"/v1/records/{rid}", headers=token(*TEAM, teams=OOST, activity="wmo-support")
    )
    assert resp.status_code == 200
    assert resp.json()["content"] == "geheim"
    assert [e.allowed for e in _audit(client)] == [True, True]


def test_read_denied_has_reasons_and_no_content(client, token):
    rid = _store(client, token)
    resp = client.get(
        f"/v1/records/{rid}",
        headers=token("u-henk", "enforcement_officer", activity="pw-enforcement"),
    )
    assert resp.status_code == 403
    body = resp.json()
    assert "content" not in body
    assert "geheim" not in resp.text
    assert body["reasons"][0]["code"] == "support_data_stays_in_team"
    assert body["reasons"][0]["message"]
    denied = _audit(client)[-1]
    assert denied.allowed is False
    assert denied.subject_id == "u-henk"
    assert denied.processing_activity == "pw-enforcement"
    assert denied.purpose == "enforcement"


def test_the_activity_decides_not_the_person(client, token):
    rid = _store(client, token)
    spec = ("u-wim", "team_wi_specialist")
    ok = client.get(f"/v1/records/{rid}", headers=token(*spec, teams=OOST, activity="wmo-support"))
    no = client.get(
        f"/v1/records/{rid}", headers=token(*spec, teams=OOST, activity="pw-enforcement")
    )
    assert (ok.status_code, no.status_code) == (200, 403)


def test_read_unknown_record_is_404(client, token):
    resp = client.get(
        "/v1/records/r-nope", headers=token(*TEAM, teams=OOST, activity="wmo-support")
    )
    assert resp.status_code == 404


def test_activity_header_is_required_and_checked(client, token):
    rid = _store(client, token)
    resp = client.get(f"/v1/records/{rid}", headers=token(*TEAM, teams=OOST))
    assert resp.status_code == 400
    assert "X-Processing-Activity" in resp.json()["detail"]
    resp = client.get(f"/v1/records/{rid}", headers=token(*TEAM, teams=OOST, activity="snooping"))
    assert resp.status_code == 400
    assert "unknown processing activity" in resp.json()["detail"]


def test_token_is_required_and_checked(client, token):
    rid = _store(client, token)
    resp = client.get(f"/v1/records/{rid}", headers={"X-Processing-Activity": "wmo-support"})
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].startswith("Bearer")
    bad = {"Authorization": "Bearer not.a.jwt", "X-Processing-Activity": "wmo-support"}
    assert client.get(f"/v1/records/{rid}", headers=bad).status_code == 401


def test_list_returns_allowed_and_counts_withheld(client, token):
    _store(client, token, "intake_notes")
    _store(client, token, "income", team="wi-zaanstad")
    _store(client, token, "signal", resident=BSN_JOOST)
    before = len(_audit(client))
    resp = client.get(
        f"/v1/residents/{BSN_SANNE}/records",
        headers=token("u-kees", "wi_client_manager", activity="pw-reintegration"),
    )
    assert resp.status_code == 200
    body = resp.json()
    assert [r["category"] for r in body["records"]] == ["income"]
    assert body["withheld"] == 1
    after = _audit(client)[before:]
    assert sorted(e.allowed for e in after) == [False, True]


def test_list_denied_path_withholds_everything(client, token):
    _store(client, token, "intake_notes")
    resp = client.get(
        f"/v1/residents/{BSN_SANNE}/records",
        headers=token("u-henk", "enforcement_officer", activity="pw-enforcement"),
    )
    assert resp.status_code == 200
    assert resp.json() == {"records": [], "withheld": 1}
    assert _audit(client)[-1].allowed is False


def test_resident_reads_own_records_only(client, token):
    _store(client, token, "intake_notes")
    _store(client, token, "signal", resident=BSN_JOOST)
    own = client.get(
        f"/v1/residents/{BSN_SANNE}/records",
        headers=token(BSN_SANNE, "resident", activity="own-access"),
    )
    assert own.status_code == 200
    assert [r["category"] for r in own.json()["records"]] == ["intake_notes"]
    other = client.get(
        f"/v1/residents/{BSN_JOOST}/records",
        headers=token(BSN_SANNE, "resident", activity="own-access"),
    )
    assert other.json() == {"records": [], "withheld": 1}


def test_privacy_officer_never_reads_content(client, token):
    rid = _store(client, token)
    resp = client.get(
        f"/v1/records/{rid}", headers=token("u-fg", "privacy_officer", activity="wmo-support")
    )
    assert resp.status_code == 403
    assert "geheim" not in resp.text
