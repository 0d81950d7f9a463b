"""New or edited policies are compiled and tested in a child process: a crash stays there."""

from __future__ import annotations

import re
import signal

import pytest

from policy import PolicyCompileError, load_modules
from policy.sandbox import CRASH, FAIL, PASS, check_policy, stream_in_child
from registry import load_register
from tests.conformance.crash_target import segfault

DATA = load_register("zaanstad").policy_data()

# A test of the shipped policy written the way rego-cpp cannot take: a query through
# `with input as …` over rules that use built-ins segfaults regopy 1.5.2.
CRASHING_TEST = """package doelbinding.authz_test

import rego.v1

import data.doelbinding.authz

test_a_pass if true

test_a_fail if false

test_with_input if {
\tauthz.decision.allow == false with input as {"action": "read", "subject": {"roles": []}}
}
"""


def test_the_shipped_policy_compiles_in_a_child() -> None:
    report = check_policy(load_modules(), DATA)
    assert report.passed
    assert report.verdicts == {}


def test_a_compile_error_comes_back_with_file_and_line() -> None:
    source = 'package doelbinding.authz\n\nimport rego.v1\n\ndecision := {\n\t"allow": ]\n}\n'
    bad = {"authz.rego": source}
    with pytest.raises(PolicyCompileError) as info:
        check_policy(bad, DATA)
    assert info.value.file == "authz.rego"
    assert info.value.line == 6


def test_a_test_that_segfaults_the_engine_is_a_crash_verdict_not_a_dead_process() -> None:
    modules = {**load_modules(), "authz_test.rego": CRASHING_TEST}
    report = check_policy(modules, DATA)
    # rego-cpp compiles every module for every query, so the module with `with` takes all
    # three tests down: each in its own child, each reported, and the run went on.
    assert report.verdicts == {
        "data.doelbinding.authz_test.test_a_pass": CRASH,
        "data.doelbinding.authz_test.test_a_fail": CRASH,
        "data.doelbinding.authz_test.test_with_input": CRASH,
    }
    assert set(report.details.values()) == {"SIGSEGV"}
    assert not report.passed
    # This process is alive and the same check of a sound test module still works.
    sound = CRASHING_TEST.replace('with input as {"action": "read", "subject": {"roles": []}}', "")
    report = check_policy({**load_modules(), "authz_test.rego": sound}, DATA)
    assert report.verdicts == {
        "data.doelbinding.authz_test.test_a_pass": PASS,
        "data.doelbinding.authz_test.test_a_fail": FAIL,
        "data.doelbinding.authz_test.test_with_input": PASS,
    }


def test_a_child_killed_by_a_signal_is_reported() -> None:
    messages, crash = stream_in_child(segfault, ())
    assert messages == ["about to crash"]
    assert crash is not None
    assert crash.exitcode == -signal.SIGSEGV
    assert crash.signal_name == "SIGSEGV"


# What the shipped policies must never use: each diverges between regopy and OPA
# (test_rego_conformance.py states the measured divergences).
DIVERGENT = {
    r"\bwith\b": "`with` crashes regopy",
    r"\bif\s+every\b": "`every` as the sole body without braces is rejected by regopy",
    r"some\s+\w+\s*,\s*_\s+in\b": "`some k, _ in` in a comprehension is rejected by regopy",
    r"parse_rfc3339": "regopy fails on a trailing Z",
    r"\bsprintf\b": "regopy's sprintf differs for %s of numbers and %d >= 2^31",
    r"time\.format": "regopy prints nanoseconds",
    r"net\.cidr_contains": "fails on regopy",
    r"object\.union": "not deep on regopy",
}


@pytest.mark.parametrize("pattern", DIVERGENT, ids=list(DIVERGENT.values()))
def test_the_shipped_policies_use_no_divergent_construct(pattern: str) -> None:
    for name, source in load_modules().items():
        # Code only: no comments, no string literals (messages say "with" in English).
        code = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', source)
        code = "\n".join(line.split("#", 1)[0] for line in code.splitlines())
        assert not re.search(pattern, code), f"{name}: {DIVERGENT[pattern]}"
