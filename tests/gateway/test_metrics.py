"""`/metrics` (gateway/metrics.py): behind its own token, the figures the issue asks for, and
no personal data in any label. `/ready` says why it is not ready.

The metrics are the process's (prometheus-client's default registry), so each test compares
values before and after its own requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.settings import MetricsSettings, Settings
from policy import EngineKind, build_engine
from registry import load_register

from .conftest import BSN_JOOST, BSN_SANNE, store_record

SCRAPE_TOKEN = "scrape-secret-for-tests"
CONTENT = "Vertrouwelijk verhaal over schulden"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"metrics": MetricsSettings(token=SCRAPE_TOKEN)})


def _scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(resp.text)
        for s in family.samples
    }


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_needs_its_token(make_client: Callable[..., TestClient], settings) -> None:
    client = make_client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_metrics_is_off_without_a_token(make_client: Callable[..., TestClient]) -> None:
    # The `settings` of this module carries a token; the gateway's default does not.
    client = make_client()
    client.app.state.services.settings.metrics.token = None  # type: ignore[attr-defined]
    assert client.get("/metrics").status_code == 404


def test_decisions_requests_refusals_and_audit_figures(
    make_client: Callable[..., TestClient], token, database_url: str
) -> None:
    client = make_client()
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    kees = token("u-kees", "wi_client_manager", activity="pw-enforcement")
    before = _scrape(client)
    rid = store_record(client, anna)
    assert client.get(f"/v1/records/{rid}", headers=anna).status_code == 200
    # No relationship with the resident: the refusal answers 404 (docs/security.md); it is a
    # policy decision all the same, counted below.
    assert client.get(f"/v1/records/{rid}", headers=kees).status_code == 404
    too_long = {"resident": BSN_SANNE, "category": "intake_notes", "team": "wt-oost"}
    too_long["content"] = "x" * 100_001
    assert client.post("/v1/records", json=too_long, headers=anna).status_code == 422
    after = _scrape(client)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    allow = {"outcome": "allow", "activity": "wmo-support", "reason": "team_member_support"}
    assert delta("doelbinding_decisions_total", **allow) == 2  # the write and the read
    denied = [
        labels
        for (name, labels), v in after.items()
        if name == "doelbinding_decisions_total"
        and dict(labels)["outcome"] == "deny"
        and dict(labels)["activity"] == "pw-enforcement"
        and v > _value(before, name, **dict(labels))
    ]
    assert [dict(d)["reason"] for d in denied] == ["no_mandate"]
    assert delta("doelbinding_decision_seconds_count") == 3
    read = {"method": "GET", "route": "/v1/records/{record_id}", "status": "200"}
    assert delta("doelbinding_request_seconds_count", **read) == 1
    assert delta("doelbinding_refusals_total", cause="limits") == 1
    # Nothing signed yet (no checkpointer in this test): every record waits.
    assert _value(after, "doelbinding_audit_checkpoint_lag_entries") == 3
    if database_url.startswith("postgresql"):  # reads go through group commit there
        assert delta("doelbinding_audit_batch_records_count") >= 1
        assert ("doelbinding_audit_queue_depth", ()) in after


def test_engine_failures_count_as_refusals(make_client: Callable[..., TestClient], token) -> None:
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    rid = store_record(make_client(), anna)
    bad = build_engine(  # a real compiled policy whose answer is not a decision of the contract
        EngineKind.EMBEDDED,
        {"bad.rego": 'package doelbinding.authz\n\ndecision := {"allow": true}\n'},
        load_register("zaanstad").policy_data(),
    )
    client = make_client(engine=bad)
    before = _scrape(client)
    assert client.get(f"/v1/records/{rid}", headers=anna).status_code == 503
    after = _scrape(client)
    assert (
        _value(after, "doelbinding_refusals_total", cause="engine")
        - _value(before, "doelbinding_refusals_total", cause="engine")
        == 1
    )
    error = {"outcome": "error", "activity": "wmo-support", "reason": "policy_engine_unavailable"}
    assert _value(after, "doelbinding_decisions_total", **error) > _value(
        before, "doelbinding_decisions_total", **error
    )
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["policy_engine"] == "InvalidDecision"
    assert any(r.startswith("policy:") for r in ready.json()["reasons"])


def test_no_label_holds_a_bsn_a_pseudonym_or_content(
    make_client: Callable[..., TestClient], token
) -> None:
    client = make_client()
    pseudonymize = client.app.state.services.pseudonymize  # type: ignore[attr-defined]
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    ids = [
        store_record(client, anna, resident=bsn, content=CONTENT) for bsn in (BSN_SANNE, BSN_JOOST)
    ]
    for bsn, rid in zip((BSN_SANNE, BSN_JOOST), ids, strict=True):
        client.get(f"/v1/records/{rid}", headers=anna)
        client.get(f"/v1/residents/{bsn}/records", headers=anna)
        client.get("/v1/me/access-log", headers=token(bsn, "resident"))
        client.get("/v1/me/consents", headers=token(bsn, "resident"))
        # Hostile values where a label comes from: the activity header, the path, the method.
        client.get(f"/v1/records/{rid}", headers={**anna, "X-Processing-Activity": bsn})
        client.get(f"/v1/unknown/{bsn}", headers=anna)
        client.request(f"X{bsn}", f"/v1/records/{rid}", headers=anna)
    forbidden = {BSN_SANNE, BSN_JOOST, pseudonymize(BSN_SANNE), pseudonymize(BSN_JOOST), *ids}
    forbidden |= {"Vertrouwelijk", "schulden"}
    values = {v for (_, labels) in _scrape(client) for _, v in labels}
    assert values, "the scrape should hold labelled samples"
    leaks = {v for v in values for f in forbidden if f in v}
    assert leaks == set()
    assert any(v == "/v1/residents/{resident}/records" for v in values)


def test_ready_says_why_the_database_is_not_ready(settings: Settings, clock) -> None:
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
    body = resp.json()
    assert body["status"] == "unavailable"
    assert body["reasons"] == [f"database: cannot run a query ({body['checks']['database']})"]
