"""The resident's access log: every decision about them, without employee ids or content,
in plain Dutch, filtered and paged, with confidential entries held back and counted."""

from __future__ import annotations

from gateway.clock import rfc3339
from gateway.db import session_scope
from tests.factories import make_entry

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
    # No investigation is registered: the routine enforcement look shows at once.
    resp = client.get("/v1/me/access-log", headers=token(BSN_SANNE, "resident"))
    assert resp.status_code == 200
    assert resp.json()["held_back"] == 0
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
    # The organisation by the name the pages use, not its id.
    assert " van gemeente Zaanstad " in created["summary"]
    assert "gemeente-zaanstad" not in created["summary"]
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


def test_enforcement_entries_are_held_back_only_while_an_investigation_runs(client, token, clock):
    services = client.app.state.services
    me = services.pseudonymize(BSN_SANNE)
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    headers = token(BSN_SANNE, "resident")
    before = rfc3339(clock() - 86_400 * 10**9)
    _seed(client, make_entry(resident=me, processing_activity="pw-enforcement", occurred_at=before))
    opened = client.post("/v1/investigations", json={"resident": BSN_SANNE}, headers=henk)
    assert opened.status_code == 201, opened.text
    clock.advance(3600)
    during = rfc3339(clock())
    _seed(
        client,
        make_entry(resident=me, processing_activity="pw-enforcement", occurred_at=during),
        make_entry(resident=me, processing_activity="pw-enforcement", occurred_at=during),
        make_entry(resident=me, processing_activity="wmo-support", occurred_at=during),
    )

    body = client.get("/v1/me/access-log", headers=headers).json()

    # The look before the investigation and the support entry show; the two enforcement
    # looks during it, and the opening itself, are held back and counted.
    shown = [(e["processing_activity"], e["when"]) for e in body["entries"]]
    assert shown == [("wmo-support", during), ("pw-enforcement", before)]
    assert body["held_back"] == 3
    assert body["held_back_message"].startswith("3 regels zijn nog niet zichtbaar.")
    assert (body["held_back_ended"], body["held_back_ended_message"]) == ([], None)
    with session_scope(services.db) as session:
        log = list(services.audit.iter_rows(session))
    held = [r for r in log if r["event_type"] == "access_log.held_back"]
    assert [(r["resident"], r["details"]["held_back"]) for r in held] == [(me, "3")]

    clock.advance(30 * 86_400)  # time alone does not end the holding back
    assert client.get("/v1/me/access-log", headers=headers).json()["held_back"] == 3

    inv = opened.json()["id"]
    closed = client.post(f"/v1/investigations/{inv}/close", headers=henk)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    body = client.get("/v1/me/access-log", headers=headers).json()
    assert body["held_back"] == 0
    events = [e["event"] for e in body["entries"]]
    assert events[0] == "investigation.close"
    assert "investigation.create" in events
    acts = [e["processing_activity"] for e in body["entries"]]
    assert acts.count("pw-enforcement") == 5  # the three looks, the opening and the closing
    assert body["held_back_ended"] == [
        {"investigation_started": opened.json()["opened_at"], "held_back_until": rfc3339(clock())}
    ]
    assert body["held_back_ended_message"] == (
        "Van 30 november 2026 tot 30 december 2026 deed de gemeente een onderzoek. Regels uit "
        "die tijd waren tot 30 december 2026 niet zichtbaar. Nu ziet u ze wel."
    )
