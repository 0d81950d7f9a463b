"""Fail closed: when the engine or the audit write fails, the answer is 503 and no data."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlmodel import Session, col

from audit import AuditRecord
from policy import EngineKind, build_engine
from records import CaseRecord
from registry import load_register

from .conftest import BSN_SANNE, store_record

TEAM_HEADERS = {"sub": "u-anna", "teams": ("wt-oost",), "activity": "wmo-support"}


def _headers(token):
    return token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")


def _seed(client, token) -> str:
    return store_record(client, _headers(token))


def _refuse_audit_inserts(engine) -> None:
    """Make the database refuse audit writes, as a full disk or a lost connection would."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER test_refuse BEFORE INSERT ON audit_records "
                    "BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'injected audit failure'; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER test_refuse BEFORE INSERT ON audit_records "
                    "FOR EACH ROW EXECUTE FUNCTION test_refuse()"
                )
            )


def test_audit_failure_on_read_gives_503_and_no_data(client, token):
    rid = _seed(client, token)
    _refuse_audit_inserts(client.app.state.services.db)
    resp = client.get(f"/v1/records/{rid}", headers=_headers(token))
    assert resp.status_code == 503
    assert "geheim" not in resp.text


def test_audit_failure_on_write_stores_nothing(client, token):
    _refuse_audit_inserts(client.app.state.services.db)
    resp = client.post(
        "/v1/records",
        json={"resident": BSN_SANNE, "category": "intake_notes", "team": "wt-oost", "content": "x"},
        headers=_headers(token),
    )
    assert resp.status_code == 503
    with Session(client.app.state.services.db) as s:
        assert s.scalar(select(func.count()).select_from(CaseRecord)) == 0


def test_audit_failure_on_list_gives_503(client, token):
    _seed(client, token)
    _refuse_audit_inserts(client.app.state.services.db)
    resp = client.get(f"/v1/residents/{BSN_SANNE}/records", headers=_headers(token))
    assert resp.status_code == 503
    assert "geheim" not in resp.text


def test_malformed_engine_result_is_a_refusal(make_client, token):
    # A real compiled policy whose answer says allow but is not a decision of the contract.
    bad = build_engine(
        EngineKind.EMBEDDED,
        {"bad.rego": 'package doelbinding.authz\n\ndecision := {"allow": true}\n'},
        load_register("zaanstad").policy_data(),
    )
    good_client = make_client()
    rid = _seed(good_client, token)
    client = make_client(engine=bad)
    resp = client.get(f"/v1/records/{rid}", headers=_headers(token))
    assert resp.status_code == 503
    assert "geheim" not in resp.text
    with Session(client.app.state.services.db) as s:
        last = s.scalars(select(AuditRecord).order_by(col(AuditRecord.seq).desc())).first()
    assert last is not None
    assert last.allowed is False
    assert last.reason_codes == ["policy_engine_unavailable"]


def test_undefined_engine_result_is_a_refusal(make_client, token):
    silent = build_engine(
        EngineKind.EMBEDDED,
        {"empty.rego": "package doelbinding.authz\n\nsomething_else := true\n"},
        load_register("zaanstad").policy_data(),
    )
    rid = _seed(make_client(), token)
    resp = make_client(engine=silent).get(f"/v1/records/{rid}", headers=_headers(token))
    assert resp.status_code == 503
