"""Listing the investigations into a resident (GET /v1/investigations?resident=…): only an
enforcement officer of the municipality, through the policy (action `read` on resource type
`investigation`), audited; only that municipality's investigations, a page at a time, the
BSN never echoed. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session, col, select

from audit import AuditRecord
from tests.security.door import profile_client

from .conftest import BSN_JOOST, BSN_SANNE


def _reads(client) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:
        return list(
            s.scalars(
                select(AuditRecord)
                .where(col(AuditRecord.event_type) == "investigation.read")
                .order_by(col(AuditRecord.seq))
            )
        )


def test_an_enforcement_officer_lists_the_investigations_into_a_resident(client, token, clock):
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    first = client.post("/v1/investigations", json={"resident": BSN_SANNE}, headers=henk).json()
    client.post(f"/v1/investigations/{first['id']}/close", headers=henk)
    clock.advance(60)
    second = client.post("/v1/investigations", json={"resident": BSN_SANNE}, headers=henk).json()
    client.post("/v1/investigations", json={"resident": BSN_JOOST}, headers=henk)

    resp = client.get("/v1/investigations", params={"resident": BSN_SANNE}, headers=henk)
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert [(i["id"], i["status"]) for i in got["investigations"]] == [
        (first["id"], "closed"),
        (second["id"], "running"),
    ]
    assert got["next_cursor"] is None
    assert BSN_SANNE not in resp.text
    # A page at a time.
    one = client.get(
        "/v1/investigations", params={"resident": BSN_SANNE, "limit": 1}, headers=henk
    ).json()
    assert [i["id"] for i in one["investigations"]] == [first["id"]]
    rest = client.get(
        "/v1/investigations",
        params={"resident": BSN_SANNE, "limit": 1, "cursor": one["next_cursor"]},
        headers=henk,
    ).json()
    assert ([i["id"] for i in rest["investigations"]], rest["next_cursor"]) == (
        [second["id"]],
        None,
    )
    # Nobody's investigations: an empty list, decided and audited all the same.
    none = client.get("/v1/investigations", params={"resident": "999990032"}, headers=henk)
    assert none.json() == {"investigations": [], "next_cursor": None}

    reads = _reads(client)
    assert len(reads) == 4
    assert all(r.allowed and r.subject_id == "u-henk" for r in reads)
    assert reads[0].resident == client.app.state.services.pseudonymize(BSN_SANNE)
    assert reads[0].reason_codes == ["enforcement_investigation"]


def test_no_one_else_lists_and_every_refusal_is_audited(client, token):
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    client.post("/v1/investigations", json={"resident": BSN_SANNE}, headers=henk)
    others = [
        token("u-kees", "wi_client_manager", activity="pw-benefit"),
        token("u-kees", "wi_client_manager", activity="pw-enforcement"),
        token("u-wi", "team_wi_specialist", teams=("wt-oost",), activity="pw-enforcement"),
        token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support"),
        token("u-lea", "team_lead", teams=("wt-oost",), activity="team-oversight"),
        token("u-pia", "privacy_officer"),
        token(BSN_SANNE, "resident"),
    ]
    for headers in others:
        resp = client.get("/v1/investigations", params={"resident": BSN_SANNE}, headers=headers)
        assert resp.status_code == 403, resp.text
        assert "investigations" not in resp.json()
        assert BSN_SANNE not in resp.text
    reads = _reads(client)
    assert len(reads) == len(others)
    assert not any(r.allowed for r in reads)


def test_hostile_parameters_are_refused_before_anything_is_read(client, token):
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    for params in (
        {},
        {"resident": ""},
        {"resident": "9" * 65},
        {"resident": BSN_SANNE, "limit": 0},
        {"resident": BSN_SANNE, "limit": 101},
        {"resident": BSN_SANNE, "cursor": "bm9wZQ"},
        {"resident": BSN_SANNE, "cursor": "x" * 121},
    ):
        resp = client.get("/v1/investigations", params=params, headers=henk)
        assert resp.status_code in (400, 422), (params, resp.status_code)
        assert BSN_SANNE not in resp.text
    assert _reads(client) == []


def test_an_officer_lists_only_her_own_municipality(settings, clock):
    with profile_client(settings, clock, "kromme-rijn-heuvelland") as (c, tok):
        bunnik = tok("u-b", "enforcement_officer", "bunnik", "pw-enforcement")
        zeist = tok("u-z", "enforcement_officer", "zeist", "pw-enforcement")
        opened = c.post("/v1/investigations", json={"resident": BSN_SANNE}, headers=bunnik)
        assert opened.status_code == 201, opened.text
        own = c.get("/v1/investigations", params={"resident": BSN_SANNE}, headers=bunnik)
        assert [i["id"] for i in own.json()["investigations"]] == [opened.json()["id"]]
        other = c.get("/v1/investigations", params={"resident": BSN_SANNE}, headers=zeist)
        assert other.status_code == 200
        assert other.json()["investigations"] == []


def test_the_resident_reads_in_her_access_log_that_her_investigations_were_listed(client, token):
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    inv = client.post("/v1/investigations", json={"resident": BSN_JOOST}, headers=henk).json()
    client.post(f"/v1/investigations/{inv['id']}/close", headers=henk)
    listed = client.get("/v1/investigations", params={"resident": BSN_JOOST}, headers=henk)
    assert listed.status_code == 200
    log = client.get("/v1/me/access-log", headers=token(BSN_JOOST, "resident")).json()
    summaries = [e["summary"] for e in log["entries"]]
    assert "De gemeente heeft bekeken welke onderzoeken naar u er zijn." in summaries
