"""Finding 8 of issue 12: existence is a decision too. A caller with no relationship to a
resident learns nothing (not whether records exist, not how many are withheld); a record id
that exists answers like one that does not; small counts are suppressed. SQLite and
PostgreSQL."""

from __future__ import annotations

from tests.gateway.conftest import BSN_JOOST, BSN_SANNE

from .door import audit_rows, store

ANNA = ("u-anna", "team_generalist")
NOBODY = "999990031"  # a resident with no record anywhere


def test_the_listing_tells_an_outsider_nothing(client, token):
    anna = token(*ANNA, teams=("wt-oost",), activity="wmo-support")
    store(client, anna)
    store(client, anna, category="health")
    for outsider in (
        token(BSN_JOOST, "resident", activity="own-access"),  # another resident
        token("u-henk", "enforcement_officer", activity="pw-enforcement"),
        token("u-bert", "team_generalist", teams=("wt-west",), activity="wmo-support"),
    ):
        resp = client.get(f"/v1/residents/{BSN_SANNE}/records", headers=outsider)
        assert resp.status_code == 200
        body = resp.json()
        assert body["records"] == []
        assert body["withheld"] is None, body
        nobody = client.get(f"/v1/residents/{NOBODY}/records", headers=outsider).json()
        assert nobody["withheld"] is None
        assert nobody["records"] == []
    # Her own team learns what it withholds from itself (a category its activity lacks).
    own = client.get(
        f"/v1/residents/{BSN_SANNE}/records",
        headers=token(*ANNA, teams=("wt-oost",), activity="signalling"),
    ).json()
    assert (len(own["records"]), own["withheld"]) == (1, 1)


def test_a_record_id_answers_an_outsider_as_if_it_did_not_exist(client, token):
    rid = store(client, token(*ANNA, teams=("wt-oost",), activity="wmo-support"))
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    joost = token(BSN_JOOST, "resident", activity="own-access")
    missing = client.get("/v1/records/r-00000000000000000000", headers=henk)
    assert missing.status_code == 404
    for outsider in (henk, joost):
        resp = client.get(f"/v1/records/{rid}", headers=outsider)
        assert resp.status_code == 404
        assert resp.json() == {**missing.json(), "detail": resp.json()["detail"]}
        assert "reasons" not in resp.json()
        assert rid in resp.json()["detail"] or "not found" in resp.json()["detail"]
    # The refusal is still a decision, audited with its reason.
    denied = [r for r in audit_rows(client) if r.event_type == "record.read"]
    assert [r.reason_codes for r in denied] == [["support_data_stays_in_team"], ["not_own_data"]]
    # Her own team, under the wrong activity, gets the reasons: useful, and it knows her.
    resp = client.get(
        f"/v1/records/{rid}",
        headers=token(*ANNA, teams=("wt-oost",), activity="pw-enforcement"),
    )
    assert resp.status_code == 403
    assert [r["code"] for r in resp.json()["reasons"]] == ["no_mandate"]


def test_small_counts_are_suppressed_in_every_aggregate_answer(client, token):
    stats = token("u-stat", "team_lead", teams=("wt-oost",), activity="statistics")
    for unit, n in (("wt-oost", 3), ("wt-west", 40)):
        resp = client.post(
            "/v1/aggregates/counts",
            json={"unit": unit, "category": "debts", "period": "2026-11", "count": n},
            headers=stats,
        )
        assert resp.status_code == 201, resp.text
        if n == 3:
            assert resp.json()["count"] is None
            assert resp.json()["suppressed"] is True
    counts = client.get("/v1/aggregates/counts", headers=stats).json()["counts"]
    by_unit = {c["unit"]: (c["count"], c["suppressed"]) for c in counts}
    assert by_unit == {"wt-oost": (None, True), "wt-west": (40, False)}
    assert "3" not in str([c["count"] for c in counts])
