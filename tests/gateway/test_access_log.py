"""The resident's access log: every decision about them, without employee ids or content,
in plain Dutch, filtered and paged, with confidential entries held back and counted."""

from __future__ import annotations

from gateway.db import session_scope
from tests.factories import make_entry

from .conftest import BSN_JOOST, BSN_SANNE


def test_access_log_shows_who_what_why_without_employee_ids(client, token, clock):
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
    # The enforcement attempt is confidential for now: counted, not shown.
    assert [(e["action"], e["allowed"]) for e in resp.json()["entries"]] == [("create", True)]
    assert resp.json()["held_back"] == 1
    clock.advance(181 * 86_400)
    resp = client.get("/v1/me/access-log", headers=token(BSN_SANNE, "resident"))
    assert resp.status_code == 200
    entries = resp.json()["entries"]
    assert [(e["action"], e["allowed"]) for e in entries] == [("read", False), ("create", True)]
    denied, created = entries
    assert denied["processing_activity"] == "pw-enforcement"
    assert denied["purpose"] == "enforcement"
    assert denied["roles"] == ["enforcement_officer"]
    assert denied["reasons"] == ["support_data_stays_in_team"]
    assert "Dat mocht niet" in denied["summary"]
    assert created["legal_basis"]["article"] == "Wmo 2015 art. 5.1.1"
    assert created["legal_basis"]["explanation"]
    assert created["teams"] == ["wt-oost"]
    assert "vastgelegd" in created["summary"]
    assert created["proof"] == f"/v1/audit/proofs/inclusion?seq={created['seq']}"
    for needle in ("u-anna", "u-henk", "geheim", BSN_SANNE):
        assert needle not in resp.text


def test_access_log_is_per_resident(client, token):
    client.post(
        "/v1/records",
        json={"resident": BSN_SANNE, "category": "signal", "team": "wt-oost", "content": "x"},
        headers=token("u-anna", "team_generalist", teams=("wt-oost",), activity="signalling"),
    )
    body = client.get("/v1/me/access-log", headers=token(BSN_JOOST, "resident")).json()
    assert (body["entries"], body["held_back"], body["held_back_message"]) == ([], 0, None)


def test_access_log_is_for_residents(client, token):
    resp = client.get("/v1/me/access-log", headers=token("u-anna", "team_generalist"))
    assert resp.status_code == 404


def _seed(client, *entries):
    services = client.app.state.services
    with session_scope(services.db) as session:
        services.audit.append(session, list(entries))


def test_filters_by_period_and_category_and_pages(client, token):
    services = client.app.state.services
    me = services.pseudonymize(BSN_SANNE)
    _seed(
        client,
        *[
            make_entry(resident=me, occurred_at=f"2026-11-{d:02d}T10:00:00.000000Z")
            for d in range(1, 11)
        ],
        make_entry(resident=me, category="health", occurred_at="2026-11-05T12:00:00.000000Z"),
    )
    headers = token(BSN_SANNE, "resident")

    def seqs(**params):
        body = client.get("/v1/me/access-log", params=params, headers=headers).json()
        return [e["seq"] for e in body["entries"]], body["next_before_seq"]

    assert seqs(category="health") == ([11], None)
    assert seqs(**{"from": "2026-11-03", "to": "2026-11-04"}) == ([4, 3], None)
    assert seqs(**{"from": "2026-11-05", "to": "2026-11-05"}) == ([11, 5], None)
    page, cursor = seqs(limit=4)
    assert (page, cursor) == ([11, 10, 9, 8], 8)
    assert seqs(limit=4, before_seq=cursor) == ([7, 6, 5, 4], 4)
    assert seqs(limit=4, before_seq=4) == ([3, 2, 1], None)
    bad = client.get("/v1/me/access-log", params={"category": "x"}, headers=headers)
    assert bad.status_code == 422


def test_confidential_entries_are_held_back_counted_and_the_holding_back_is_audited(
    client, token, clock
):
    services = client.app.state.services
    me = services.pseudonymize(BSN_SANNE)
    recent, old = "2026-11-01T09:00:00.000000Z", "2026-01-02T09:00:00.000000Z"
    _seed(
        client,
        make_entry(resident=me, processing_activity="pw-enforcement", occurred_at=old),
        make_entry(resident=me, processing_activity="pw-enforcement", occurred_at=recent),
        make_entry(resident=me, processing_activity="pw-enforcement", occurred_at=recent),
        make_entry(resident=me, processing_activity="wmo-support", occurred_at=recent),
    )
    headers = token(BSN_SANNE, "resident")

    body = client.get("/v1/me/access-log", headers=headers).json()

    assert [e["seq"] for e in body["entries"]] == [4, 1]
    assert body["held_back"] == 2
    assert body["held_back_message"].startswith("2 regels zijn nog niet zichtbaar.")
    with session_scope(services.db) as session:
        log = list(services.audit.iter_rows(session))
    held = [r for r in log if r["event_type"] == "access_log.held_back"]
    assert [(r["resident"], r["details"]["held_back"]) for r in held] == [(me, "2")]

    clock.advance(181 * 86_400)  # the investigation's confidentiality has ended
    body = client.get("/v1/me/access-log", headers=headers).json()
    assert [e["seq"] for e in body["entries"]] == [4, 3, 2, 1]
    assert (body["held_back"], body["held_back_message"]) == (0, None)
