"""Issue 12, findings 5, 6 and 9 (the edge's part): every byte from a client is hostile.

Bounded bodies (413, also chunked, before authentication), bounded headers, NUL bytes and lone
surrogates refused with 4xx, no 500 and no 503 for bad input, and 422 answers that name the
field but never echo its value. Every test here runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from audit import AuditRecord
from tests.gateway.conftest import BSN_SANNE, store_record

MAX_SEQ = 2**63 - 1


def _anna(token, activity: str = "wmo-support"):
    return token("u-anna", "team_generalist", teams=("wt-oost",), activity=activity)


def _audit(client) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:
        return list(s.scalars(select(AuditRecord).order_by(col(AuditRecord.seq))))


def _authzen(**resource: object) -> dict[str, object]:
    return {
        "subject": {"type": "user", "id": "u-anna"},
        "action": {"name": "read", "properties": {"processing_activity_id": "wmo-support"}},
        "resource": {
            "properties": {"category": "intake_notes", "team": "wt-oost", "resident": BSN_SANNE},
            **resource,
        },
    }


# --- finding 6: the body size -------------------------------------------------------------


def test_a_body_over_the_limit_is_413_before_authentication(client) -> None:
    body = b'{"content": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    resp = client.post("/v1/records", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 413
    assert resp.json()["code"] == "too_large"


def test_a_chunked_body_is_counted_while_it_is_read(client, token) -> None:
    def chunks():
        yield b'{"resident": "' + BSN_SANNE.encode() + b'", "content": "'
        for _ in range(64):
            yield b"x" * 32 * 1024  # 2 MiB in all, without a Content-Length
        yield b'"}'

    resp = client.post(
        "/v1/records", content=chunks(), headers=_anna(token) | {"Content-Type": "application/json"}
    )
    assert resp.status_code == 413
    assert "content-length" not in {k.lower() for k in resp.request.headers}


def test_a_body_under_the_limit_is_read_as_before(client, token) -> None:
    store_record(client, _anna(token), content="x" * 90_000)


# --- NUL bytes and lone surrogates ------------------------------------------------------------


def test_a_nul_in_a_query_parameter_is_400_not_audited(client, token) -> None:
    resp = client.get(
        "/v1/aggregates/counts?unit=%00", headers=token("u-s", "team_lead", activity="statistics")
    )
    assert resp.status_code == 400
    assert _audit(client) == []


def test_a_nul_in_a_record_id_is_400(client, token) -> None:
    resp = client.get("/v1/records/r-%00", headers=_anna(token))
    assert resp.status_code == 400


@pytest.mark.parametrize(
    "header", ["X-Processing-Activity", "X-Break-Glass-Justification", "traceparent"]
)
def test_a_nul_in_a_header_is_400(client, token, header) -> None:
    headers = _anna(token) | {header: "wmo-support\x00 and a long enough justification"}
    resp = client.get("/v1/records/r-none", headers=headers)
    assert resp.status_code == 400
    assert _audit(client) == []


@pytest.mark.parametrize(
    "resource",
    [
        {"id": "r-\u0000"},
        {"type": "rec\u0000ord"},
        {"properties": {"category": "intake_notes", "team": "wt-\u0000", "resident": BSN_SANNE}},
    ],
    ids=["id", "type", "team"],
)
def test_a_nul_in_any_authzen_field_is_422(client, token, resource) -> None:
    resp = client.post("/access/v1/evaluation", json=_authzen(**resource), headers=_anna(token))
    assert resp.status_code == 422, resp.text
    assert "\\u0000" not in resp.text
    assert _audit(client) == []


@pytest.mark.parametrize("resource", [{"type": "r" * 64}, {"id": "x" * 128}], ids=["type", "id"])
def test_authzen_resource_fields_longer_than_the_audit_columns_are_422(client, token, resource):
    resp = client.post("/access/v1/evaluation", json=_authzen(**resource), headers=_anna(token))
    assert resp.status_code == 422, resp.text
    assert _audit(client) == []


def test_a_lone_surrogate_in_a_json_body_is_422(client, token) -> None:
    raw = json.dumps({"resident": BSN_SANNE, "category": "intake_notes", "team": "wt-oost"})
    raw = raw[:-1] + ', "content": "a\\ud800b"}'
    resp = client.post(
        "/v1/records", content=raw, headers=_anna(token) | {"Content-Type": "application/json"}
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"][-1] == "content"


# --- no 500 and no 503 for bad input ------------------------------------------------------------


def test_the_access_log_to_the_last_day_there_is(client, token) -> None:
    resp = client.get("/v1/me/access-log?to=9999-12-31", headers=token(BSN_SANNE, "resident"))
    assert resp.status_code == 200, resp.text


def test_a_consent_valid_until_without_offset_is_422(client, token) -> None:
    body = {
        "categories": ["health"],
        "processing_activities": ["pw-reintegration"],
        "recipients": ["wi-zaanstad"],
        "valid_until": "2027-01-01T00:00:00",
    }
    resp = client.post("/v1/consents", json=body, headers=token(BSN_SANNE, "resident"))
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"][-1] == "valid_until"


@pytest.mark.parametrize(
    "path",
    [
        f"/v1/audit/entries/{MAX_SEQ + 1}",
        f"/v1/audit/entries/-{MAX_SEQ + 2}",
        f"/v1/audit/proofs/inclusion?seq={MAX_SEQ + 1}",
        f"/v1/audit/proofs/consistency?first=1&second={MAX_SEQ + 1}",
        f"/v1/audit/export?format=ldv&after_seq={MAX_SEQ + 1}",
    ],
)
def test_seq_beyond_bigint_is_422(client, token, path) -> None:
    resp = client.get(path, headers=token("u-fg", "privacy_officer"))
    assert resp.status_code == 422, resp.text


def test_before_seq_beyond_bigint_is_422(client, token) -> None:
    resp = client.get(
        f"/v1/me/access-log?before_seq={MAX_SEQ + 1}", headers=token(BSN_SANNE, "resident")
    )
    assert resp.status_code == 422, resp.text


# --- 422 names the field, never its value ------------------------------------------------------


def test_a_422_names_the_field_and_does_not_echo_the_value(client, token) -> None:
    body = {"resident": BSN_SANNE * 8, "category": "intake_notes", "team": "wt-oost", "content": 7}
    resp = client.post("/v1/records", json=body, headers=_anna(token))
    assert resp.status_code == 422
    fields = {e["loc"][-1] for e in resp.json()["detail"]}
    assert fields == {"resident", "content"}
    assert BSN_SANNE not in resp.text
    assert all("input" not in e for e in resp.json()["detail"])


def test_a_422_on_a_huge_body_stays_small(client, token) -> None:
    body = {
        "resident": BSN_SANNE,
        "category": "intake_notes",
        "team": "wt-oost",
        "content": "geheim " * 100_000,
    }
    resp = client.post("/v1/records", json=body, headers=_anna(token))
    assert resp.status_code == 422
    assert len(resp.content) < 1000
    assert "geheim" not in resp.text


# --- finding 5: what reaches the append-only trail is bounded ----------------------------------


def test_a_one_character_justification_is_refused(client, token) -> None:
    rid = store_record(client, _anna(token))
    west = token("u-bert", "team_generalist", teams=("wt-west",), activity="wmo-support")
    resp = client.get(f"/v1/records/{rid}", headers=west | {"X-Break-Glass-Justification": "x"})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["header", "X-Break-Glass-Justification"]


def test_a_megabyte_justification_is_refused_and_not_stored(client, token) -> None:
    rid = store_record(client, _anna(token))
    before = len(_audit(client))
    resp = client.get(
        f"/v1/records/{rid}",
        headers=_anna(token) | {"X-Break-Glass-Justification": "waarom " * 200_000},
    )
    assert resp.status_code in (413, 422, 431)
    assert len(_audit(client)) == before


@pytest.mark.parametrize(
    "traceparent",
    [
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" + "x" * 100_000,
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-" + "0" * 100_000,
        "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
    ],
    ids=["long-tail", "long-flags", "upper-case", "version-ff", "zero-trace"],
)
def test_an_invalid_traceparent_is_ignored_not_stored(client, token, traceparent) -> None:
    rid = store_record(client, _anna(token))
    resp = client.get(f"/v1/records/{rid}", headers=_anna(token) | {"traceparent": traceparent})
    assert resp.status_code == 200
    rec = _audit(client)[-1]
    assert rec.policy_input is not None
    assert rec.policy_input["context"]["traceparent"] == ""
    assert rec.trace_id != "0af7651916cd43dd8448eb211c80319c"
    assert rec.details == {}


def test_a_valid_traceparent_joins_the_trace(client, token) -> None:
    tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    rid = store_record(client, _anna(token))
    client.get(f"/v1/records/{rid}", headers=_anna(token) | {"traceparent": tp})
    rec = _audit(client)[-1]
    assert rec.trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert rec.policy_input is not None
    assert rec.policy_input["context"]["traceparent"] == tp
