"""Issue 12 ("Abuse"): per-subject rate limits on the decision routes, 429 with Retry-After."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlmodel import Session, func, select

from audit import AuditRecord
from gateway.app import create_app
from gateway.auth import Principal
from gateway.ratelimit import DecisionRateLimit, LocalMovingWindow
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
    with Session(client.app.state.services.db) as s:
        before = s.scalar(select(func.count()).select_from(AuditRecord))
    # The first call: the door's decision (decision_api) and the evaluation.
    assert before == 2
    resp = client.post("/access/v1/evaluation", json=_evaluation("u-anna"), headers=anna)
    assert resp.status_code == 429
    with Session(client.app.state.services.db) as s:
        assert s.scalar(select(func.count()).select_from(AuditRecord)) == before


def test_the_local_moving_window_answers_as_limits_memory_storage(monkeypatch) -> None:
    """`memory://` is counted without `limits`' MemoryStorage (its expiry thread, see
    gateway/ratelimit.py); replayed side by side on one clock, every hit and every reset
    time after a refusal is the same."""
    rng = random.Random(16)
    now = [1_800_000_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    ours = LocalMovingWindow(sweep_seconds=5)
    theirs = MovingWindowRateLimiter(MemoryStorage())
    items = [parse("5/minute"), parse("3/second"), parse("20/hour")]
    refused = 0
    for step in range(4000):
        # Several hits at one instant, and steps around each window's length (jittered: a
        # hit exactly one window old is at the boundary, where `limits`' reset time reads a
        # stale entry; real clocks do not land there).
        step_s = rng.choice([0.0, 0.0, 0.001, 0.2, 1.0, 7.0, 30.0, 61.0])
        now[0] += step_s and step_s + rng.uniform(0, 1e-3)
        item, who, cost = rng.choice(items), rng.choice("abc"), rng.choice([1, 1, 1, 2, 4, 6])
        allowed = ours.hit(item, "zaanstad", who, cost=cost)
        assert allowed == theirs.hit(item, "zaanstad", who, cost=cost), step
        if not allowed and cost <= item.amount:
            refused += 1
            reset = theirs.get_window_stats(item, "zaanstad", who).reset_time
            assert ours.reset_time(item, "zaanstad", who) == reset, step
    assert refused > 100  # the replay reached the limits, not only the easy allows


def test_charging_a_budget_in_memory_starts_no_thread(monkeypatch) -> None:
    """`limits`' MemoryStorage started a 10 ms expiry Timer on a hit whenever the last one
    had run, and the read waited for it to be scheduled (gateway/ratelimit.py)."""
    limit = DecisionRateLimit("600/minute", "6000/minute")
    for t in threading.enumerate():  # a timer started with the storage, if any, has run
        if isinstance(t, threading.Timer):
            t.join()
    started: list[threading.Thread] = []
    start = threading.Thread.start

    def recording_start(t: threading.Thread) -> None:
        started.append(t)
        start(t)

    monkeypatch.setattr(threading.Thread, "start", recording_start)
    anna = Principal("u-anna", ("team_generalist",), "", ("wt-oost",), "zaanstad")
    for _ in range(3):
        limit.charge(anna)
    assert started == []
