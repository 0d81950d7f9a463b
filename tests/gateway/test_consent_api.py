"""The consent API end to end, on SQLite and PostgreSQL: the text shown, the receipt, the
accesses each consent allowed, overlapping consents, and a consent recorded by the wijkteam."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlmodel import Session, col

from audit import AuditRecord

from .conftest import BSN_JOOST, BSN_SANNE

KM = ("u-kees", "wi_client_manager")
ANNA = ("u-anna", "team_generalist")
HEALTH_FOR_WORK = {
    "categories": ["health"],
    "processing_activities": ["pw-reintegration"],
    "recipients": ["wi-zaanstad"],
}
FORM = hashlib.sha256(b"getekend formulier").hexdigest()


def _health_record(client, token) -> str:
    resp = client.post(
        "/v1/records",
        json={"resident": BSN_SANNE, "category": "health", "team": "wt-oost", "content": "20 uur"},
        headers=token(*ANNA, teams=("wt-oost",), activity="wmo-support"),
    )
    assert resp.status_code == 201
    return resp.json()["id"]


def _audit(client) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:
        return list(s.scalars(select(AuditRecord).order_by(col(AuditRecord.seq))))


def test_give_use_list_and_receipt(client, token, clock):
    rid = _health_record(client, token)
    sanne = token(BSN_SANNE, "resident")
    km = token(*KM, teams=("wi-zaanstad",), activity="pw-reintegration")

    # The text is shown first; agreeing sends its hash, which must match what is stored.
    shown = client.post("/v1/consents/preview", json=HEALTH_FOR_WORK, headers=sanne).json()
    assert shown["text"].startswith("Ik geef gemeente Zaanstad toestemming. Werk en Inkomen")
    body = {**HEALTH_FOR_WORK, "text_sha256": shown["text_sha256"]}
    given = client.post("/v1/consents", json=body, headers=sanne)
    assert given.status_code == 201, given.text
    cid = given.json()["id"]
    assert given.json() == {"id": cid, "status": "active", "text_sha256": shown["text_sha256"]}
    other = {**HEALTH_FOR_WORK, "text_sha256": "0" * 64}
    refused = client.post("/v1/consents", json=other, headers=sanne)
    assert refused.json()["detail"][0]["loc"] == ["body", "text_sha256"]

    clock.advance(1)
    assert client.get(f"/v1/records/{rid}", headers=km).status_code == 200

    # The list links the consent to the access it allowed, by the access log's seq.
    (listed,) = client.get("/v1/me/consents", headers=sanne).json()["consents"]
    (use,) = listed["processings"]
    log = client.get("/v1/me/access-log", headers=sanne).json()["entries"]
    entry = next(e for e in log if e["seq"] == use["seq"])
    assert (entry["consent_id"], entry["legal_basis"]["type"]) == (cid, "consent")
    assert (use["processing_activity"], use["category"], use["roles"]) == (
        "pw-reintegration",
        "health",
        ["wi_client_manager"],
    )
    assert (listed["given_by"], listed["language"], listed["text_sha256"]) == (
        "resident",
        "nl",
        shown["text_sha256"],
    )
    assert [h["event"] for h in listed["history"]] == ["given"]

    receipt = client.get(f"/v1/consents/{cid}/receipt", headers=sanne)
    assert receipt.status_code == 200
    r = receipt.json()
    assert (r["version"], r["consentReceiptID"], r["jurisdiction"]) == ("KI-CR-v1.1.0", cid, "NL")
    assert r["collectionMethod"] == "digitaal gegeven door de inwoner"
    assert r["policyUrl"].endswith("/v1/registry")
    assert r["services"][0]["purposes"][0]["piiCategory"] == ["Gezondheid"]
    assert (r["sensitive"], r["doelbinding"]["text"]) == (True, shown["text"])
    # Another resident gets no receipt, and learns nothing about the consent.
    joost = token(BSN_JOOST, "resident")
    assert client.get(f"/v1/consents/{cid}/receipt", headers=joost).status_code == 404
    assert BSN_SANNE not in receipt.text


def test_overlapping_consents_each_count_until_withdrawn(client, token, clock):
    rid = _health_record(client, token)
    sanne = token(BSN_SANNE, "resident")
    km = token(*KM, teams=("wi-zaanstad",), activity="pw-reintegration")
    first = client.post("/v1/consents", json=HEALTH_FOR_WORK, headers=sanne).json()["id"]
    wider = {**HEALTH_FOR_WORK, "categories": ["health", "debts"]}
    second = client.post("/v1/consents", json=wider, headers=sanne).json()["id"]

    # Both cover the read; the policy cites the smaller id, deterministically.
    assert client.get(f"/v1/records/{rid}", headers=km).status_code == 200
    cited, spare = sorted([first, second])
    assert _audit(client)[-1].consent_id == cited

    client.post(f"/v1/consents/{cited}/withdraw", headers=sanne)
    assert client.get(f"/v1/records/{rid}", headers=km).status_code == 200
    assert _audit(client)[-1].consent_id == spare

    client.post(f"/v1/consents/{spare}/withdraw", headers=sanne)
    assert client.get(f"/v1/records/{rid}", headers=km).status_code == 403
    statuses = {
        c["id"]: c["status"]
        for c in client.get("/v1/me/consents", headers=sanne).json()["consents"]
    }
    assert statuses == {first: "withdrawn", second: "withdrawn"}


def test_a_consent_recorded_by_the_team_is_seen_and_withdrawn_by_the_resident(client, token):
    rid = _health_record(client, token)
    anna = token(*ANNA, teams=("wt-oost",))
    body = {**HEALTH_FOR_WORK, "evidence": {"form_sha256": FORM}}
    recorded = client.post(f"/v1/residents/{BSN_SANNE}/consents", json=body, headers=anna)
    assert recorded.status_code == 201, recorded.text
    cid = recorded.json()["id"]

    km = token(*KM, teams=("wi-zaanstad",), activity="pw-reintegration")
    assert client.get(f"/v1/records/{rid}", headers=km).status_code == 200

    sanne = token(BSN_SANNE, "resident")
    (seen,) = client.get("/v1/me/consents", headers=sanne).json()["consents"]
    assert (seen["id"], seen["given_by"], seen["recorded_by_team"]) == (cid, "team", "wt-oost")
    assert seen["given_by_label"] == "vastgelegd door uw wijkteam, na een gesprek met u"
    assert seen["form_sha256"] == FORM
    assert "u-anna" not in str(seen)  # the team, never the professional's name or id
    receipt = client.get(f"/v1/consents/{cid}/receipt", headers=sanne).json()
    assert receipt["doelbinding"]["formSha256"] == FORM
    assert "u-anna" not in str(receipt)

    withdrawn = client.post(f"/v1/consents/{cid}/withdraw", headers=sanne)
    assert withdrawn.json()["status"] == "withdrawn"
    assert client.get(f"/v1/records/{rid}", headers=km).status_code == 403

    consent_events = [
        (r.event_type, r.subject_id, r.consent_id)
        for r in _audit(client)
        if r.event_type.startswith("consent.")
    ]
    sanne_ps = client.app.state.services.pseudonymize(BSN_SANNE)
    assert consent_events == [
        ("consent.recorded", "u-anna", cid),  # the audit log holds the employee identity
        ("consent.withdrawn", sanne_ps, cid),
    ]

    # Only wijkteam roles record, and only with the hash of a signed form.
    not_team = client.post(f"/v1/residents/{BSN_SANNE}/consents", json=body, headers=token(*KM))
    assert not_team.status_code == 403
    no_form = client.post(f"/v1/residents/{BSN_SANNE}/consents", json=HEALTH_FOR_WORK, headers=anna)
    assert no_form.json()["detail"][0]["loc"] == ["body", "evidence"]
    inadmissible = {
        **body,
        "categories": ["income"],
        "processing_activities": ["pw-enforcement"],
        "recipients": ["handhaving-zaanstad"],
    }
    resp = client.post(f"/v1/residents/{BSN_SANNE}/consents", json=inadmissible, headers=anna)
    assert resp.status_code == 422
    assert "Toestemming kan hier geen grondslag zijn" in resp.json()["detail"][0]["msg"]


def test_a_new_consent_supersedes_the_old_one(client, token, clock):
    rid = _health_record(client, token)
    sanne = token(BSN_SANNE, "resident")
    km = token(*KM, teams=("wi-zaanstad",), activity="pw-reintegration")
    old = client.post("/v1/consents", json=HEALTH_FOR_WORK, headers=sanne).json()["id"]
    clock.advance(1)
    new = client.post(
        "/v1/consents",
        json={**HEALTH_FOR_WORK, "supersedes": old, "recipients": ["gemeente-zaanstad"]},
        headers=sanne,
    ).json()["id"]
    # Kees works for gemeente-zaanstad, the organisation the new consent names; the old one
    # has ended. A W&I colleague of another organisation: the decision tables (11_law).
    assert client.get(f"/v1/records/{rid}", headers=km).status_code == 200
    assert _audit(client)[-1].consent_id == new

    listed = {c["id"]: c for c in client.get("/v1/me/consents", headers=sanne).json()["consents"]}
    assert (listed[old]["status"], listed[old]["superseded_by"]) == ("withdrawn", new)
    assert [h["event"] for h in listed[old]["history"]] == ["given", "superseded"]
    assert (listed[new]["supersedes"], listed[new]["recipients"]) == (old, ["gemeente-zaanstad"])
    events = [r.event_type for r in _audit(client) if r.event_type.startswith("consent.")]
    assert events == ["consent.given", "consent.given", "consent.superseded"]
