"""AuthZEN 1.0 decisions (NLGov profile): same input, same policy, same audit as the gateway."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from audit import AuditRecord
from gateway.settings import Settings
from policy import EngineKind, build_engine
from registry import load_register
from tests.fakes.opa_server import FakeOpaServer

from .conftest import BSN_SANNE

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _case_system(token):
    return token("zs-wijkteam", "case_system")


def _request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": {
            "type": "user",
            "id": "u-anna",
            "properties": {"roles": ["team_generalist"], "teams": ["wt-oost"]},
        },
        "action": {"name": "read", "properties": {"processing_activity_id": "wmo-support"}},
        "resource": {
            "type": "record",
            "id": "zs-dossier-1",
            "properties": {"category": "intake_notes", "team": "wt-oost", "resident": BSN_SANNE},
        },
        "context": {"traceparent": TRACEPARENT},
    }
    return {**body, **overrides}


ENFORCEMENT = {
    "type": "user",
    "id": "u-henk",
    "properties": {"roles": ["enforcement_officer"], "teams": []},
}
ENFORCE_ACTION = {"name": "read", "properties": {"processing_activity_id": "pw-enforcement"}}


GATE = "decision_api.evaluate"  # the one-door decision that the caller may use the API


def _all(client) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:
        return list(s.scalars(select(AuditRecord).order_by(col(AuditRecord.seq))))


def _audit(client) -> list[AuditRecord]:
    """The evaluations' audit records (without the gate's, one per call)."""
    return [r for r in _all(client) if r.event_type != GATE]


def test_an_allowed_evaluation_names_its_basis_and_is_audited(client, token):
    resp = client.post(
        "/access/v1/evaluation",
        json=_request(),
        headers={**_case_system(token), "X-Request-ID": "req-1"},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["decision"] is True
    ctx = body["context"]
    assert ctx["basis"]["type"] == "role"
    assert ctx["decision_id"] == "req-1/0"
    assert ctx["reasons"][0]["code"]
    assert ctx["redact"] == []
    [rec] = _audit(client)
    assert rec.allowed is True
    assert rec.subject_id == "u-anna"
    assert rec.organisation == "gemeente-zaanstad"
    assert rec.processing_activity == "wmo-support"
    assert rec.request_id == "req-1"
    assert rec.trace_id == TRACEPARENT.split("-")[1]
    assert rec.record_id == "zs-dossier-1"
    # The resident is pseudonymised before the policy and the audit see it.
    assert rec.resident == client.app.state.services.pseudonymize(BSN_SANNE)
    assert BSN_SANNE not in str(rec.policy_input)


def test_a_denial_is_audited_with_its_reasons(client, token):
    resp = client.post(
        "/access/v1/evaluation",
        json=_request(subject=ENFORCEMENT, action=ENFORCE_ACTION),
        headers=_case_system(token),
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["decision"] is False
    assert body["context"]["basis"] is None
    codes = [r["code"] for r in body["context"]["reasons"]]
    [rec] = _audit(client)
    assert rec.allowed is False
    assert rec.reason_codes == codes
    assert BSN_SANNE not in resp.text


def test_the_same_decision_as_the_policy_for_the_same_input(client, token):
    """The AuthZEN answer is the enforcement point's decision, not a second interpretation."""
    resp = client.post(
        "/access/v1/evaluation",
        json=_request(subject=ENFORCEMENT, action=ENFORCE_ACTION),
        headers=_case_system(token),
    )
    [rec] = _audit(client)
    engine = client.app.state.services.engines.current
    assert rec.policy_input is not None
    direct = engine.evaluate(rec.policy_input)
    assert resp.json()["decision"] == direct["allow"]
    assert [r["code"] for r in resp.json()["context"]["reasons"]] == [
        r["code"] for r in direct["reasons"]
    ]


def test_no_token_is_401(client):
    assert client.post("/access/v1/evaluation", json=_request()).status_code == 401


def test_the_processing_activity_is_required(client, token):
    req = _request(action={"name": "read"})
    resp = client.post("/access/v1/evaluation", json=req, headers=_case_system(token))
    assert resp.status_code == 422
    assert "processing_activity_id" in resp.text
    assert _audit(client) == []


def test_an_unknown_activity_is_decided_and_audited_as_a_denial(client, token):
    req = _request(action={"name": "read", "properties": {"processing_activity_id": "nosy"}})
    resp = client.post("/access/v1/evaluation", json=req, headers=_case_system(token))
    assert resp.status_code == 200
    assert resp.json()["decision"] is False
    assert [r.allowed for r in _audit(client)] == [False]


def test_a_user_token_decides_only_for_itself(client, token):
    anna = token("u-anna", "team_generalist", teams=("wt-oost",))
    own = _request(subject={"type": "user", "id": "u-anna"})
    assert client.post("/access/v1/evaluation", json=own, headers=anna).json()["decision"]
    other = _request(subject={"type": "user", "id": "u-bert"})
    assert client.post("/access/v1/evaluation", json=other, headers=anna).status_code == 422
    widened = _request(
        subject={"type": "user", "id": "u-anna", "properties": {"roles": ["privacy_officer"]}}
    )
    assert client.post("/access/v1/evaluation", json=widened, headers=anna).status_code == 422


def test_a_case_system_cannot_claim_a_resident(client, token):
    req = _request(subject={"type": "user", "id": "x", "properties": {"roles": ["resident"]}})
    resp = client.post("/access/v1/evaluation", json=req, headers=_case_system(token))
    assert resp.status_code == 422


def test_a_case_system_speaks_only_within_its_municipality(client, token):
    """The municipality comes from the token: another municipality's team is denied."""
    system = token("zs-haarlem", "case_system", municipality="haarlem")
    resp = client.post("/access/v1/evaluation", json=_request(), headers=system)
    # Haarlem is no municipality of this deployment: refused at the door, nothing evaluated.
    assert resp.status_code == 403
    assert [r["code"] for r in resp.json()["reasons"]] == ["other_municipality"]
    assert _audit(client) == []
    with Session(client.app.state.services.db) as s:
        [gate] = s.scalars(select(AuditRecord).where(col(AuditRecord.event_type) == GATE))
    assert (gate.municipality, gate.allowed, gate.resident) == ("haarlem", False, None)


def test_unknown_fields_are_refused(client, token):
    req = _request()
    req["resource"]["properties"]["bsn_of_partner"] = "x"
    resp = client.post("/access/v1/evaluation", json=req, headers=_case_system(token))
    assert resp.status_code == 422
    assert _audit(client) == []


# -- batch -----------------------------------------------------------------------------------


def _batch(semantic: str | None = None) -> dict[str, Any]:
    base = _request()
    body: dict[str, Any] = {
        **base,
        "evaluations": [
            {},  # all defaults: allowed
            {"subject": ENFORCEMENT, "action": ENFORCE_ACTION},  # denied
            {"resource": {**base["resource"], "id": "zs-dossier-2"}},  # allowed
        ],
    }
    if semantic:
        body["options"] = {"evaluations_semantic": semantic}
    return body


def test_batch_execute_all_answers_every_item_in_order(client, token):
    resp = client.post(
        "/access/v1/evaluations",
        json=_batch(),
        headers={**_case_system(token), "X-Request-ID": "req-b"},
    )
    assert resp.status_code == 200, resp.text
    evals = resp.json()["evaluations"]
    assert [e["decision"] for e in evals] == [True, False, True]
    assert [e["context"]["decision_id"] for e in evals] == ["req-b/0", "req-b/1", "req-b/2"]
    audit = _audit(client)
    assert [r.allowed for r in audit] == [True, False, True]
    assert [r.record_id for r in audit] == ["zs-dossier-1", "zs-dossier-1", "zs-dossier-2"]


@pytest.mark.parametrize(
    ("semantic", "expected"),
    [("deny_on_first_deny", [True, False]), ("permit_on_first_permit", [True])],
)
def test_batch_semantics_stop_early_and_audit_only_what_was_decided(
    client, token, semantic, expected
):
    resp = client.post("/access/v1/evaluations", json=_batch(semantic), headers=_case_system(token))
    assert [e["decision"] for e in resp.json()["evaluations"]] == expected
    assert [r.allowed for r in _audit(client)] == expected


def test_batch_item_that_cannot_be_evaluated_is_false_with_an_error(client, token):
    body = _batch()
    body["evaluations"][1] = {"action": {"name": "read"}}
    resp = client.post("/access/v1/evaluations", json=body, headers=_case_system(token))
    evals = resp.json()["evaluations"]
    assert [e["decision"] for e in evals] == [True, False, True]
    assert evals[1]["context"]["error"]["status"] == 422
    assert len(_audit(client)) == 2


def test_batch_without_evaluations_is_a_single_evaluation(client, token):
    resp = client.post("/access/v1/evaluations", json=_request(), headers=_case_system(token))
    assert resp.json()["decision"] is True


def test_an_unknown_semantic_is_refused(client, token):
    resp = client.post(
        "/access/v1/evaluations", json=_batch("coin_flip"), headers=_case_system(token)
    )
    assert resp.status_code == 422


def test_engine_failure_is_503_and_audited_as_a_refusal(make_client, token):
    bad = build_engine(
        EngineKind.EMBEDDED,
        {"bad.rego": 'package doelbinding.authz\n\ndecision := {"allow": true}\n'},
        load_register("zaanstad").policy_data(),
    )
    client = make_client(engine=bad)
    resp = client.post("/access/v1/evaluations", json=_batch(), headers=_case_system(token))
    assert resp.status_code == 503
    # The door itself cannot be decided: refused, audited, nothing evaluated.
    [gate] = _all(client)
    assert (gate.event_type, gate.reason_codes) == (GATE, ["policy_engine_unavailable"])
    assert not gate.allowed


def test_pdp_metadata(client):
    meta = client.get("/.well-known/authzen-configuration").json()
    assert meta["access_evaluation_endpoint"].endswith("/access/v1/evaluation")
    assert meta["access_evaluations_endpoint"].endswith("/access/v1/evaluations")


def test_the_gateway_decides_through_opa_when_configured(settings: Settings, make_client, token):
    """DOELBINDING_POLICY__ENGINE=opa: the gateway pushes to OPA and decides there."""
    with FakeOpaServer() as opa:
        settings.policy.engine = EngineKind.OPA
        settings.policy.opa_url = opa.url
        client = make_client()
        assert client.app.state.services.engines.current.kind == "opa"
        resp = client.post("/access/v1/evaluations", json=_batch(), headers=_case_system(token))
        assert [e["decision"] for e in resp.json()["evaluations"]] == [True, False, True]
        assert ("POST", "/v1/data/doelbinding/authz/decision") in opa.requests
        opa.fail_status = 500
        resp = client.post("/access/v1/evaluation", json=_request(), headers=_case_system(token))
        assert resp.status_code == 503
        assert _all(client)[-1].reason_codes == ["policy_engine_unavailable"]
