"""Finding 9 of issue 12 (its one-door parts): the AuthZEN decision API is for case systems
and professionals, refused to residents by the policy without touching anyone's access log;
the dossier listing pages (limit at most 100, a cursor). SQLite and PostgreSQL."""

from __future__ import annotations

from tests.gateway.conftest import BSN_JOOST, BSN_SANNE

from .door import audit_rows, store


def _item(resident: str) -> dict[str, object]:
    return {
        "subject": {"type": "user", "id": BSN_JOOST},
        "action": {"name": "read", "properties": {"processing_activity_id": "own-access"}},
        "resource": {
            "type": "record",
            "id": "x-1",
            "properties": {"category": "health", "team": "wt-oost", "resident": resident},
        },
    }


def test_a_resident_cannot_use_the_decision_api_nor_write_into_anothers_log(client, token):
    joost = token(BSN_JOOST, "resident")
    resp = client.post(
        "/access/v1/evaluations",
        json={"evaluations": [_item(BSN_SANNE) for _ in range(100)]},
        headers=joost,
    )
    assert resp.status_code == 403
    assert [r["code"] for r in resp.json()["reasons"]] == ["decision_api_not_for_residents"]
    resp = client.post("/access/v1/evaluation", json=_item(BSN_SANNE), headers=joost)
    assert resp.status_code == 403
    sanne = client.get("/v1/me/access-log", headers=token(BSN_SANNE, "resident")).json()
    assert sanne["entries"] == []
    assert sanne["held_back"] == 0
    # The refusal is audited about no resident.
    asked = [r for r in audit_rows(client) if r.event_type.startswith("decision_api.")]
    assert [(r.resident, r.allowed) for r in asked] == [(None, False), (None, False)]


def test_the_dossier_listing_pages(client, token):
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    ids = [store(client, anna) for _ in range(5)]
    url = f"/v1/residents/{BSN_SANNE}/records"
    assert client.get(url, params={"limit": 101}, headers=anna).status_code == 422
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(url, params=params, headers=anna)
        assert page.status_code == 200, page.text
        seen += [r["id"] for r in page.json()["records"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == 5
    assert client.get(url, params={"cursor": "%%%"}, headers=anna).status_code == 422
