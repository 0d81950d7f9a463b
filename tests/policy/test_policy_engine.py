"""The embedded engine fails closed, and the public surface and contract stay as pinned."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import policy
from policy import (
    Context,
    DecisionInput,
    EmbeddedEngine,
    EngineKind,
    ExceptionFact,
    InvalidDecision,
    PolicyCompileError,
    PolicyEngine,
    Resource,
    Subject,
    build_engine,
    load_modules,
    parse_decision,
    revision,
)

HEAD = "package doelbinding.authz\n\nimport rego.v1\n\n"
DATA: dict[str, Any] = {"profile": "test"}


def _input(**overrides: Any) -> DecisionInput:
    base: dict[str, Any] = {
        "subject": Subject(
            id="u-1",
            roles=("team_generalist",),
            organisation="gemeente-zaanstad",
            teams=("wt-oost",),
            municipality="zaanstad",
        ),
        "action": "read",
        "processing_activity": "wmo-support",
        "resource": Resource(
            type="record",
            id="r-1",
            category="intake_notes",
            team="wt-oost",
            municipality="zaanstad",
            resident="p-1",
        ),
        "context": Context(now_ns=1),
    }
    return DecisionInput(**{**base, **overrides})


def _engine(body: str) -> EmbeddedEngine:
    return EmbeddedEngine({"authz.rego": HEAD + body}, DATA)


def test_a_module_that_does_not_parse_names_file_and_line() -> None:
    with pytest.raises(PolicyCompileError) as info:
        _engine('decision := {\n\t"allow": ]\n}\n')
    assert info.value.file == "authz.rego"
    assert info.value.line == 6


def test_no_modules_is_a_compile_error() -> None:
    with pytest.raises(PolicyCompileError):
        EmbeddedEngine({}, DATA)


@pytest.mark.parametrize(
    "body",
    [
        'decision := {"allow": true}\n',
        'decision := {"allow": "yes", "reasons": [{"code": "a", "message": "b"}], "basis": null}\n',
        'decision := {"allow": 1, "reasons": [{"code": "a", "message": "b"}], "basis": null}\n',
        'decision := {"allow": true, "reasons": [{"code": "a", "message": "b"}], "basis": null}\n',
        'decision := {"allow": false, "reasons": [], "basis": null}\n',
        'decision := {"allow": true, "reasons": [{"code": "a", "message": "b"}],'
        ' "basis": {"type": "friendship", "ref": "x"}}\n',
        'decision := {"allow": false, "reasons": [{"code": "a", "message": "b"}], "basis": null,'
        ' "extra": 1}\n',
        "decision := true\n",
        "decision := [1, 2]\n",
    ],
    ids=[
        "missing-keys",
        "string-allow",
        "int-allow",
        "allow-without-basis",
        "no-reasons",
        "unknown-basis-type",
        "extra-key",
        "bare-true",
        "array",
    ],
)
def test_a_malformed_decision_is_refused(body: str) -> None:
    with pytest.raises(InvalidDecision):
        _engine(body).decide(_input())


def test_an_undefined_decision_is_refused() -> None:
    with pytest.raises(InvalidDecision, match="undefined"):
        _engine('decision := {"allow": true} if input.action == "never"\n').decide(_input())


def test_a_runtime_error_is_refused() -> None:
    # Division by zero makes the rule undefined in rego-cpp; either way: no decision.
    with pytest.raises(policy.PolicyError):
        _engine("decision := 1 / count(input.consents)\n").decide(_input())


def test_a_well_formed_decision_is_parsed() -> None:
    decision = _engine(
        'decision := {"allow": true, "reasons": [{"code": "ok", "message": "m"}],'
        ' "basis": {"type": "role", "ref": "Wmo"}, "redact": [], "obligations": []}\n'
    ).decide(_input())
    assert decision.allow
    assert decision.reason_codes == ["ok"]


def test_revision_changes_with_modules_and_data_only() -> None:
    modules = load_modules()
    r1 = revision(modules, DATA)
    assert r1 == revision(dict(reversed(list(modules.items()))), dict(DATA))
    assert r1.startswith("sha256:")
    assert len(r1) == len("sha256:") + 12
    assert revision(modules, {"profile": "other"}) != r1
    assert revision({k: v + "\n" for k, v in modules.items()}, DATA) != r1


def test_build_engine_makes_an_embedded_engine(zaanstad: EmbeddedEngine) -> None:
    engine = build_engine(EngineKind.EMBEDDED, load_modules(), {"profile": "x"})
    assert isinstance(engine, PolicyEngine)
    assert engine.revision == revision(load_modules(), {"profile": "x"})


def test_build_engine_needs_an_opa_url_for_opa() -> None:
    # The OPA adapter itself is tested in test_engine_contract.py.
    with pytest.raises(ValueError, match="needs opa_url"):
        build_engine("opa", load_modules(), DATA)


def test_decisions_from_many_threads_do_not_mix(zaanstad: EmbeddedEngine) -> None:
    allow = _input()
    deny = _input(
        subject=allow.subject.model_copy(update={"roles": ("enforcement_officer",)}),
        processing_activity="pw-enforcement",
    )
    errors: list[str] = []

    def work(inp: DecisionInput, expected: bool) -> None:
        for _ in range(200):
            if zaanstad.decide(inp).allow is not expected:
                errors.append("mixed")

    threads = [
        threading.Thread(target=work, args=(i, e)) for i, e in [(allow, True), (deny, False)] * 3
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_parse_decision_refuses_non_objects() -> None:
    with pytest.raises(InvalidDecision):
        parse_decision("allow")


def test_public_api_is_pinned() -> None:
    assert sorted(policy.__all__) == sorted(
        [
            "DECISION_QUERY",
            "DEFAULT_CASES_DIR",
            "DEFAULT_REGO_DIR",
            "Basis",
            "BasisType",
            "Case",
            "CaseResult",
            "ConsentFact",
            "Context",
            "Coverage",
            "Decision",
            "DecisionInput",
            "EmbeddedEngine",
            "EngineKind",
            "ExceptionFact",
            "InvalidDecision",
            "PolicyCompileError",
            "PolicyEngine",
            "PolicyError",
            "PolicyUnavailable",
            "Reason",
            "Resource",
            "Subject",
            "TableError",
            "build_engine",
            "case_to_input",
            "coverage",
            "coverage_report",
            "export_opa_tests",
            "load_cases",
            "load_modules",
            "parse_decision",
            "reason_catalogue",
            "reason_codes_of",
            "report",
            "revision",
            "run_cases",
            "summary",
        ]
    )


def test_input_contract_is_pinned() -> None:
    doc = _input().to_policy_input()
    assert set(doc) == {
        "subject",
        "action",
        "processing_activity",
        "resource",
        "consents",
        "exceptions",
        "context",
    }
    assert set(doc["subject"]) == {"id", "roles", "organisation", "teams", "municipality"}
    assert set(doc["resource"]) == {"type", "id", "category", "team", "municipality", "resident"}
    assert set(doc["context"]) == {"now_ns", "break_glass", "request_id", "traceparent"}
    assert doc["exceptions"] == []
    fact = ExceptionFact(
        id="x-1",
        subject="u-1",
        categories=("support_plan",),
        processing_activities=("wmo-support",),
        valid_from_ns=1,
        valid_until_ns=2,
    )
    assert set(_input(exceptions=(fact,)).to_policy_input()["exceptions"][0]) == {
        "id",
        "subject",
        "categories",
        "processing_activities",
        "valid_from_ns",
        "valid_until_ns",
    }


def test_output_contract_is_pinned(zaanstad: EmbeddedEngine) -> None:
    raw = zaanstad.evaluate(_input().to_policy_input())
    assert isinstance(raw, dict)
    assert set(raw) == {"allow", "reasons", "basis", "redact", "obligations"}
    assert raw["basis"] == {"type": "role", "ref": "Wmo 2015 art. 5.1.1"}
    # `message` is English; `message_nl` (Dutch, added backward-compatibly: optional in
    # `Reason`, so a decision without it still parses) is for residents and Dutch UIs.
    assert [set(r) for r in raw["reasons"]] == [{"code", "message", "message_nl"}]
