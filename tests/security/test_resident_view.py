"""Finding 7 (and 2) of issue 12: what a resident reads is one allow-list, the same on every
route (access log, one entry, consents): never an employee id, never content, held-back
entries held back. SQLite and PostgreSQL."""

from __future__ import annotations

from gateway.schemas import AccessLogEntry
from tests.gateway.conftest import BSN_SANNE

from .door import audit_rows, store

ANNA = ("u-anna", "team_generalist")
BERT = ("u-bert", "team_generalist")
TOM = ("u-tom", "team_lead")
ALLOWED_KEYS = set(AccessLogEntry.model_fields)


def _exception_for_bert(client, token) -> None:
    asked = client.post(
        "/v1/exceptions",
        json={
            "resident": BSN_SANNE,
            "categories": ["support_plan"],
            "processing_activities": ["wmo-support"],
            "justification": "Inwoner in crisis; eigen team tot maandag afwezig.",
        },
        headers=token(*BERT, teams=("wt-west",), activity="wmo-support"),
    )
    assert asked.status_code == 201, asked.text
    ok = client.post(f"/v1/exceptions/{asked.json()['id']}/approve", headers=token(*TOM))
    assert ok.status_code == 200, ok.text


def test_an_entry_shows_the_resident_the_access_log_fields_and_no_employee_id(client, token):
    store(client, token(*ANNA, teams=("wt-oost",), activity="wmo-support"),
          category="support_plan")  # fmt: skip
    _exception_for_bert(client, token)
    sanne = token(BSN_SANNE, "resident")
    mine = [r for r in audit_rows(client) if r.resident is not None]
    assert {r.event_type for r in mine} >= {"exception.requested", "exception.approved"}
    for rec in mine:
        resp = client.get(f"/v1/audit/entries/{rec.seq}", headers=sanne)
        assert resp.status_code == 200, resp.text
        entry = resp.json()["entry"]
        assert set(entry) == ALLOWED_KEYS, rec.event_type
        for employee in ("u-anna", "u-bert", "u-tom"):
            assert employee not in resp.text, (rec.event_type, employee)
    # A consent her team recorded: her consent list names the team, never the employee.
    form = {"form_sha256": "0" * 64}
    recorded = client.post(
        f"/v1/residents/{BSN_SANNE}/consents",
        json={"categories": ["health"], "processing_activities": ["pw-reintegration"],
              "recipients": ["wi-zaanstad"], "evidence": form},
        headers=token(*ANNA, teams=("wt-oost",)),
    )  # fmt: skip
    assert recorded.status_code == 201, recorded.text
    consents = client.get("/v1/me/consents", headers=sanne)
    assert consents.json()["consents"][0]["recorded_by_team"] == "wt-oost"
    assert "u-anna" not in consents.text
    log = client.get("/v1/me/access-log", headers=sanne)
    assert all(set(e) == ALLOWED_KEYS for e in log.json()["entries"])
    for employee in ("u-anna", "u-bert", "u-tom"):
        assert employee not in log.text


def test_the_same_serializer_on_the_access_log_and_the_entry(client, token):
    store(client, token(*ANNA, teams=("wt-oost",), activity="wmo-support"))
    sanne = token(BSN_SANNE, "resident")
    listed = client.get("/v1/me/access-log", headers=sanne).json()["entries"]
    assert listed
    for e in listed:
        one = client.get(f"/v1/audit/entries/{e['seq']}", headers=sanne).json()["entry"]
        assert one == e
