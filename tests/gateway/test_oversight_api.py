"""A team lead's oversight of her own team (issue 17, finding 7): the caseload and who of the
team worked on which of its records, through the policy (resource type `team_oversight`
under `team-oversight`), audited, bound to her team and municipality, never content, never a
resident; everyone else refused. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from audit import AuditRecord
from tests.security.door import profile_client

from .conftest import BSN_JOOST, BSN_SANNE, store_record

OVERSIGHT = "team-oversight"


def _oversight_reads(client) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:
        return list(
            s.scalars(
                select(AuditRecord)
                .where(col(AuditRecord.event_type) == "team_oversight.read")
                .order_by(col(AuditRecord.seq))
            )
        )


def _team_work(client, token):
    """wt-oost: Anna creates Joost's ten intake notes and Sanne's intake notes and health
    record; Bram reads Sanne's intake notes and is refused her health record under signalling.
    Around it: a wt-west colleague, Anna in wt-west's file, and Sanne reading her own."""
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    bram = token("u-bram", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    wim = token("u-wim", "team_generalist", teams=("wt-west",), activity="wmo-support")
    joost = [store_record(client, anna, resident=BSN_JOOST) for _ in range(10)]
    intake = store_record(client, anna)
    health = store_record(client, anna, category="health", content="diagnose")
    west = store_record(client, wim, team="wt-west", resident=BSN_JOOST)
    assert client.get(f"/v1/records/{intake}", headers=bram).status_code == 200
    bram_signalling = {**bram, "X-Processing-Activity": "signalling"}
    assert client.get(f"/v1/records/{health}", headers=bram_signalling).status_code == 403
    assert client.get(f"/v1/records/{intake}", headers=wim).status_code in (403, 404)
    assert client.get(f"/v1/records/{west}", headers=anna).status_code in (403, 404)
    sanne = token(BSN_SANNE, "resident", activity="own-access")
    assert client.get(f"/v1/records/{intake}", headers=sanne).status_code == 200
    return {"joost": joost, "intake": intake, "health": health, "west": west}


def _lea(token, *teams: str):
    return token("u-lea", "team_lead", teams=teams or ("wt-oost",))


def test_the_lead_sees_her_team_caseload_in_counts_small_cells_suppressed(client, token):
    ids = _team_work(client, token)
    resp = client.get("/v1/oversight/team", headers=_lea(token))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["team"], body["municipality"], body["records"], body["cases"]) == (
        "wt-oost",
        "zaanstad",
        12,
        2,
    )
    assert body["small_cell_threshold"] == 10
    # 11 intake notes are no small cell; one health record is.
    assert body["by_category"] == [
        {"category": "health", "count": None, "suppressed": True},
        {"category": "intake_notes", "count": 11, "suppressed": False},
    ]
    members = {m["employee"]: m for m in body["members"]}
    # Only the team's own members: not Wim of wt-west, not Sanne reading her own record.
    assert set(members) == {"u-anna", "u-bram"}
    assert (members["u-anna"]["records"], members["u-anna"]["cases"]) == (12, 2)
    assert members["u-anna"]["by_category"] == body["by_category"]
    # Bram read one record; his refused read is no work on it.
    assert (members["u-bram"]["records"], members["u-bram"]["cases"]) == (1, 1)
    assert members["u-bram"]["by_category"] == [
        {"category": "intake_notes", "count": None, "suppressed": True}
    ]
    pseudonym = client.app.state.services.pseudonymize(BSN_SANNE)
    for secret in ("geheim", "diagnose", BSN_SANNE, BSN_JOOST, pseudonym, ids["intake"]):
        assert secret not in resp.text
    [read] = _oversight_reads(client)
    assert (read.allowed, read.resident, read.processing_activity, read.resource_team) == (
        True,
        None,
        OVERSIGHT,
        "wt-oost",
    )
    assert read.reason_codes == ["team_oversight"]


def test_the_caseload_counts_work_in_the_window_only(client, token, clock):
    _team_work(client, token)
    clock.advance(8 * 86_400)
    week = client.get("/v1/oversight/team?days=7", headers=_lea(token)).json()
    assert (week["records"], week["cases"], week["members"]) == (12, 2, [])
    month = client.get("/v1/oversight/team?days=30", headers=_lea(token)).json()
    assert {m["employee"] for m in month["members"]} == {"u-anna", "u-bram"}


def test_the_lead_sees_who_of_her_team_worked_on_which_record(client, token):
    ids = _team_work(client, token)
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        url = "/v1/oversight/team/accesses?limit=5" + (f"&cursor={cursor}" if cursor else "")
        resp = client.get(url, headers=_lea(token))
        assert resp.status_code == 200, resp.text
        page = resp.json()
        assert len(page["accesses"]) <= 5
        seen += page["accesses"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages >= 3
    # Newest first; twelve creates by Anna, Bram's read and his refusal; nobody else's.
    assert [a["seq"] for a in seen] == sorted((a["seq"] for a in seen), reverse=True)
    assert len(seen) == 14
    assert {a["employee"] for a in seen} == {"u-anna", "u-bram"}
    assert ids["west"] not in {a["record_id"] for a in seen}
    bram = [a for a in seen if a["employee"] == "u-bram"]
    assert sorted((a["record_id"], a["processing_activity"], a["allowed"]) for a in bram) == sorted(
        [(ids["intake"], "wmo-support", True), (ids["health"], "signalling", False)]
    )
    refused = next(a for a in bram if not a["allowed"])
    assert refused["reason_codes"]
    assert refused["basis_type"] is None
    creates = [a for a in seen if a["action"] == "create"]
    assert {a["record_id"] for a in creates} == {*ids["joost"], ids["intake"], ids["health"]}
    # Record ids and metadata only: no content, no category, no resident in any form.
    assert set(seen[0]) == {
        "seq",
        "occurred_at",
        "employee",
        "record_id",
        "action",
        "processing_activity",
        "allowed",
        "reason_codes",
        "basis_type",
    }
    pseudonym = client.app.state.services.pseudonymize(BSN_SANNE)
    text = str(seen)
    for secret in ("geheim", "diagnose", BSN_SANNE, BSN_JOOST, pseudonym, "health"):
        assert secret not in text
    assert len(_oversight_reads(client)) == pages


def test_no_one_else_sees_the_oversight_and_every_refusal_is_audited(client, token):
    ids = _team_work(client, token)
    refused = {
        "lead of another team": token("u-tom", "team_lead", teams=("wt-west",)),
        "team member, not the lead": token("u-anna", "team_generalist", teams=("wt-oost",)),
        "W&I specialist in the team": token("u-wi", "team_wi_specialist", teams=("wt-oost",)),
        "enforcement": token("u-henk", "enforcement_officer", teams=("handhaving-zaanstad",)),
        "W&I client manager": token("u-kees", "wi_client_manager", teams=("wi-zaanstad",)),
        "privacy officer": token("u-pia", "privacy_officer"),
        "resident": token(BSN_SANNE, "resident"),
        "lead without a team": token("u-lea", "team_lead"),
    }
    for who, headers in refused.items():
        for path in ("/v1/oversight/team?team=wt-oost", "/v1/oversight/team/accesses?team=wt-oost"):
            resp = client.get(path, headers=headers)
            assert resp.status_code == 403, (who, path, resp.text)
            body = resp.json()
            assert "members" not in body
            assert "accesses" not in body
            assert ids["intake"] not in resp.text
    # Lea leads wt-oost, not wt-west.
    for path in ("/v1/oversight/team?team=wt-west", "/v1/oversight/team/accesses?team=wt-west"):
        resp = client.get(path, headers=_lea(token))
        assert resp.status_code == 403, resp.text
        assert resp.json()["reasons"][0]["code"] == "oversight_of_own_team_only"
    # Without a team in the query, a token without one is refused by the policy too.
    assert client.get("/v1/oversight/team", headers=token("u-x", "team_lead")).status_code == 403
    reads = _oversight_reads(client)
    assert len(reads) == 2 * len(refused) + 2 + 1
    assert not any(r.allowed for r in reads)
    codes = {r.reason_codes[0] for r in reads}
    assert codes == {"oversight_by_team_lead_only", "oversight_of_own_team_only"}


def test_the_lead_reads_no_record_content_under_oversight(client, token):
    ids = _team_work(client, token)
    lea = {**_lea(token), "X-Processing-Activity": OVERSIGHT}
    resp = client.get(f"/v1/records/{ids['health']}", headers=lea)
    assert resp.status_code == 403
    assert resp.json()["reasons"][0]["code"] == "oversight_only"
    assert "diagnose" not in resp.text
    listing = client.get(f"/v1/residents/{BSN_SANNE}/records", headers=lea)
    assert listing.status_code == 200
    assert listing.json()["records"] == []
    assert "diagnose" not in listing.text
    assert "geheim" not in listing.text


def test_a_lead_of_two_teams_names_the_one_she_asks_about(client, token):
    _team_work(client, token)
    both = _lea(token, "wt-oost", "wt-west")
    assert client.get("/v1/oversight/team", headers=both).status_code == 422
    oost = client.get("/v1/oversight/team?team=wt-oost", headers=both)
    west = client.get("/v1/oversight/team?team=wt-west", headers=both)
    assert (oost.status_code, west.status_code) == (200, 200)
    assert (oost.json()["records"], west.json()["records"]) == (12, 1)
    assert [m["employee"] for m in west.json()["members"]] == ["u-wim"]


def test_hostile_query_parameters_are_refused_before_anything_is_read(client, token):
    lea = _lea(token)
    for path in (
        "/v1/oversight/team?days=0",
        "/v1/oversight/team?days=367",
        "/v1/oversight/team?team=" + "x" * 81,
        "/v1/oversight/team/accesses?limit=0",
        "/v1/oversight/team/accesses?limit=201",
        "/v1/oversight/team/accesses?cursor=" + "A" * 41,
        "/v1/oversight/team/accesses?cursor=bm9wZQ",
        "/v1/oversight/team/accesses?cursor=%FF%FE",
    ):
        resp = client.get(path, headers=lea)
        assert resp.status_code in (400, 422), (path, resp.status_code)
    assert _oversight_reads(client) == []


def test_a_lead_oversees_nothing_of_another_municipality(settings, clock):
    with profile_client(settings, clock, "kromme-rijn-heuvelland") as (c, tok):
        de_bilt = tok("u-db", "team_generalist", "de-bilt", "wmo-support", teams=("wt-de-bilt",))
        rec = c.post(
            "/v1/records",
            json={
                "resident": BSN_SANNE,
                "category": "intake_notes",
                "team": "wt-de-bilt",
                "content": "geheim",
            },
            headers=de_bilt,
        )
        assert rec.status_code == 201, rec.text
        own = tok("u-lead-db", "team_lead", "de-bilt", teams=("wt-de-bilt",))
        assert c.get("/v1/oversight/team", headers=own).json()["records"] == 1
        # A Bunnik lead whose token (wrongly) names De Bilt's team gets nothing of it.
        bunnik = tok("u-lead-b", "team_lead", "bunnik", teams=("wt-de-bilt",))
        for path in ("/v1/oversight/team", "/v1/oversight/team/accesses"):
            resp = c.get(path, headers=bunnik)
            assert resp.status_code == 403, resp.text
            assert resp.json()["reasons"][0]["code"] == "other_municipality"
        # The regional service's staff lead no municipality's team.
        rsd = tok("u-rsd", "team_lead", "zeist", organisation="rsd-krh", teams=("wt-de-bilt",))
        assert c.get("/v1/oversight/team", headers=rsd).status_code == 403
