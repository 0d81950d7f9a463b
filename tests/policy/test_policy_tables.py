"""Every decision-table case through the real embedded engine: one test id per case."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gateway.cli import app as cli
from policy import (
    Case,
    PolicyEngine,
    case_to_input,
    coverage,
    coverage_report,
    load_cases,
    load_modules,
    reason_catalogue,
    reason_codes_of,
    report,
    run_cases,
    summary,
)
from policy.tables import RESIDENT, TableError, load_table, reasons_written
from registry import available_profiles, load_register

CASES = load_cases()
EngineFor = Callable[[str], PolicyEngine]
DataFor = Callable[[str], Mapping[str, Any]]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.file}::{c.name}" for c in CASES])
def test_case(case: Case, engine_for_profile: EngineFor, data_for_profile: DataFor) -> None:
    [result] = run_cases([case], engine_for_profile, data_for_profile)
    assert result.passed, "\n".join(result.diff) or result.error


def _codes_of_the_policy() -> set[str]:
    return reason_codes_of(load_modules())


def test_tables_cover_every_reason_code_of_the_policy() -> None:
    # Every code the policy can give appears in at least one table, allow and deny alike.
    covered = {code for c in CASES for code in c.expect.reasons}
    assert _codes_of_the_policy() - covered == set()
    assert covered - _codes_of_the_policy() == set()


def test_every_code_has_one_english_and_one_dutch_text_wherever_it_is_written() -> None:
    # Each branch spells out its reason's texts (cheaper on rego-cpp than a constant, a
    # function or a table), so check what one constant per text would have guaranteed: a
    # code written in several branches, or in the default decision, has the same English and
    # the same Dutch text everywhere.
    source = (Path(__file__).parents[2] / "policy" / "rego" / "authz.rego").read_text()
    written = reasons_written({"authz.rego": source})
    texts: dict[str, set[tuple[str, str]]] = {}
    for code, en, nl in written:
        texts.setdefault(code, set()).add((en, nl))
    assert {code for code, ts in texts.items() if len(ts) > 1} == set()
    assert all(len(t) > 10 for ts in texts.values() for pair in ts for t in pair)
    # Every call of deny/allow… names its code and both texts as literals: none is missed.
    # (The definitions `deny(code, …)` are not calls; the default decision writes an object.)
    calls = re.findall(r"\b(?:deny|allow\w*)\((?!code, )", source)
    assert len(calls) == len(written) - 1
    # The default decision's reason is one of them (its code is also written in a branch).
    default = re.search(r'default decision := \{.*?"code": "([a-z_]+)"', source, re.S)
    assert default is not None
    assert sum(code == default[1] for code, _, _ in written) > 1


def test_the_demo_steps_are_in_the_tables() -> None:
    names = {c.name for c in CASES}
    assert {
        "team generalist reads intake notes of own team",
        "enforcement officer reads intake notes",
        "client manager reads health without consent",
        "client manager reads health with consent",
        "resident reads own intake notes",
        "resident reads another resident's record",
    } <= names


def test_a_wrong_expectation_fails_with_a_diff(
    engine_for_profile: EngineFor, data_for_profile: DataFor
) -> None:
    case = next(c for c in CASES if c.name == "enforcement officer reads intake notes")
    wrong = case.model_copy(update={"expect": case.expect.model_copy(update={"allow": True})})
    [result] = run_cases([wrong], engine_for_profile, data_for_profile)
    assert not result.passed
    assert result.diff == ("allow: expected True, got False",)
    assert "FAIL" in summary([result])
    assert summary([result]).endswith("0 of 1 decision-table cases pass")


def test_case_to_input_builds_the_gateway_input(data_for_profile: DataFor) -> None:
    case = next(c for c in CASES if c.name == "client manager reads health with consent")
    inp = case_to_input(case, data_for_profile("zaanstad"))
    doc = inp.to_policy_input()
    assert doc["subject"]["roles"] == ["wi_client_manager"]
    assert doc["resource"]["resident"] == RESIDENT
    assert doc["subject"]["id"] != RESIDENT
    [consent] = doc["consents"]
    assert consent["id"] == "c-health"
    assert consent["valid_until_ns"] == doc["context"]["now_ns"] + 30 * 86400 * 10**9


def test_own_cases_use_the_resident_pseudonym_as_subject(data_for_profile: DataFor) -> None:
    case = next(c for c in CASES if c.name == "resident reads own intake notes")
    doc = case_to_input(case, data_for_profile("zaanstad")).to_policy_input()
    assert doc["subject"]["id"] == doc["resource"]["resident"] == RESIDENT


def test_a_typo_in_a_table_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "bad.yaml"
    table.write_text(
        "cases:\n  - name: x\n    request: {role: team_generalist, activty: wmo-support}\n"
        "    expect: {allow: false, reasons: [no_mandate]}\n"
    )
    with pytest.raises(TableError, match=r"bad\.yaml: case 1"):
        load_table(table)


# --- coverage: the acceptance of issue 3 ------------------------------------------------------


def test_every_reason_code_basis_type_legal_basis_and_profile_is_reached(
    engine_for_profile: EngineFor, data_for_profile: DataFor
) -> None:
    results = run_cases(CASES, engine_for_profile, data_for_profile)
    assert all(r.passed for r in results)
    legal_bases: dict[str, str] = {}
    for profile in available_profiles():
        legal_bases |= load_register(profile).legal_bases()
    cov = coverage(
        results,
        reason_codes=reason_codes_of(load_modules()),
        legal_bases=legal_bases,
        profiles=available_profiles(),
    )
    assert cov.reason_codes == ()
    assert cov.legal_bases == ()
    assert cov.profiles == ()
    assert cov.basis_types == ()
    assert cov.complete
    assert "all reached" in coverage_report(cov)


def test_coverage_names_what_a_smaller_table_misses(
    engine_for_profile: EngineFor, data_for_profile: DataFor
) -> None:
    few = [c for c in CASES if c.file == "02_participation.yaml"]
    results = run_cases(few, engine_for_profile, data_for_profile)
    cov = coverage(
        results,
        reason_codes=reason_codes_of(load_modules()),
        legal_bases=load_register("zaanstad").legal_bases(),
        profiles=available_profiles(),
    )
    assert "consent_given" in cov.reason_codes
    assert "consent" in cov.basis_types
    assert "activity:own-access" in cov.legal_bases
    assert "haarlem" in cov.profiles
    assert not cov.complete
    assert "PASS 02_participation.yaml" in report(results)


def test_cli_policy_test_prints_each_case_and_the_coverage(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["policy", "test"])
    assert result.exit_code == 0, result.output
    assert f"{len(CASES)} of {len(CASES)} decision-table cases pass" in result.output
    assert "PASS 01_support.yaml: team generalist reads intake notes of own team" in result.output
    assert "basis types: all reached" in result.output
    # A failing table: non-zero, and the failure is named.
    (tmp_path / "bad.yaml").write_text(
        "cases:\n  - name: enforcement reads intake notes (wrong)\n"
        "    request: {role: enforcement_officer, activity: pw-enforcement, "
        "category: intake_notes, record_team: wt-oost}\n"
        "    expect: {allow: true, basis: law, reasons: [legal_flow]}\n"
    )
    result = CliRunner().invoke(cli, ["policy", "test", str(tmp_path)])
    assert result.exit_code == 1
    assert "FAIL bad.yaml: enforcement reads intake notes (wrong)" in result.output


def test_cli_policy_eval_prints_the_decision(tmp_path: Path, data_for_profile: DataFor) -> None:
    case = next(c for c in CASES if c.name == "enforcement officer reads income by law")
    doc = case_to_input(case, data_for_profile("zaanstad")).to_policy_input()
    path = tmp_path / "input.json"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(
        cli, ["policy", "eval", "--profile", "zaanstad", "--input", str(path)]
    )
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["allow"] is True
    assert decision["basis"] == {"type": "law", "ref": "Participatiewet art. 53a lid 6, 54, 65"}
    assert decision["reasons"][0]["code"] == "legal_flow"
    assert decision["reasons"][0]["message_nl"]
    path.write_text('{"subject": {}}')
    result = CliRunner().invoke(
        cli, ["policy", "eval", "--profile", "zaanstad", "--input", str(path)]
    )
    assert result.exit_code == 2


def test_the_decision_table_in_docs_policy_md_matches_the_engine(
    engine_for_profile: EngineFor, data_for_profile: DataFor
) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "policy.md").read_text(encoding="utf-8")
    section = doc.split("## The decision table", 1)[1].split("\n## ", 1)[0]
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| profile")
    ]
    assert len(rows) >= 30
    by_name = {c.name: c for c in CASES}
    for profile, _role, activity, _cat, _consent, verdict, basis, reason, name in rows:
        case = by_name[name]
        [result] = run_cases([case], engine_for_profile, data_for_profile)
        got = result.got
        assert got is not None
        assert (case.profile, case.request.activity) == (profile, activity), name
        assert verdict == ("**allow**" if got.allow else "deny"), name
        assert reason == f"`{got.reason_codes[0]}`", name
        shown = "\u2013" if got.basis is None else f"{got.basis.type.value} ({got.basis.ref})"
        assert basis.split(" + ")[0] == shown, name


# --- the reason-code catalogue (GET /v1/registry) ---------------------------------------------


def test_every_code_the_policy_can_emit_is_in_the_catalogue(
    engine_for_profile: EngineFor, data_for_profile: DataFor
) -> None:
    catalogue = reason_catalogue(load_modules())
    source = "\n".join(load_modules().values())
    # Every code written in a branch or the default decision ...
    written = set(re.findall(r'(?:deny|allow\w*)\("([a-z_]+)"', source))
    written |= set(re.findall(r'"code": "([a-z_]+)"', source))
    # ... and every code an engine actually gave on the tables.
    given = {
        code
        for r in run_cases(CASES, engine_for_profile, data_for_profile)
        if r.got
        for code in r.got.reason_codes
    }
    assert written | given <= set(catalogue)
    assert set(catalogue) == reason_codes_of(load_modules())
    for code, texts in catalogue.items():
        assert set(texts) == {"message", "message_nl"}, code
        assert all(len(t) > 10 for t in texts.values()), code
    # The texts are the decision's own, character for character.
    for r in run_cases(CASES[:20], engine_for_profile, data_for_profile):
        assert r.got is not None
        [reason] = r.got.reasons
        assert catalogue[reason.code] == {
            "message": reason.message,
            "message_nl": reason.message_nl,
        }
