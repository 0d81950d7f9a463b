"""Emergency access (break-glass) opens reads only: never a create or a handover in another
team's dossier (issue 12, finding 9; issue 17, finding 4).

Through the HTTP API with the shipped Zaanstad register and the real policy engine: a
generalist of wt-west, with a written justification, may read a support plan of wt-oost
(reviewed afterwards), but cannot write a record into wt-oost's dossier or hand its case
over. Before issue 17 the create was allowed with basis `break_glass`.
"""

from __future__ import annotations

from tests.gateway.conftest import (  # noqa: F401  (the gateway tests' fixtures)
    client,
    clock,
    make_client,
    settings,
    store_record,
    token,
)
from tests.security.door import audit_rows

JUSTIFIED = {"X-Break-Glass-Justification": "Crisis buiten kantooruren; team niet bereikbaar."}


def test_break_glass_reads_another_teams_record(client, token):  # noqa: F811
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    rid = store_record(client, anna, category="support_plan")
    wim = token("u-wim", "team_generalist", teams=("wt-west",), activity="wmo-support")
    resp = client.get(f"/v1/records/{rid}", headers=wim | JUSTIFIED)
    assert resp.status_code == 200, resp.text
    assert resp.json()["content"] == "geheim"


def test_break_glass_never_creates_in_another_teams_dossier(client, token):  # noqa: F811
    wim = token("u-wim", "team_generalist", teams=("wt-west",), activity="wmo-support")
    body = {
        "resident": "999990019",
        "category": "support_plan",
        "team": "wt-oost",
        "content": "geschreven met een doorbraak",
    }
    resp = client.post("/v1/records", json=body, headers=wim | JUSTIFIED)
    assert resp.status_code == 403, resp.text
    assert [r["code"] for r in resp.json()["reasons"]] == ["other_team"]


def test_break_glass_never_hands_over_another_teams_case(client, token):  # noqa: F811
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    rid = store_record(client, anna, category="support_plan")
    wim = token("u-wim", "team_generalist", teams=("wt-west",), activity="wmo-support")
    resp = client.post(
        f"/v1/records/{rid}/handover", json={"to_team": "wt-west"}, headers=wim | JUSTIFIED
    )
    assert resp.status_code == 403, resp.text
    assert [r["code"] for r in resp.json()["reasons"]] == ["handover_by_owning_team_only"]


def test_a_team_lead_does_not_use_break_glass(client, token):  # noqa: F811
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    rid = store_record(client, anna, category="health")
    lea = token("u-lea", "team_lead", teams=("wt-west",), activity="wmo-support")
    resp = client.get(f"/v1/records/{rid}", headers=lea | JUSTIFIED)
    # Her team holds nothing of this resident's: the refusal answers like a missing record
    # (docs/security.md, "Existence"); the audit keeps the reason.
    assert resp.status_code == 404, resp.text
    assert audit_rows(client)[-1].reason_codes == ["no_mandate"]
