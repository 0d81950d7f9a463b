"""The embedded engine against real OPA 1.9.0 on ../shared/rego-conformance (121 tests).

Every test is evaluated by regopy in a child process (`policy.sandbox`): a test that
segfaults the engine is a CRASH verdict, not a dead test run. Each test must either agree
with OPA (PASS, as OPA 1.9.0 records in opa-1.9.0-results.json) or be listed in
`DIVERGENCES` with the verdict regopy gives and the reason. The table is checked both ways:
a listed divergence that starts agreeing (a regopy upgrade) fails too, so it gets removed.
Nothing is skipped: a missing fixture directory fails under CI=true.

The project's own policies stay out of every construct below (see test_sandbox.py).
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from policy.sandbox import CRASH, ERROR, FAIL, PASS, PolicyCheck, run_tests_isolated

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "rego-conformance"
IN_CI = os.environ.get("CI", "").lower() == "true"

# -- why regopy 1.5.2 diverges (../shared/rego-conformance/README.md) -------------------------
SYNTAX_NEAR_851 = (
    "regopy reports a syntax error near byte 851 of defaults/policy_test.rego on a construct "
    "OPA accepts; one rejected construct rejects the whole module, so every test errs"
)
SOME_KV_IN_COMPREHENSION = (
    "`some k, _ in obj` inside a comprehension is rejected ('Invalid collection'), which "
    "rejects the whole module"
)
EVERY_WITHOUT_BRACES = (
    "`r if every x in xs { … }` (every as the sole body, no braces) is rejected ('Invalid "
    "rule head'), which rejects the whole module"
)
WITH_INPUT_OVER_BUILTINS = (
    "SIGSEGV: querying through `with input as …` when the queried rules use built-ins or "
    "operators beyond == and a plain some…in"
)
WITH_CRASH = "SIGSEGV: `with` replacing input/data over built-ins, or a function (`with f as g`)"
SET_INSERTION_ORDER = "sets are walked in insertion order, not sorted: concat gives 'c,a,b'"
TIME_FORMAT_NANOS = "time.format prints nanoseconds"
RFC3339_Z = "time.parse_rfc3339_ns fails on a trailing `Z` (works with +00:00)"
SPRINTF_D_32BIT = "sprintf('%d') truncates integers >= 2^31 (10^10 prints as 1410065408)"
SPRINTF_S_NUMBER = "sprintf('%s', 42) formats the number differently"

#: "<suite>.<test>": (regopy's verdict, reason). Every other test must PASS as on OPA.
DIVERGENCES: dict[str, tuple[str, str]] = {
    "defaults.test_comprehension_index": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_data_lookup_with_data": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_default_covers_undefined": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_default_function": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_default_not_used_when_defined": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_default_rule_false": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_default_rule_overridden": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_default_value_when_no_else_matches": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_default_with_data": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_else_first_branch": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_else_second_branch": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_function_bodies": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_function_dispatch_by_type": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_function_undefined_for_other_types": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_multi_level_ref_heads": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_partial_object_rule": (ERROR, SYNTAX_NEAR_851),
    "defaults.test_undefined_propagates": (ERROR, SYNTAX_NEAR_851),
    "gateway.test_both_reasons": (ERROR, SOME_KV_IN_COMPREHENSION),
    "gateway.test_consent_decision": (ERROR, SOME_KV_IN_COMPREHENSION),
    "gateway.test_expired_consent_denied": (ERROR, SOME_KV_IN_COMPREHENSION),
    "gateway.test_redaction": (ERROR, SOME_KV_IN_COMPREHENSION),
    "gateway.test_role_grant_decision": (ERROR, SOME_KV_IN_COMPREHENSION),
    "iteration.test_every_all": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_every_empty_is_vacuously_true": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_every_false_with_default": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_every_input_empty": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_every_input_false": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_every_input_true": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_every_key_value": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_in_array": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_in_set_false": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_iterate_set": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_key_value_membership": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_key_value_membership_wrong_value": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_nested_some": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_not_in": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_some_index": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_some_key_value_pairs": (ERROR, EVERY_WITHOUT_BRACES),
    "iteration.test_some_object_values": (ERROR, EVERY_WITHOUT_BRACES),
    "objects.test_json_marshal_sorted_keys": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_json_unmarshal": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_keys_sorted": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_object_filter": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_object_get_false_not_replaced_by_default": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_object_get_flat": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_object_get_flat_default": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_object_get_input": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_object_get_input_default": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_object_get_nested_default": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_object_get_nested_path": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_object_keys": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_object_remove": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_object_union_deep_merge": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_object_union_n": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_ref_missing_not": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_ref_present": (ERROR, SOME_KV_IN_COMPREHENSION),
    "objects.test_walk": (ERROR, SOME_KV_IN_COMPREHENSION),
    "sets.test_array_comprehension": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_difference": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_empty_set": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_intersection": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_intersection_builtin": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_mixed_set_int_float_equal": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_nested_comprehension": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_object_comprehension": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_partial_set_rule": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_set_comprehension_dedup": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_set_of_arrays_dedup": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_sort_set": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_subset": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_union": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_union_builtin": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_violations_all": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "sets.test_violations_none": (CRASH, WITH_INPUT_OVER_BUILTINS),
    "timefmt.test_concat_set_sorted": (FAIL, SET_INSERTION_ORDER),
    "timefmt.test_format": (FAIL, TIME_FORMAT_NANOS),
    "timefmt.test_parse_rfc3339_z_suffix": (FAIL, RFC3339_Z),
    "timefmt.test_same_instant": (FAIL, RFC3339_Z),
    "timefmt.test_sprintf_big_int": (FAIL, SPRINTF_D_32BIT),
    "timefmt.test_sprintf_s_with_number": (FAIL, SPRINTF_S_NUMBER),
    "withmock.test_function_bodies_not_privileged": (CRASH, WITH_CRASH),
    "withmock.test_function_bodies_privileged": (CRASH, WITH_CRASH),
    "withmock.test_with_builtin_replaced_by_rule_value": (CRASH, WITH_CRASH),
    "withmock.test_with_builtin_value_in_hours": (CRASH, WITH_CRASH),
    "withmock.test_with_builtin_value_out_of_hours": (CRASH, WITH_CRASH),
    "withmock.test_with_data_count": (CRASH, WITH_CRASH),
    "withmock.test_with_data_empty_denies": (CRASH, WITH_CRASH),
    "withmock.test_with_default_false": (CRASH, WITH_CRASH),
    "withmock.test_with_function_replaced_by_function": (CRASH, WITH_CRASH),
    "withmock.test_with_function_replaced_by_value": (CRASH, WITH_CRASH),
    "withmock.test_with_input": (CRASH, WITH_CRASH),
    "withmock.test_with_input_and_data": (CRASH, WITH_CRASH),
    "withmock.test_with_input_subpath": (CRASH, WITH_CRASH),
}


def _suites() -> list[str]:
    return sorted(p.name for p in SHARED.iterdir() if (p / "policy_test.rego").is_file())


@pytest.fixture(scope="module")
def opa_verdicts() -> dict[str, str]:
    if not SHARED.is_dir():
        if IN_CI:
            pytest.fail(f"{SHARED} is required under CI=true (the shared checkout beside this one)")
        pytest.skip(f"{SHARED} not found; CI=true makes this a failure")
    raw: dict[str, str] = json.loads((SHARED / "opa-1.9.0-results.json").read_text())
    return {k.removeprefix("data.conf.").replace("_test.", ".", 1): v for k, v in raw.items()}


@pytest.fixture(scope="module")
def regopy_verdicts(opa_verdicts: dict[str, str]) -> dict[str, str]:
    """Every suite in child processes, suites in parallel (one thread waits per suite)."""

    def run(suite: str) -> tuple[str, PolicyCheck]:
        modules = {
            f"{suite}/{f.name}": f.read_text() for f in sorted((SHARED / suite).glob("*.rego"))
        }
        tests = sorted(
            f"data.conf.{suite}_test.{k.split('.', 1)[1]}"
            for k in opa_verdicts
            if k.startswith(f"{suite}.")
        )
        return suite, run_tests_isolated(modules, {}, tests, timeout=30)

    verdicts: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        for suite, check in pool.map(run, _suites()):
            for test, verdict in check.verdicts.items():
                verdicts[f"{suite}.{test.rsplit('.', 1)[1]}"] = verdict
    return verdicts


def test_the_fixtures_are_the_121_recorded_by_opa(opa_verdicts: dict[str, str]) -> None:
    assert len(opa_verdicts) == 121
    assert set(opa_verdicts.values()) == {PASS}
    assert set(DIVERGENCES) <= set(opa_verdicts), "a divergence names a test that is gone"


def test_every_test_agrees_with_opa_or_is_a_stated_divergence(
    opa_verdicts: dict[str, str], regopy_verdicts: dict[str, str]
) -> None:
    assert set(regopy_verdicts) == set(opa_verdicts), "every test was evaluated"
    unexpected = {
        test: (got, DIVERGENCES.get(test, (opa_verdicts[test], ""))[0])
        for test, got in regopy_verdicts.items()
        if got != DIVERGENCES.get(test, (opa_verdicts[test], ""))[0]
    }
    # (got, expected): a new divergence, or a listed one that now agrees (remove it).
    assert unexpected == {}


def test_the_divergence_table_is_what_the_readme_measured() -> None:
    verdicts = [v for v, _ in DIVERGENCES.values()]
    assert len(DIVERGENCES) == 121 - 28
    assert verdicts.count(CRASH) == 30
    assert verdicts.count(FAIL) == 6
    assert verdicts.count(ERROR) == 57
