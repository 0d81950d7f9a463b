"""Issue 12 ("Abuse"): per-subject rate limits on the decision routes, 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from audit import AuditRecord
from gateway.app import create_app
from tests.gateway.conftest import BSN_SANNE


@pytest.fixture
def limited(settings, clock) -> Iterator[Callable[[str], TestClient]]:
    apps: list[TestClient] = []

    def make(rate: str) -> TestClient:
        s = settings.model_copy(
            update={"edge": settings.edge.model_copy(update={"rate_limit": rate})}
        )
        c = TestClient(create_app(s, clock=clock), raise_server_exceptions=False)
        apps.append(c)
        return c

    yield make
    for c in apps:
        c.app.state.services.db.dispose()  # type: ignore[attr-defined]
        c.close()


def _evaluation(sub: str) -> dict[str, object]:
    return {
        "subject": {"type": "user", "id": sub},
        "action": {"name": "read", "properties": {"processing_activity_id": "wmo-support"}},
        "resource": {
            "properties": {"category": "intake_notes", "team": "wt-oost", "resident": BSN_SANNE}
        },
    }


def test_record_reads_over_budget_are_429_with_retry_after(limited, token) -> None:
    client = limited("3/minute")
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    bert = token("u-bert", "team_generalist", teams=("wt-west",), activity="wmo-support")
    codes = [client.get("/v1/records/r-none", headers=anna).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    over = client.get("/v1/records/r-none", headers=anna)
    assert over.status_code == 429
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert over.json()["code"] == "rate_limited"
    # Another subject has a budget of its own; so does the listing route's caller.
    assert client.get("/v1/records/r-none", headers=bert).status_code == 404
    listing = client.get(f"/v1/residents/{BSN_SANNE}/records", headers=anna)
    assert listing.status_code == 429


def test_an_authzen_batch_costs_one_per_evaluation(limited, token) -> None:
    client = limited("5/minute")
    anna = token("u-anna", "team_generalist", teams=("wt-oost",))
    batch = {"evaluations": [_evaluation("u-anna")] * 4}
    assert client.post("/access/v1/evaluations", json=batch, headers=anna).status_code == 200
    assert client.post("/access/v1/evaluation", json=_evaluation("u-anna"), headers=anna).is_success
    refused = client.post("/access/v1/evaluation", json=_evaluation("u-anna"), headers=anna)
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers


def test_a_refused_request_is_not_decided_or_audited(limited, token) -> None:
    client = limited("1/minute")
    anna = token("u-anna", "team_generalist", teams=("wt-oost",))
    client.post("/access/v1/evaluation", json=_evaluation("u-anna"), headers=anna)
    resp = client.post("/access/v1/evaluation", json=_evaluation("u-anna"), headers=anna)
    assert resp.status_code == 429
    with Session(client.app.state.services.db) as s:
        assert s.scalar(select(func.count()).select_from(AuditRecord)) == 1
