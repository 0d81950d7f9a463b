"""Findings 2 and 3 of issue 12: audit entries, exports, the policy lifecycle and the console
go through the one door (the enforcement point and the policy), with the officer bound to her
municipality; held-back entries stay held back on every route. SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.gateway.conftest import BSN_SANNE, csrf

from .door import audit_rows, last_seq, profile_client, store

ANNA = ("u-anna", "team_generalist")
HENK = ("u-henk", "enforcement_officer")
WHY = "Crisis: de inwoner is vannacht opgenomen, eigen team niet bereikbaar."


def test_a_held_back_entry_is_not_readable_by_its_seq_and_the_holding_back_is_audited(
    client, token, clock
):
    rid = store(client, token(*ANNA, teams=("wt-oost",), activity="wmo-support"))
    henk = token(*HENK, activity="pw-enforcement")
    sanne = token(BSN_SANNE, "resident")
    client.get(f"/v1/records/{rid}", headers=henk)
    routine = last_seq(client)  # no investigation registered: readable at once
    assert client.get(f"/v1/audit/entries/{routine}", headers=sanne).status_code == 200
    clock.advance(60)
    inv = client.post("/v1/investigations", json={"resident": BSN_SANNE}, headers=henk).json()
    client.get(f"/v1/records/{rid}", headers=henk)
    seq = last_seq(client)  # the enforcement look: held back while the investigation runs
    # Held back: the opening and this look; the routine look before it stays visible.
    log = client.get("/v1/me/access-log", headers=sanne).json()
    assert (log["held_back"], log["entries"][0]["seq"]) == (2, routine)
    before = len(audit_rows(client))
    resp = client.get(f"/v1/audit/entries/{seq}", headers=sanne)
    assert resp.status_code == 404
    assert "pw-enforcement" not in resp.text
    assert "enforcement_officer" not in resp.text
    # The holding back is itself audited, as in the access log.
    new = audit_rows(client)[before:]
    assert any(r.event_type == "access_log.held_back" for r in new)
    # And her own visible entry (the create) still reads.
    assert client.get(f"/v1/audit/entries/{routine - 1}", headers=sanne).status_code == 200
    # Once the investigation is closed, the look reads by its seq too.
    assert client.post(f"/v1/investigations/{inv['id']}/close", headers=henk).status_code == 200
    assert client.get(f"/v1/audit/entries/{seq}", headers=sanne).status_code == 200


def test_an_officer_reads_only_entries_of_her_own_municipality(settings, clock):
    with profile_client(settings, clock, "kromme-rijn-heuvelland") as (c, tok):
        bunnik_team = tok("u-b", "team_generalist", "bunnik", "wmo-support", teams=("st-bunnik",))
        store(c, bunnik_team, team="st-bunnik")
        seq = last_seq(c)
        zeist_officer = tok("u-fg-zeist", "privacy_officer", "zeist")
        bunnik_officer = tok("u-fg-bunnik", "privacy_officer", "bunnik")
        resp = c.get(f"/v1/audit/entries/{seq}", headers=zeist_officer)
        assert resp.status_code == 403
        assert [r["code"] for r in resp.json()["reasons"]] == ["other_municipality"]
        assert "u-b" not in resp.text
        assert "st-bunnik" not in resp.text
        assert c.get(f"/v1/audit/entries/{seq}", headers=bunnik_officer).status_code == 200
        # Asking is itself a decision, audited with the entry's municipality.
        asked = [r for r in audit_rows(c) if r.event_type == "audit_log.read"]
        assert [(r.subject_id, r.allowed, r.resource_municipality) for r in asked] == [
            ("u-fg-zeist", False, "bunnik"),
            ("u-fg-bunnik", True, "bunnik"),
        ]


def test_an_officer_exports_only_her_own_municipality(settings, clock):
    with profile_client(settings, clock, "kromme-rijn-heuvelland") as (c, tok):
        bunnik_team = tok("u-b", "team_generalist", "bunnik", "wmo-support", teams=("st-bunnik",))
        zeist_team = tok(
            "u-z", "team_generalist", "zeist", "wmo-support", teams=("wt-zeist-noord",)
        )
        store(c, bunnik_team, team="st-bunnik")
        store(c, zeist_team, team="wt-zeist-noord", resident="999990020")
        zeist_officer = tok("u-fg-zeist", "privacy_officer", "zeist")
        resp = c.get("/v1/audit/export", params={"format": "adl"}, headers=zeist_officer)
        assert resp.status_code == 200
        subjects = {r["adl.core.request"]["subject"]["id"] for r in resp.json()["records"]}
        # Zeist's entries (and her own export decision), never Bunnik's.
        assert subjects == {"u-z", "u-fg-zeist"}
        # Asking for another municipality's log is refused by the policy.
        resp = c.get(
            "/v1/audit/export",
            params={"format": "adl", "municipality": "bunnik"},
            headers=zeist_officer,
        )
        assert resp.status_code == 403
        assert [r["code"] for r in resp.json()["reasons"]] == ["other_municipality"]


def test_an_officer_of_another_municipality_gets_no_export_and_no_policy(client, token):
    store(client, token(*ANNA, teams=("wt-oost",), activity="wmo-support"))
    haarlem = token("u-fg-haarlem", "privacy_officer", municipality="haarlem")
    zaanstad = token("u-fg-1", "privacy_officer")
    assert client.get("/v1/audit/export?format=ldv", headers=haarlem).status_code == 403
    assert client.get("/v1/audit/export?format=ldv", headers=zaanstad).status_code == 200
    assert client.get("/v1/policies", headers=haarlem).status_code == 403
    assert client.get("/v1/policies/log", headers=haarlem).status_code == 403
    assert client.get("/v1/policies", headers=zaanstad).status_code == 200
    body = {"message": "x", "modules": {"authz.rego": "package doelbinding.authz\n"}}
    assert client.post("/v1/policies", json=body, headers=haarlem).status_code == 403
    # A professional is no officer: the policy refuses the lifecycle to her too.
    anna = token(*ANNA, teams=("wt-oost",))
    resp = client.get("/v1/policies", headers=anna)
    assert resp.status_code == 403
    assert [r["code"] for r in resp.json()["reasons"]] == ["supervision_only"]


def _console_login(c: TestClient, officer: str = "u-fg-1") -> None:
    c.cookies.clear()
    resp = c.post(
        "/console/login", data={"csrf_token": csrf(c, "/console/login"), "officer": officer}
    )
    assert resp.status_code == 303, resp.text


def test_the_console_shows_an_officer_only_her_own_municipality(settings, clock):
    # The console's demo officers belong to the first municipality of the profile: Bunnik.
    with profile_client(settings, clock, "kromme-rijn-heuvelland") as (api, tok):
        noord = tok("u-z", "team_generalist", "zeist", "wmo-support", teams=("wt-zeist-noord",))
        zuid = tok("u-zz", "team_generalist", "zeist", "wmo-support", teams=("wt-zeist-zuid",))
        rid = store(api, noord, team="wt-zeist-noord")
        resp = api.get(f"/v1/records/{rid}", headers={**zuid, "X-Break-Glass-Justification": WHY})
        assert resp.status_code == 200
        seq = last_seq(api)
        web = TestClient(
            api.app, base_url="https://testserver", follow_redirects=False,
            raise_server_exceptions=False,
        )  # fmt: skip
        _console_login(web)
        page = web.get("/console/reviews")
        assert page.status_code == 200
        assert WHY not in page.text
        assert "u-zz" not in page.text
        resp = web.post(
            f"/console/reviews/{seq}",
            data={"csrf_token": csrf(web, "/console/reviews"), "comment": "gezien"},
        )
        assert resp.status_code == 404
        assert not [r for r in audit_rows(api) if r.event_type == "break_glass.reviewed"]
        flows = web.get("/console/flows")
        assert flows.status_code == 200
        assert "Ondersteuning vanuit het wijkteam" not in flows.text
