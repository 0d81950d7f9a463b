"""Issue 18, items 1, 2 and 5: a draft from a register patch through /v1/policies.

A patch in the register's terms makes a draft whose diff says what changed in those terms;
the existing lifecycle takes it from there (tests on both engines, replay, four eyes,
activation) and the next decision follows it. What the register refuses is refused with its
reason in plain words, and no draft exists. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from lifecycle.models import PolicyVersion

from .conftest import BSN_SANNE

PO_1 = ("u-po-1", "privacy_officer")
PO_2 = ("u-po-2", "privacy_officer")
KEES = ("u-kees", "wi_client_manager")
IRIS = ("u-iris", "income_officer")

#: The shipped zaanstad mandates of the income officer (registry/profiles/zaanstad.yaml).
INCOME_OFFICER = ["pw-benefit"]


def _patch() -> list[dict[str, Any]]:
    return [
        {"op": "activity", "id": "signalling", "set": {"consent_admissible": False}},
        {
            "op": "mandates",
            "profile": "zaanstad",
            "role": "income_officer",
            "activities": [*INCOME_OFFICER, "pw-reintegration"],
        },
    ]


def _versions(client) -> list[PolicyVersion]:
    with Session(client.app.state.services.db) as s:
        return list(s.scalars(select(PolicyVersion)))


def _income_record(client, token) -> str:
    resp = client.post(
        "/v1/records",
        json={"resident": BSN_SANNE, "category": "income", "team": "wi-zaanstad", "content": "x"},
        headers=token(*KEES, activity="pw-reintegration"),
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def test_a_register_patch_makes_a_draft_that_says_its_change_in_register_terms(client, token):
    before = client.get("/v1/policies", headers=token(*PO_1)).json()
    [active] = [v["revision"] for v in before if v["state"] == "active"]
    resp = client.post(
        "/v1/policies",
        json={
            "message": "signals only by law; income officers guide to work",
            "register_patch": _patch(),
        },
        headers=token(*PO_1),
    )
    assert resp.status_code == 201, resp.text
    draft = resp.json()
    assert draft["state"] == "draft"
    assert draft["author"] == "u-po-1"
    assert draft["parent"] == active
    assert draft["changes"] == [
        "signalling: consent admissible yes → no",
        "zaanstad: income_officer gains pw-reintegration",
    ]
    # The version's modules are the parent's; only the register changed.
    full = client.get(f"/v1/policies/{draft['revision']}", headers=token(*PO_1)).json()
    parent = client.get(f"/v1/policies/{active}", headers=token(*PO_1)).json()
    assert full["modules"] == parent["modules"]
    assert full["data"]["register"]["activities"]["signalling"]["consent_admissible"] is False
    # The diff between any two versions says it too.
    diff = client.get(f"/v1/policies/{draft['revision']}/diff", headers=token(*PO_1)).json()
    assert diff["register"] == draft["changes"]
    assert diff["modules"] == []


def _last_reasons(client, record_id: str) -> list[str]:
    from sqlmodel import Session, col, select

    from audit import AuditRecord

    with Session(client.app.state.services.db) as s:
        last = s.exec(
            select(AuditRecord)
            .where(col(AuditRecord.record_id) == record_id)
            .order_by(col(AuditRecord.seq).desc())
        ).first()
    assert last is not None
    return list(last.reason_codes)


def test_after_approval_and_activation_the_next_decision_follows_the_patch(client, token):
    rid = _income_record(client, token)
    iris = token(*IRIS, activity="pw-reintegration")
    refused = client.get(f"/v1/records/{rid}", headers=iris)
    # No unit of hers holds a record of the resident: refused like a missing record, and the
    # audit trail keeps the reason.
    assert refused.status_code == 404
    assert _last_reasons(client, rid) == ["no_mandate"]

    rev = client.post(
        "/v1/policies",
        json={"message": "income officers guide to work", "register_patch": _patch()},
        headers=token(*PO_1),
    ).json()["revision"]
    test = client.post(f"/v1/policies/{rev}/test", headers=token(*PO_1))
    assert test.status_code == 200, test.text
    assert test.json()["passed"], test.text
    sim = client.post(f"/v1/policies/{rev}/simulate", headers=token(*PO_1))
    assert sim.status_code == 200, sim.text
    assert sim.json()["flips"] == 1  # the income officer's refusal above would now be allowed
    own = client.post(f"/v1/policies/{rev}/approve", headers=token(*PO_1))
    assert own.status_code == 403  # four eyes: not the author
    assert client.post(f"/v1/policies/{rev}/approve", headers=token(*PO_2)).status_code == 200
    active = client.post(f"/v1/policies/{rev}/activate", headers=token(*PO_1))
    assert active.status_code == 200, active.text

    assert client.get(f"/v1/records/{rid}", headers=iris).status_code == 200


def test_a_patch_against_no_basis_is_refused_with_its_reason_and_no_draft(client, token):
    before = len(_versions(client))
    leak = {
        "op": "flow",
        "id": "team-notes-to-enforcement",
        "set": {
            "categories": ["intake_notes"],
            "activities": ["pw-enforcement"],
            "from_domain": "team",
            "to_domain": "enforcement",
            "article": "Participatiewet art. 53a",
            "link": "https://wetten.overheid.nl/jci1.3:c:BWBR0015703&artikel=53a",
            "grounds": [{"article": "Participatiewet art. 53a", "kind": "disclosure"}],
        },
    }
    resp = client.post(
        "/v1/policies",
        json={"message": "let enforcement read intake notes", "register_patch": [leak]},
        headers=token(*PO_1),
    )
    assert resp.status_code == 422, resp.text
    [reason] = [d["msg"] for d in resp.json()["detail"]]
    assert "flow team-notes-to-enforcement contradicts no_basis team-data-to-enforcement" in reason
    assert "Wat u het wijkteam vertelt, gaat niet naar handhaving" in reason  # the law's words
    assert len(_versions(client)) == before

    consent = {"op": "activity", "id": "pw-enforcement", "set": {"consent_admissible": True,
               "categories": ["income", "intake_notes"]}}  # fmt: skip
    resp = client.post(
        "/v1/policies",
        json={"message": "enforcement with consent", "register_patch": [consent]},
        headers=token(*PO_1),
    )
    assert resp.status_code == 422
    assert "consent admissible despite no_basis team-data-to-enforcement" in resp.text
    assert len(_versions(client)) == before


def test_a_malformed_or_dangling_patch_is_refused_in_plain_words(client, token):
    before = len(_versions(client))
    cases = [
        ([{"op": "activity", "id": "signalling", "set": {"consent_admissible": "maybe"}}],
         "consent_admissible: Input should be a valid boolean"),
        ([{"op": "activity", "id": "no-such-activity", "set": {"retention_days": 10}}],
         "activity no-such-activity does not exist"),
        ([{"op": "activity", "id": "signalling", "set": {"categories": ["diary"]}}],
         "activity signalling: unknown category diary"),
        ([{"op": "mandates", "profile": "zaanstad", "role": "team_lead",
           "activities": ["no-such-activity"]}],
         "mandates team_lead: unknown activity no-such-activity"),
        ([{"op": "flow", "id": "half", "set": {"categories": ["income"]}}],
         "activities: Field required"),
        ([{"op": "rename", "id": "x"}], "does not match any of the expected tags"),
        ([], "at least 1 item"),
    ]  # fmt: skip
    for patch, reason in cases:
        resp = client.post(
            "/v1/policies", json={"message": "m", "register_patch": patch}, headers=token(*PO_1)
        )
        assert resp.status_code == 422, (patch, resp.text)
        assert reason in resp.text, (reason, resp.text)
    both = client.post(
        "/v1/policies",
        json={"message": "m", "register_patch": _patch(), "data": {"register": {}}},
        headers=token(*PO_1),
    )
    assert both.status_code == 422
    no_message = client.post(
        "/v1/policies", json={"register_patch": _patch()}, headers=token(*PO_1)
    )
    assert no_message.status_code == 422
    assert len(_versions(client)) == before


def test_only_privacy_officers_draft_from_a_patch(client, token):
    resp = client.post(
        "/v1/policies",
        json={"message": "m", "register_patch": _patch()},
        headers=token(*KEES, activity="pw-reintegration"),
    )
    assert resp.status_code == 403
