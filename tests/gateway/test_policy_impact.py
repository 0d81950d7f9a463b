"""Issue 13, item 1: the impact replay compares the active version with the draft.

Each stored input is decided again under the active version AND the draft, in one child
process; only where those two differ is a flip. What the active version decides differently
from what was recorded is drift, reported apart. Only inputs decided for this deployment's
profile are replayed; the others are counted by profile.

Every test runs on SQLite and PostgreSQL (the `database_url` fixture)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from audit import AuditRecord
from gateway.app import create_app
from gateway.settings import Settings
from policy import load_modules

from .conftest import BSN_JOOST, BSN_SANNE, FakeClock
from .test_policy_lifecycle import LEAK, PO_1, PO_2, STAYS

HENK = ("u-henk", "enforcement_officer")
ANNA = ("u-anna", "team_generalist")
Token = Callable[..., dict[str, str]]


def _comment_only() -> dict[str, str]:
    modules = load_modules()
    modules["authz.rego"] += "\n# A comment: the same decisions, a new revision.\n"
    return modules


def _leaky() -> dict[str, str]:
    """Enforcement may read intake notes: the branch that kept them in the team now allows."""
    modules = load_modules()
    assert STAYS in modules["authz.rego"]
    modules["authz.rego"] = modules["authz.rego"].replace(STAYS, LEAK)
    return modules


def _draft(client: TestClient, token: Token, modules: dict[str, str], message: str) -> str:
    resp = client.post(
        "/v1/policies", json={"message": message, "modules": modules}, headers=token(*PO_1)
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["revision"])


def _simulate(client: TestClient, token: Token, rev: str) -> dict[str, Any]:
    resp = client.post(f"/v1/policies/{rev}/simulate?last=1000", headers=token(*PO_1))
    assert resp.status_code == 200, resp.text
    report: dict[str, Any] = resp.json()
    assert report["error"] is None
    return report


def _intake_notes(client: TestClient, headers: dict[str, str], team: str, bsn: str) -> str:
    resp = client.post(
        "/v1/records",
        json={"resident": bsn, "category": "intake_notes", "team": team, "content": "geheim"},
        headers=headers,
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def _records(client: TestClient) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:  # type: ignore[attr-defined]
        return list(s.scalars(select(AuditRecord).order_by(col(AuditRecord.seq))))


@pytest.fixture
def haarlem(settings: Settings, clock: FakeClock) -> Any:
    """A second gateway, of the Haarlem profile, on the same database: its decisions sit in the
    same trail, decided with Haarlem's register."""
    made: list[TestClient] = []

    def make() -> TestClient:
        app = create_app(settings.model_copy(update={"profile": "haarlem"}), clock=clock)
        made.append(TestClient(app, raise_server_exceptions=False))
        return made[-1]

    yield make
    for c in made:
        c.app.state.services.db.dispose()  # type: ignore[attr-defined]
        c.close()


def _history(client: TestClient, haarlem: TestClient, token: Token) -> None:
    """Zaanstad: intake notes, read 3 times by enforcement (denied) and once by the team;
    Haarlem: intake notes, read twice by enforcement (denied)."""
    team = token(*ANNA, teams=("wt-oost",), activity="wmo-support")
    rid = _intake_notes(client, team, "wt-oost", BSN_SANNE)
    enforcement = token(*HENK, activity="pw-enforcement")
    for _ in range(3):
        assert client.get(f"/v1/records/{rid}", headers=enforcement).status_code == 403
    assert client.get(f"/v1/records/{rid}", headers=team).status_code == 200

    h_team = token(*ANNA, teams=("swt-oost",), municipality="haarlem", activity="wmo-support")
    h_rid = _intake_notes(haarlem, h_team, "swt-oost", BSN_JOOST)
    h_enf = token(*HENK, municipality="haarlem", activity="pw-enforcement")
    for _ in range(2):
        assert haarlem.get(f"/v1/records/{h_rid}", headers=h_enf).status_code == 403


def test_a_comment_only_draft_flips_nothing(client, haarlem, token):
    _history(client, haarlem(), token)
    report = _simulate(client, token, _draft(client, token, _comment_only(), "a comment"))
    assert report["flips"] == 0
    assert report["groups"] == []
    assert report["drift"]["count"] == 0
    assert report["replayed"] > 0


def test_opening_intake_notes_to_enforcement_flips_exactly_those_attempts(client, haarlem, token):
    h = haarlem()
    _history(client, h, token)
    trail = _records(client)
    ours = client.app.state.services.engines.current.revision
    theirs = h.app.state.services.engines.current.revision
    assert ours != theirs

    def attempts(revision: str) -> int:
        return sum(
            r.policy_revision == revision
            and r.processing_activity == "pw-enforcement"
            and r.category == "intake_notes"
            for r in trail
        )

    assert (attempts(ours), attempts(theirs)) == (3, 2)

    report = _simulate(client, token, _draft(client, token, _leaky(), "enforcement reads notes"))
    assert report["flips"] == attempts(ours) == 3
    assert report["deny_to_allow"] == 3
    [group] = report["groups"]
    assert (group["reason"], group["activity"], group["category"], group["count"]) == (
        "support_data_stays_in_team",
        "pw-enforcement",
        "intake_notes",
        3,
    )
    assert {e["decided_by"] for e in group["examples"]} == {ours}
    example = group["examples"][0]
    assert example["before"]["allow"] is False  # the active version
    assert example["after"]["allow"] is True  # the draft
    assert example["recorded"]["allow"] is False
    assert example["resident"].startswith("p-")
    assert "geheim" not in str(report)
    # Haarlem's inputs are not replayed with Zaanstad's register; the report says so.
    haarlem_inputs = sum(r.policy_revision == theirs and r.policy_input is not None for r in trail)
    assert report["skipped_other_profiles"] == {"haarlem": haarlem_inputs}
    assert report["replayed"] == sum(
        r.policy_revision == ours and r.policy_input is not None for r in trail
    )
    assert report["profile"] == "zaanstad"
    assert report["drift"]["count"] == 0


def test_decisions_of_an_older_version_are_drift_not_flips(
    settings: Settings, clock: FakeClock, token: Token, tmp_path: Path
):
    """The first active version let enforcement read intake notes; a fixed version replaced it.
    A comment-only draft then still flips nothing: the two allowed reads of the old version
    are drift between the record and the active version, reported apart."""
    leaky_dir = tmp_path / "leaky"
    leaky_dir.mkdir()
    for name, source in _leaky().items():
        (leaky_dir / name).write_text(source, encoding="utf-8")
    app = create_app(
        settings.model_copy(
            update={"policy": settings.policy.model_copy(update={"rego_dir": leaky_dir})}
        ),
        clock=clock,
    )
    client = TestClient(app, raise_server_exceptions=False)
    try:
        team = token(*ANNA, teams=("wt-oost",), activity="wmo-support")
        rid = _intake_notes(client, team, "wt-oost", BSN_SANNE)
        enforcement = token(*HENK, activity="pw-enforcement")
        for _ in range(2):
            assert client.get(f"/v1/records/{rid}", headers=enforcement).status_code == 200
        leaky_revision = app.state.services.engines.current.revision

        fixed = _draft(client, token, load_modules(), "keep intake notes in the team")
        assert client.post(f"/v1/policies/{fixed}/test", headers=token(*PO_1)).json()["passed"]
        first = _simulate(client, token, fixed)
        assert first["flips"] == 2  # against the leaky active version
        assert first["allow_to_deny"] == 2
        assert client.post(f"/v1/policies/{fixed}/approve", headers=token(*PO_2)).is_success
        assert client.post(f"/v1/policies/{fixed}/activate", headers=token(*PO_2)).is_success
        assert client.get(f"/v1/records/{rid}", headers=enforcement).status_code == 403

        report = _simulate(client, token, _draft(client, token, _comment_only(), "a comment"))
        assert report["flips"] == 0
        drift = report["drift"]
        assert drift["count"] == 2
        assert drift["allow_to_deny"] == 2
        assert drift["decided_by"] == {leaky_revision: 2}
        [group] = drift["groups"]
        assert (group["reason"], group["activity"], group["category"]) == (
            "support_data_stays_in_team",
            "pw-enforcement",
            "intake_notes",
        )
        assert "not counted as flips" in drift["meaning"]
    finally:
        app.state.services.db.dispose()
        client.close()
