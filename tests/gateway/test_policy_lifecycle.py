"""Issue 6 acceptance: versions, tests, simulation, four-eyes activation, hot swap, rollback.

Every test runs on SQLite and PostgreSQL (the `database_url` fixture)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from audit import AuditRecord
from policy import load_modules

from .conftest import BSN_SANNE

ANNA = ("u-anna", "team_generalist")
HENK = ("u-henk", "enforcement_officer")
PO_1 = ("u-po-1", "privacy_officer")
PO_2 = ("u-po-2", "privacy_officer")

#: The branch of authz.rego that keeps support data from enforcement; the leaky draft allows
#: where it denied.
STAYS = (
    "else := deny(\n"
    '\t"support_data_stays_in_team",\n'
    '\t"Support data stays in the team; no legal basis lets it flow to this activity.",\n'
    '\t"Wat u het wijkteam vertelt, blijft in het wijkteam."\n'
    ") if {"
)
LEAK = (
    "else := allow(\n"
    '\t"activity_legal_basis",\n'
    '\t"The processing activity\'s own legal basis covers this category.",\n'
    '\t"De wettelijke grondslag van deze verwerking dekt deze gegevens.",\n'
    '\t"law",\n'
    "\tact_article\n"
    ") if {"
)


def _audit(client) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:
        return list(s.scalars(select(AuditRecord).order_by(col(AuditRecord.seq))))


def _intake_record(client, token) -> str:
    resp = client.post(
        "/v1/records",
        json={"resident": BSN_SANNE, "category": "intake_notes", "team": "wt-oost", "content": "x"},
        headers=token(*ANNA, teams=("wt-oost",), activity="wmo-support"),
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def _read(client, token, rid: str, who=HENK, teams=(), activity="pw-enforcement"):
    return client.get(f"/v1/records/{rid}", headers=token(*who, teams=teams, activity=activity))


def _draft(client, token, modules, message, who=PO_1) -> dict[str, Any]:
    resp = client.post(
        "/v1/policies", json={"message": message, "modules": modules}, headers=token(*who)
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def _harmless() -> dict[str, str]:
    modules = load_modules()
    modules["authz.rego"] += "\n# Harmless: a comment that changes the revision only.\n"
    return modules


def _ready(client, token, rev: str) -> None:
    """Test and simulate (by the author), approve (by the second officer)."""
    test = client.post(f"/v1/policies/{rev}/test", headers=token(*PO_1))
    assert test.status_code == 200, test.text
    assert test.json()["passed"]
    sim = client.post(f"/v1/policies/{rev}/simulate", headers=token(*PO_1))
    assert sim.status_code == 200, sim.text
    assert sim.json()["flips"] == 0
    ok = client.post(f"/v1/policies/{rev}/approve", headers=token(*PO_2))
    assert ok.status_code == 200, ok.text
    assert ok.json()["state"] == "approved"


def test_the_shipped_policy_is_the_first_active_version(client, token):
    versions = client.get("/v1/policies", headers=token(*PO_1)).json()
    assert [v["state"] for v in versions] == ["active"]
    assert versions[0]["author"] == "system"
    assert versions[0]["decision_revision"] == client.app.state.services.engines.current.revision
    one = client.get(f"/v1/policies/{versions[0]['revision']}", headers=token(*PO_1)).json()
    assert one["modules"] == load_modules()
    assert set(one["data"]["profiles"]) >= {"zaanstad", "haarlem"}


def test_only_privacy_officers_manage_policy(client, token):
    assert client.get("/v1/policies", headers=token(*ANNA)).status_code == 403
    assert client.get("/v1/policies").status_code == 401


def test_a_leaky_draft_fails_its_tables_shows_its_flips_and_is_refused(client, token):
    rid = _intake_record(client, token)
    for _ in range(3):
        # support_data_stays_in_team; no relationship with her, so as if missing
        assert _read(client, token, rid).status_code == 404
    assert _read(client, token, rid, ANNA, ("wt-oost",), "wmo-support").status_code == 200
    modules = load_modules()
    assert STAYS in modules["authz.rego"]
    modules["authz.rego"] = modules["authz.rego"].replace(STAYS, LEAK)
    draft = _draft(client, token, modules, "enforcement may read intake notes")
    rev = draft["revision"]
    assert draft["state"] == "draft"

    diff = client.get(f"/v1/policies/{rev}/diff", headers=token(*PO_2)).json()
    assert [m["module"] for m in diff["modules"]] == ["authz.rego"]
    assert "+" in diff["modules"][0]["diff"]
    assert diff["data"] == []

    test = client.post(f"/v1/policies/{rev}/test", headers=token(*PO_1)).json()
    assert test["passed"] is False
    assert test["compile_errors"] == []
    failed = [c for c in test["cases"] if not c["passed"]]
    assert failed
    assert test["summary"]["failed"] == len(failed)
    assert any("support_data_stays_in_team" in " ".join(c["diff"]) for c in failed)
    assert "support_data_stays_in_team" in test["coverage"]["reason_codes"]

    sim = client.post(f"/v1/policies/{rev}/simulate?last=50", headers=token(*PO_1)).json()
    assert sim["flips"] == 3
    assert sim["deny_to_allow"] == 3
    assert sim["allow_to_deny"] == 0
    [group] = sim["groups"]
    assert (group["reason"], group["activity"], group["category"], group["count"]) == (
        "support_data_stays_in_team",
        "pw-enforcement",
        "intake_notes",
        3,
    )
    example = group["examples"][0]
    assert example["resident"] != BSN_SANNE
    assert example["resident"].startswith("p-")
    assert "content" not in str(sim)
    assert "geheim" not in str(sim)

    refused = client.post(f"/v1/policies/{rev}/approve", headers=token(*PO_2))
    assert refused.status_code == 409
    assert refused.json()["code"] == "lifecycle"
    assert "decision tables fail" in refused.json()["detail"]
    refused = client.post(f"/v1/policies/{rev}/activate", headers=token(*PO_2))
    assert refused.status_code == 409
    assert "decision tables fail" in refused.json()["detail"]
    assert _read(client, token, rid).status_code == 404  # still the shipped policy
    events = [r.event_type for r in _audit(client) if r.event_type.startswith("policy.")]
    assert events == ["policy.drafted", "policy.tested", "policy.simulated"]


def test_a_compile_error_names_file_and_line(client, token):
    modules = load_modules()
    modules["broken.rego"] = "package doelbinding.extra\n\nimport rego.v1\n\nx := {\n"
    rev = _draft(client, token, modules, "broken")["revision"]
    test = client.post(f"/v1/policies/{rev}/test", headers=token(*PO_1)).json()
    assert test["passed"] is False
    errors = {e["engine"]: e for e in test["compile_errors"]}
    assert set(errors) == {"regopy", "opa"}  # both engines refuse it, each says where
    for error in errors.values():
        assert error["file"] == "broken.rego"
        assert isinstance(error["line"], int)


def test_a_harmless_change_activated_by_two_officers_decides_the_next_requests(client, token):
    rid = _intake_record(client, token)
    old = client.app.state.services.engines.current.revision
    rev = _draft(client, token, _harmless(), "a comment")["revision"]
    test = client.post(f"/v1/policies/{rev}/test", headers=token(*PO_1))
    assert test.json()["passed"], test.text
    early = client.post(f"/v1/policies/{rev}/activate", headers=token(*PO_1))
    assert early.status_code == 409
    assert "simulat" in early.json()["detail"]
    assert client.post(f"/v1/policies/{rev}/simulate", headers=token(*PO_1)).json()["flips"] == 0
    own = client.post(f"/v1/policies/{rev}/approve", headers=token(*PO_1))
    assert own.status_code == 403
    assert own.json()["code"] == "four_eyes"
    assert "second privacy officer" in own.json()["detail"]
    early = client.post(f"/v1/policies/{rev}/activate", headers=token(*PO_1))
    assert early.status_code == 409
    assert "approve" in early.json()["detail"]
    assert client.post(f"/v1/policies/{rev}/approve", headers=token(*PO_2)).status_code == 200
    active = client.post(f"/v1/policies/{rev}/activate", headers=token(*PO_1))
    assert active.status_code == 200, active.text
    assert active.json()["state"] == "active"
    new = active.json()["decision_revision"]
    assert new != old

    assert _read(client, token, rid, ANNA, ("wt-oost",), "wmo-support").status_code == 200
    assert _audit(client)[-1].policy_revision == new  # no restart
    states = {
        v["revision"]: v["state"] for v in client.get("/v1/policies", headers=token(*PO_1)).json()
    }
    assert states[rev] == "active"
    assert sorted(states.values()) == ["active", "retired"]
    events = [r.event_type for r in _audit(client) if r.event_type.startswith("policy.")]
    assert events == [
        "policy.drafted",
        "policy.tested",
        "policy.simulated",
        "policy.approved",
        "policy.activated",
    ]
    log = client.get("/v1/policies/log", headers=token(*PO_2)).json()
    assert log[0]["event"] == "activated"
    assert log[0]["actor"] == "u-po-1"


def test_rollback_needs_two_officers_and_restores_the_earlier_version(client, token):
    rid = _intake_record(client, token)
    shipped = client.get("/v1/policies", headers=token(*PO_1)).json()[0]
    rev = _draft(client, token, _harmless(), "a comment")["revision"]
    _ready(client, token, rev)
    assert client.post(f"/v1/policies/{rev}/activate", headers=token(*PO_1)).status_code == 200
    bad = client.post(f"/v1/policies/{rev}/rollback", json={"reason": "x"}, headers=token(*PO_1))
    assert bad.status_code == 409  # the active version is not a rollback target

    url = f"/v1/policies/{shipped['revision']}/rollback"
    asked = client.post(url, json={"reason": "back to the shipped policy"}, headers=token(*PO_2))
    assert asked.status_code == 202, asked.text
    own = client.post(f"{url}/approve", headers=token(*PO_2))
    assert own.status_code == 403
    assert own.json()["code"] == "four_eyes"
    done = client.post(f"{url}/approve", headers=token(*PO_1))
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "active"
    assert client.app.state.services.engines.current.revision == shipped["decision_revision"]
    assert _read(client, token, rid, ANNA, ("wt-oost",), "wmo-support").status_code == 200
    assert _audit(client)[-1].policy_revision == shipped["decision_revision"]
    events = [r.event_type for r in _audit(client) if r.event_type.startswith("policy.")]
    assert events[-2:] == ["policy.rollback_requested", "policy.rolled_back"]
    again = client.post(f"{url}/approve", headers=token(*PO_1))
    assert again.status_code == 409  # the request was used


def test_the_bundle_follows_the_active_version(client, token):
    before = client.get("/v1/opa/bundle.tar.gz").headers["etag"]
    rev = _draft(client, token, _harmless(), "a comment")["revision"]
    _ready(client, token, rev)
    new = client.post(f"/v1/policies/{rev}/activate", headers=token(*PO_1)).json()
    after = client.get("/v1/opa/bundle.tar.gz")
    assert after.headers["etag"] == f'"{new["decision_revision"]}"' != before
    assert client.get("/v1/opa/bundle.tar.gz", headers={"If-None-Match": before}).status_code == 200


def test_a_swap_installs_the_engine_with_the_register_it_was_built_from(client, token):
    """One reference holds both: the decisions after a swap carry the new version's revision
    and the new register's purpose together, and the routes see that same register."""
    from gateway.policy_watcher import LoadedPolicy, build_for

    services = client.app.state.services
    old = services.engines.active
    activity = old.register.activities["wmo-support"].model_copy(update={"purpose": "care"})
    register = old.register.model_copy(
        update={"activities": {**old.register.activities, "wmo-support": activity}}
    )
    modules = {**load_modules(), "extra.rego": "package doelbinding.extra\n\nx := 1\n"}
    engine = build_for(services.settings, modules, register)
    assert engine.revision != old.engine.revision
    services.install_policy(LoadedPolicy("test", modules, register, engine))
    assert services.engines.active.engine is engine
    assert services.register is register

    rid = _intake_record(client, token)
    assert _read(client, token, rid, ANNA, ("wt-oost",), "wmo-support").status_code == 200
    with Session(services.db) as s:
        last = s.exec(select(AuditRecord).order_by(col(AuditRecord.seq).desc())).first()
    assert last is not None
    assert (last.policy_revision, last.purpose) == (engine.revision, "care")


def test_a_draft_from_a_version_no_longer_active_is_neither_approved_nor_activated(client, token):
    """Officers each draft from the same active version: once one is active, the others would
    undo its changes, so they are refused until drafted again from the active version."""

    def beside(n: int) -> dict[str, str]:
        modules = load_modules()
        modules["authz.rego"] += f"\n# Harmless change {n}, drafted beside the others.\n"
        return modules

    first, second, third = (
        _draft(client, token, beside(n), f"change {n}")["revision"] for n in (1, 2, 3)
    )
    _ready(client, token, first)
    _ready(client, token, second)  # approved while its parent was still active
    assert client.post(f"/v1/policies/{first}/activate", headers=token(*PO_1)).status_code == 200
    late = client.post(f"/v1/policies/{second}/activate", headers=token(*PO_1))
    assert late.status_code == 409, late.text
    assert "draft it again from the active version" in late.json()["detail"]
    for step in ("test", "simulate"):
        assert client.post(f"/v1/policies/{third}/{step}", headers=token(*PO_1)).status_code == 200
    refused = client.post(f"/v1/policies/{third}/approve", headers=token(*PO_2))
    assert refused.status_code == 409, refused.text
    states = {
        v["revision"]: v["state"] for v in client.get("/v1/policies", headers=token(*PO_1)).json()
    }
    assert (states[first], states[second], states[third]) == ("active", "approved", "tested")


def test_a_swap_is_followed_at_once_and_every_memoised_decision_is_audited(client, token):
    """The embedded engine memoises decisions (policy/memo.py). A read repeated is a memo hit
    and still writes its own audit record; after a swap to a version that decides otherwise,
    the very next read gets the new version's decision (its memo starts empty)."""
    from gateway.policy_watcher import LoadedPolicy, build_for

    services = client.app.state.services
    rid = _intake_record(client, token)
    memo = services.engines.current.memo
    assert memo is not None
    before = len(_audit(client))
    for _ in range(3):
        assert _read(client, token, rid, ANNA, ("wt-oost",), "wmo-support").status_code == 200
    assert memo.stats()["hits"] >= 2
    assert len(_audit(client)) == before + 3
    modules = load_modules()
    support = (
        'allow(\n\t"team_member_support",\n'
        '\t"A member of the team that holds the record, acting under a support or signalling'
        ' activity.",\n'
        '\t"Een lid van het wijkteam dat het dossier heeft, voor ondersteuning of signalering.",\n'
        '\t"role",\n\tact_article\n)'
    )
    assert support in modules["authz.rego"]
    modules["authz.rego"] = modules["authz.rego"].replace(
        support, 'deny("other_team", "Another team.", "Een ander team.")'
    )
    register = services.engines.active.register
    engine = build_for(services.settings, modules, register)
    services.install_policy(LoadedPolicy("test", modules, register, engine))
    assert _read(client, token, rid, ANNA, ("wt-oost",), "wmo-support").status_code == 403
    last = _audit(client)[-1]
    assert (last.allowed, last.reason_codes, last.policy_revision) == (
        False,
        ["other_team"],
        engine.revision,
    )
    assert len(_audit(client)) == before + 4


def test_a_draft_on_top_of_a_draft_carries_both_changes_to_activation(client, token):
    """A second change drafted on the first draft (its parent) descends from the active
    version, so it is approved and activated; a draft built on a version that was active
    before and is no longer is refused."""
    old = client.app.state.services.engines.current.revision
    first_modules = _harmless()
    first = _draft(client, token, first_modules, "first change")["revision"]
    both_modules = dict(first_modules)
    both_modules["authz.rego"] += "# A second change, on top of the first.\n"
    resp = client.post(
        "/v1/policies",
        json={"message": "second change", "modules": both_modules, "parent": first},
        headers=token(*PO_1),
    )
    assert resp.status_code == 201, resp.text
    both = resp.json()["revision"]
    _ready(client, token, both)
    active = client.post(f"/v1/policies/{both}/activate", headers=token(*PO_1))
    assert active.status_code == 200, active.text
    assert active.json()["decision_revision"] != old

    # Back to the shipped version: a draft on the version rolled back from is refused.
    shipped = client.get("/v1/policies", headers=token(*PO_1)).json()
    retired = next(v["revision"] for v in shipped if v["state"] == "retired")
    url = f"/v1/policies/{retired}/rollback"
    asked = client.post(url, json={"reason": "back"}, headers=token(*PO_1))
    assert asked.status_code == 202, asked.text
    assert client.post(f"{url}/approve", headers=token(*PO_2)).status_code == 200
    again = both_modules | {"authz.rego": both_modules["authz.rego"] + "# A third.\n"}
    resp = client.post(
        "/v1/policies",
        json={"message": "third change", "modules": again, "parent": both},
        headers=token(*PO_1),
    )
    assert resp.status_code == 201, resp.text
    third = resp.json()["revision"]
    for step in ("test", "simulate"):
        assert client.post(f"/v1/policies/{third}/{step}", headers=token(*PO_1)).status_code == 200
    refused = client.post(f"/v1/policies/{third}/approve", headers=token(*PO_2))
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"].endswith("draft it again from the active version")
