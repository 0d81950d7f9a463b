"""Health, readiness, the published register, and logs without personal data."""

from __future__ import annotations

import json

from structlog.testing import capture_logs

from .conftest import BSN_SANNE


def test_health_and_ready(client):
    assert client.get("/health").json() == {"status": "ok", "checks": {}}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


def test_registry_is_published_without_personal_data(client):
    resp = client.get("/v1/registry")
    assert resp.status_code == 200
    reg = resp.json()
    assert len([t for t in reg["teams"] if t.startswith("wt-")]) == 11
    act = reg["activities"]["pw-enforcement"]
    assert act["purpose"] == "enforcement"
    assert act["consent_admissible"] is False
    assert act["legal_basis"]["link"].startswith("https://wetten.overheid.nl/")
    assert "team_wi_specialist" in reg["mandates"]


def test_openapi_documents_the_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/records",
        "/v1/records/{record_id}",
        "/v1/residents/{resident}/records",
        "/v1/consents",
        "/v1/consents/{consent_id}/withdraw",
        "/v1/me/consents",
        "/v1/me/access-log",
        "/v1/registry",
        "/health",
        "/ready",
    ):
        assert path in paths


def test_logs_carry_no_bsn_and_no_content(client, token):
    with capture_logs() as logs:
        client.post(
            "/v1/records",
            json={
                "resident": BSN_SANNE,
                "category": "intake_notes",
                "team": "wt-oost",
                "content": "Vertrouwelijk verhaal",
            },
            headers=token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support"),
        )
        client.get(
            f"/v1/residents/{BSN_SANNE}/records",
            headers=token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support"),
        )
    dumped = json.dumps(logs, default=str)
    assert logs, "the requests should have been logged"
    assert BSN_SANNE not in dumped
    assert "Vertrouwelijk" not in dumped
    assert any(entry.get("event") == "decision" for entry in logs)


def test_ready_reports_an_unreachable_database(settings, clock, tmp_path):
    from fastapi.testclient import TestClient

    from gateway.app import create_app

    broken = settings.model_copy(
        update={
            "database": settings.database.model_copy(
                update={"url": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
            )
        }
    )
    with TestClient(create_app(broken, clock=clock)) as client:
        resp = client.get("/ready")
    assert resp.status_code == 503
    assert resp.json()["status"] == "unavailable"
    assert resp.json()["checks"]["database"] != "ok"


def test_scrubber_masks_a_bsn_but_not_hex_ids():
    from gateway.logging import ScrubPersonalData

    out = ScrubPersonalData()(
        None,
        "info",
        {
            "event": "x",
            "note": "bsn 999990019 here",
            "request_id": "dbcc6495bc054d2183cf59a123456789",
        },
    )
    assert out["note"] == "bsn [bsn] here"
    assert out["request_id"] == "dbcc6495bc054d2183cf59a123456789"
