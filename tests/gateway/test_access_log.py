"""The resident's access log: every decision about them, without employee ids or content."""

from __future__ import annotations

from .conftest import BSN_JOOST, BSN_SANNE


def test_access_log_shows_who_what_why_without_employee_ids(client, token):
    store = client.post(
        "/v1/records",
        json={
            "resident": BSN_SANNE,
            "category": "intake_notes",
            "team": "wt-oost",
            "content": "geheim",
        },
        headers=token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support"),
    )
    rid = store.json()["id"]
    client.get(
        f"/v1/records/{rid}",
        headers=token("u-henk", "enforcement_officer", activity="pw-enforcement"),
    )
    resp = client.get("/v1/me/access-log", headers=token(BSN_SANNE, "resident"))
    assert resp.status_code == 200
    entries = resp.json()["entries"]
    assert [(e["action"], e["allowed"]) for e in entries] == [("read", False), ("create", True)]
    denied, created = entries
    assert denied["processing_activity"] == "pw-enforcement"
    assert denied["purpose"] == "enforcement"
    assert denied["roles"] == ["enforcement_officer"]
    assert denied["reasons"] == ["support_data_stays_in_team"]
    assert created["legal_basis"]["article"] == "Wmo 2015 art. 2.3.2"
    assert created["legal_basis"]["explanation"]
    assert created["teams"] == ["wt-oost"]
    for needle in ("u-anna", "u-henk", "geheim", BSN_SANNE):
        assert needle not in resp.text


def test_access_log_is_per_resident(client, token):
    client.post(
        "/v1/records",
        json={"resident": BSN_SANNE, "category": "signal", "team": "wt-oost", "content": "x"},
        headers=token("u-anna", "team_generalist", teams=("wt-oost",), activity="signalling"),
    )
    assert client.get("/v1/me/access-log", headers=token(BSN_JOOST, "resident")).json() == {
        "entries": []
    }


def test_access_log_is_for_residents(client, token):
    resp = client.get("/v1/me/access-log", headers=token("u-anna", "team_generalist"))
    assert resp.status_code == 404
