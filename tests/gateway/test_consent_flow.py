"""Consent through the gateway: refused before, allowed with it, refused again after withdrawal."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from audit import AuditRecord

from .conftest import BSN_JOOST, BSN_SANNE

KM = ("u-kees", "wi_client_manager")
HEALTH_FOR_WORK = {
    "categories": ["health"],
    "processing_activities": ["pw-reintegration"],
    "recipients": ["wi-zaanstad"],
}


def _health_record(client, token) -> str:
    resp = client.post(
        "/v1/records",
        json={"resident": BSN_SANNE, "category": "health", "team": "wt-oost", "content": "20 uur"},
        headers=token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support"),
    )
    assert resp.status_code == 201
    return resp.json()["id"]


def test_consent_allows_then_withdrawal_refuses_the_next_request(client, token, clock):
    rid = _health_record(client, token)
    km = token(*KM, teams=("wi-zaanstad",), activity="pw-reintegration")
    before = client.get(f"/v1/records/{rid}", headers=km)
    assert before.status_code == 403
    assert before.json()["reasons"][0]["code"] == "consent_required"

    resident = token(BSN_SANNE, "resident")
    given = client.post("/v1/consents", json=HEALTH_FOR_WORK, headers=resident)
    assert given.status_code == 201
    cid = given.json()["id"]

    clock.advance(1)
    during = client.get(f"/v1/records/{rid}", headers=km)
    assert during.status_code == 200
    with Session(client.app.state.services.db) as s:
        last = s.scalars(select(AuditRecord).order_by(col(AuditRecord.seq).desc())).first()
    assert last is not None
    assert (last.basis_type, last.consent_id) == ("consent", cid)

    log = client.get("/v1/me/access-log", headers=resident).json()["entries"]
    assert log[0]["consent_id"] == cid
    assert log[0]["legal_basis"]["type"] == "consent"

    assert client.post(f"/v1/consents/{cid}/withdraw", headers=resident).status_code == 200
    after = client.get(f"/v1/records/{rid}", headers=km)
    assert after.status_code == 403

    listed = client.get("/v1/me/consents", headers=resident).json()["consents"]
    assert [(c["id"], c["status"]) for c in listed] == [(cid, "withdrawn")]


def test_consent_expires_without_a_background_job(client, token, clock):
    rid = _health_record(client, token)
    resident = token(BSN_SANNE, "resident")
    until = "2026-11-30T12:00:00+00:00"
    resp = client.post(
        "/v1/consents", json={**HEALTH_FOR_WORK, "valid_until": until}, headers=resident
    )
    assert resp.status_code == 201, resp.text
    km = token(*KM, teams=("wi-zaanstad",), activity="pw-reintegration")
    assert client.get(f"/v1/records/{rid}", headers=km).status_code == 200
    clock.advance(3 * 24 * 3600)
    assert client.get(f"/v1/records/{rid}", headers=km).status_code == 403
    assert (
        client.get("/v1/me/consents", headers=resident).json()["consents"][0]["status"] == "expired"
    )


def test_consent_for_enforcement_is_refused_with_a_reason(client, token):
    resp = client.post(
        "/v1/consents",
        json={
            "categories": ["intake_notes"],
            "processing_activities": ["pw-enforcement"],
            "recipients": ["handhaving-zaanstad"],
        },
        headers=token(BSN_SANNE, "resident"),
    )
    assert resp.status_code == 422
    detail = resp.json()["detail"][0]
    assert detail["loc"] == ["body", "processing_activities"]
    assert "niet" in detail["msg"]  # the plain-Dutch explanation


def test_consent_validation_names_the_field(client, token):
    resident = token(BSN_SANNE, "resident")
    for field, value in (
        ("categories", ["diary"]),
        ("processing_activities", ["snooping"]),
        ("recipients", ["the-press"]),
    ):
        resp = client.post("/v1/consents", json={**HEALTH_FOR_WORK, field: value}, headers=resident)
        assert resp.status_code == 422
        assert resp.json()["detail"][0]["loc"] == ["body", field]
    # Recipients are units or organisations of this municipality: a domain, another
    # municipality's unit or free text is refused, naming the field and never the value.
    for value in (["work_income"], ["team"], ["wt-de-bilt"], ["Sanne's buurvrouw"]):
        resp = client.post(
            "/v1/consents", json={**HEALTH_FOR_WORK, "recipients": value}, headers=resident
        )
        assert resp.status_code == 422
        assert resp.json()["detail"][0]["loc"] == ["body", "recipients"]
        assert value[0] not in resp.text
    past = {**HEALTH_FOR_WORK, "valid_until": "2020-01-01T00:00:00+00:00"}
    resp = client.post("/v1/consents", json=past, headers=resident)
    assert resp.json()["detail"][0]["loc"] == ["body", "valid_until"]


def test_residents_never_see_or_withdraw_each_others_consents(client, token):
    sanne, joost = token(BSN_SANNE, "resident"), token(BSN_JOOST, "resident")
    cid = client.post("/v1/consents", json=HEALTH_FOR_WORK, headers=sanne).json()["id"]
    assert client.get("/v1/me/consents", headers=joost).json() == {"consents": []}
    assert client.post(f"/v1/consents/{cid}/withdraw", headers=joost).status_code == 404
    assert client.get("/v1/me/consents", headers=sanne).json()["consents"][0]["status"] == "active"


def test_only_residents_give_consent_through_this_route(client, token):
    resp = client.post("/v1/consents", json=HEALTH_FOR_WORK, headers=token(*KM))
    assert resp.status_code == 404


def test_consent_events_are_audited(client, token):
    resident = token(BSN_SANNE, "resident")
    cid = client.post("/v1/consents", json=HEALTH_FOR_WORK, headers=resident).json()["id"]
    client.post(f"/v1/consents/{cid}/withdraw", headers=resident)
    with Session(client.app.state.services.db) as s:
        events = [(r.event_type, r.consent_id) for r in s.scalars(select(AuditRecord))]
    assert events == [("consent.given", cid), ("consent.withdrawn", cid)]


def test_consent_routes_refuse_professionals(client, token):
    resident = token(BSN_SANNE, "resident")
    cid = client.post("/v1/consents", json=HEALTH_FOR_WORK, headers=resident).json()["id"]
    assert client.get("/v1/me/consents", headers=token(*KM)).status_code == 404
    assert client.post(f"/v1/consents/{cid}/withdraw", headers=token(*KM)).status_code == 404
    assert client.post("/v1/consents", json=HEALTH_FOR_WORK).status_code == 401
