"""Finding 4 of issue 12: a professional records a consent only for a client of her own team
or unit, in her own municipality; the decision is the policy's and is audited. SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib

from tests.gateway.conftest import BSN_JOOST, BSN_SANNE

from .door import audit_rows, profile_client, store

FORM = hashlib.sha256(b"signed form").hexdigest()
HEALTH_FOR_WI = {
    "categories": ["health"],
    "processing_activities": ["pw-reintegration"],
    "recipients": ["wi-zaanstad"],
    "evidence": {"form_sha256": FORM},
}


def test_another_team_cannot_record_a_consent_for_a_resident_it_does_not_serve(client, token):
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    rid = store(client, anna, category="health")
    bert = token("u-bert", "team_generalist", teams=("wt-west",))
    resp = client.post(f"/v1/residents/{BSN_SANNE}/consents", json=HEALTH_FOR_WI, headers=bert)
    assert resp.status_code == 403
    assert [r["code"] for r in resp.json()["reasons"]] == ["consent_for_own_clients_only"]
    # So W&I cannot read her health record under a consent the other team made up.
    wi = token("u-wim", "wi_client_manager", teams=("wi-zaanstad",), activity="pw-reintegration")
    assert client.get(f"/v1/records/{rid}", headers=wi).status_code in (403, 404)
    refused = [r for r in audit_rows(client) if r.event_type == "consent.create"]
    assert [(r.subject_id, r.allowed) for r in refused] == [("u-bert", False)]
    # Her own team records it, audited as a decision and as the consent event.
    resp = client.post(
        f"/v1/residents/{BSN_SANNE}/consents",
        json=HEALTH_FOR_WI,
        headers=token("u-anna", "team_generalist", teams=("wt-oost",)),
    )
    assert resp.status_code == 201, resp.text
    events = [(r.event_type, r.subject_id, r.allowed) for r in audit_rows(client)][-2:]
    assert events == [("consent.create", "u-anna", True), ("consent.recorded", "u-anna", True)]
    assert client.get(f"/v1/records/{rid}", headers=wi).status_code == 200


def test_no_consent_for_a_resident_without_any_record_here(client, token):
    anna = token("u-anna", "team_generalist", teams=("wt-oost",))
    resp = client.post(f"/v1/residents/{BSN_JOOST}/consents", json=HEALTH_FOR_WI, headers=anna)
    assert resp.status_code == 403


def test_not_across_municipalities_in_the_regional_profile(settings, clock):
    with profile_client(settings, clock, "kromme-rijn-heuvelland") as (c, tok):
        zeist = tok("u-z", "team_generalist", "zeist", "wmo-support", teams=("wt-zeist-noord",))
        store(c, zeist, team="wt-zeist-noord", category="health")
        bunnik = tok("u-b", "team_generalist", "bunnik", teams=("st-bunnik",))
        body = {**HEALTH_FOR_WI, "recipients": ["rsd-krh-wi"]}
        resp = c.post(f"/v1/residents/{BSN_SANNE}/consents", json=body, headers=bunnik)
        assert resp.status_code == 403
        resp = c.post(
            f"/v1/residents/{BSN_SANNE}/consents",
            json=body,
            headers=tok("u-z", "team_generalist", "zeist", teams=("wt-zeist-noord",)),
        )
        assert resp.status_code == 201, resp.text
