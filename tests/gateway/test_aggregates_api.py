"""Hilversum's work-experience company keeps no files, only anonymous counts: recorded and read
through the policy (resource type `aggregate`, statistics only), audited about no resident,
never accepting a resident id; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from audit import AuditRecord
from gateway.settings import Settings

from .conftest import BSN_SANNE

COACH = ("u-coach", "wi_client_manager")
LEAD = ("u-lead", "team_lead")
PLEIN = ("u-plein", "team_generalist")
COUNT = {
    "unit": "werkervaring-hilversum",
    "processing_activity": "pw-reintegration",
    "period": "2025-06",
    "count": 14,
}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, profile="hilversum", database={"url": database_url}, log_format="json"
    )


def _h(token, who, activity="statistics"):
    return token(*who, municipality="hilversum", activity=activity)


def _audit(client) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:
        return list(s.scalars(select(AuditRecord).order_by(col(AuditRecord.seq))))


def test_the_company_records_counts_and_statistics_reads_them(client, token, clock):
    resp = client.post("/v1/aggregates/counts", json=COUNT, headers=_h(token, COACH))
    assert resp.status_code == 201, resp.text
    assert resp.json()["count"] == 14
    clock.advance(60)
    # A correction is a new count; the listing shows the latest.
    client.post("/v1/aggregates/counts", json={**COUNT, "count": 15}, headers=_h(token, COACH))
    client.post(
        "/v1/aggregates/counts",
        json={**COUNT, "period": "2025-07", "count": 9},
        headers=_h(token, COACH),
    )
    got = client.get("/v1/aggregates/counts", headers=_h(token, LEAD))
    assert got.status_code == 200, got.text
    # 9 is a small cell (below the register's threshold of 10): suppressed.
    assert [(c["period"], c["count"]) for c in got.json()["counts"]] == [
        ("2025-06", 15),
        ("2025-07", None),
    ]
    one = client.get("/v1/aggregates/counts?period=2025-07", headers=_h(token, LEAD)).json()
    assert [(c["count"], c["suppressed"]) for c in one["counts"]] == [(None, True)]

    entries = _audit(client)
    kinds = [e.event_type for e in entries]
    assert kinds == ["aggregate.create"] * 3 + ["aggregate.read"] * 2
    assert all(e.resident is None and e.allowed for e in entries)
    assert {e.reason_codes[0] for e in entries} == {"aggregate_statistics"}


def test_no_resident_is_ever_accepted(client, token):
    for field in ("resident", "bsn", "resident_pseudonym", "client_id", "Naam", "birth_date"):
        resp = client.post(
            "/v1/aggregates/counts", json={**COUNT, field: BSN_SANNE}, headers=_h(token, COACH)
        )
        assert resp.status_code == 422, field
        assert "anonymous counts only" in resp.text
        assert BSN_SANNE not in resp.text
    # No other field smuggles one in either: unknown fields are refused, periods are periods.
    assert (
        client.post(
            "/v1/aggregates/counts", json={**COUNT, "note": "x"}, headers=_h(token, COACH)
        ).status_code
        == 422
    )
    bad_period = client.post(
        "/v1/aggregates/counts", json={**COUNT, "period": BSN_SANNE[:8]}, headers=_h(token, COACH)
    )
    assert bad_period.status_code == 422
    assert bad_period.json()["detail"][0]["loc"] == ["body", "period"]
    assert _audit(client) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"unit": "wt-mars"}, "unit"),
        ({"category": "diary"}, "category"),
        ({"processing_activity": None}, "category"),
        ({"count": -1}, "count"),
    ],
)
def test_a_count_the_register_does_not_know_is_refused(client, token, overrides, field):
    resp = client.post(
        "/v1/aggregates/counts", json={**COUNT, **overrides}, headers=_h(token, COACH)
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"][-1] == field


def test_counts_only_under_statistics_and_only_for_its_roles(client, token):
    wrong = client.post(
        "/v1/aggregates/counts", json=COUNT, headers=_h(token, COACH, "pw-reintegration")
    )
    assert (wrong.status_code, wrong.json()["reasons"][0]["code"]) == (403, "no_legal_basis")
    no_mandate = client.get("/v1/aggregates/counts", headers=_h(token, PLEIN))
    assert no_mandate.json()["reasons"][0]["code"] == "no_mandate"
    # A refused write stores nothing; its refusal is audited.
    lead = client.get("/v1/aggregates/counts", headers=_h(token, LEAD)).json()
    assert lead["counts"] == []
    assert [e.allowed for e in _audit(client)] == [False, False, True]


def test_records_for_the_company_stay_refused(client, token):
    resp = client.post(
        "/v1/records",
        json={
            "resident": BSN_SANNE,
            "category": "reintegration_plan",
            "team": "werkervaring-hilversum",
            "content": "x",
        },
        headers=_h(token, COACH, "pw-reintegration"),
    )
    assert resp.json()["reasons"][0]["code"] == "no_dossier"


def test_another_municipality_cannot_count_for_hilversum(client, token):
    resp = client.post(
        "/v1/aggregates/counts",
        json=COUNT,
        headers=token(*COACH, municipality="zaanstad", activity="statistics"),
    )
    assert resp.json()["reasons"][0]["code"] == "other_municipality"


def test_the_counts_table_is_append_only(client, token):
    client.post("/v1/aggregates/counts", json=COUNT, headers=_h(token, COACH))
    engine = client.app.state.services.db
    for stmt in ("DELETE FROM aggregate_counts", "UPDATE aggregate_counts SET count = 0"):
        with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
            conn.execute(text(stmt))
