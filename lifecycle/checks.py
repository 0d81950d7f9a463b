"""Test and simulate a version in a child process: an untried policy never runs in the gateway.

    test      compile the modules over every profile's register, run every decision-table
              case (policy/cases), report each case, compile errors with file and line, and
              the coverage summary
    simulate  decide the stored, pseudonymised policy inputs of audited decisions again under
              the version, and return each new decision (the caller compares)

Both use `policy.sandbox.stream_in_child`: if rego-cpp takes the child down, the report says
so and the gateway keeps serving.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from policy.sandbox import DEFAULT_TIMEOUT_SECONDS, stream_in_child


def run_tests(
    modules: Mapping[str, str],
    data: Mapping[str, Any],
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> dict[str, Any]:
    """The test report of a version (JSON-ready); `passed` is true only if every case passed."""
    messages, crash = stream_in_child(_test_in_child, (dict(modules), dict(data)), timeout)
    for msg in messages:
        if msg[0] == "report":
            report: dict[str, Any] = msg[1]
            return report
        if msg[0] == "compile_error":
            _, profile, detail, file, line = msg
            return {
                "passed": False,
                "compile_errors": [
                    {"profile": profile, "message": detail, "file": file, "line": line}
                ],
                "cases": [],
                "summary": {"total": 0, "passed": 0, "failed": 0},
                "coverage": None,
            }
    died = crash.signal_name if crash else "no report"
    return {
        "passed": False,
        "compile_errors": [{"profile": None, "message": f"the engine died ({died})"}],
        "cases": [],
        "summary": {"total": 0, "passed": 0, "failed": 0},
        "coverage": None,
    }


def _test_in_child(
    send: Callable[[Any], None], modules: dict[str, str], data: dict[str, Any]
) -> None:
    from lifecycle.content import register_for
    from policy import (  # imported only in the child process
        EmbeddedEngine,
        PolicyCompileError,
        coverage,
        load_cases,
        reason_codes_of,
        run_cases,
    )

    profiles = sorted(data["profiles"])
    engines: dict[str, EmbeddedEngine] = {}
    for profile in profiles:
        try:
            engines[profile] = EmbeddedEngine(modules, register_for(data, profile).policy_data())
        except PolicyCompileError as exc:
            send(("compile_error", profile, exc.detail, exc.file, exc.line))
            return

    @cache
    def data_for(profile: str) -> Mapping[str, Any]:
        return register_for(data, profile).policy_data()

    cases = [c for c in load_cases() if c.profile in engines]
    results = run_cases(cases, engines.__getitem__, data_for)
    legal_bases: dict[str, str] = {}
    for profile in profiles:
        legal_bases |= register_for(data, profile).legal_bases()
    cov = coverage(
        results, reason_codes=reason_codes_of(modules), legal_bases=legal_bases, profiles=profiles
    )
    passed = sum(r.passed for r in results)
    send(
        (
            "report",
            {
                "passed": passed == len(results) and bool(results),
                "compile_errors": [],
                "cases": [
                    {
                        "name": r.case.name,
                        "file": r.case.file,
                        "profile": r.case.profile,
                        "passed": r.passed,
                        "diff": list(r.diff),
                        "error": r.error,
                    }
                    for r in results
                ],
                "summary": {
                    "total": len(results),
                    "passed": passed,
                    "failed": len(results) - passed,
                },
                "coverage": {
                    "complete": cov.complete,
                    "reason_codes": list(cov.reason_codes),
                    "basis_types": list(cov.basis_types),
                    "legal_bases": list(cov.legal_bases),
                    "profiles": list(cov.profiles),
                },
            },
        )
    )


def replay(
    modules: Mapping[str, str],
    data: Mapping[str, Any],
    profile: str,
    inputs: Sequence[dict[str, Any]],
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> tuple[list[dict[str, Any] | None], str | None]:
    """Each input decided under the version: `{allow, reasons, basis}` or None where the engine
    refused it; and an error (compile error, crash) that stopped the replay, if any."""
    messages, crash = stream_in_child(
        _replay_in_child, (dict(modules), dict(data), profile, list(inputs)), timeout
    )
    for msg in messages:
        if msg[0] == "decisions":
            return msg[1], None
        if msg[0] == "error":
            return [], msg[1]
    return [], f"the engine died ({crash.signal_name if crash else 'no answer'})"


def _replay_in_child(
    send: Callable[[Any], None],
    modules: dict[str, str],
    data: dict[str, Any],
    profile: str,
    inputs: list[dict[str, Any]],
) -> None:
    from pydantic import ValidationError  # imported only in the child process

    from lifecycle.content import register_for
    from policy import DecisionInput, EmbeddedEngine, PolicyError

    try:
        engine = EmbeddedEngine(modules, register_for(data, profile).policy_data())
    except PolicyError as exc:
        send(("error", f"does not compile: {exc}"))
        return
    out: list[dict[str, Any] | None] = []
    for document in inputs:
        try:
            d = engine.decide(DecisionInput.model_validate(document))
        except (PolicyError, ValidationError):
            out.append(None)
            continue
        out.append(
            {
                "allow": d.allow,
                "reasons": list(d.reason_codes),
                "basis": d.basis.type.value if d.basis else None,
            }
        )
    send(("decisions", out))
