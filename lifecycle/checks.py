"""Test and replay a version in child processes: an untried policy never runs in the gateway.

    test    compile the modules over every profile's register and run every decision-table
            case (policy/cases) on BOTH engines, each in its own child: regopy (what the
            gateway embeds) and real OPA's Go engine (what OPA sidecars run from the bundle).
            A case passes only if both decide what the table expects and decide it alike
            (the whole decision document). A module one engine refuses, an engine that is
            missing or crashed: the version fails its test and cannot be approved.
    replay  decide stored, pseudonymised policy inputs under the ACTIVE version and the
            DRAFT, both in one child; the caller compares (lifecycle.impact)

Both use `policy.sandbox.stream_in_child`: if an engine takes the child down, the report says
so and the gateway keeps serving.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

from policy.sandbox import DEFAULT_TIMEOUT_SECONDS, stream_in_child

REGOPY, OPA = "regopy", "opa"
#: Each engine the decision tables run on, and what it is, for a report a person reads.
ENGINES = {
    REGOPY: "regopy (rego-cpp), the gateway's embedded engine",
    OPA: "OPA (its Go engine), what OPA sidecars run from the bundle",
}
MAX_DISAGREEMENTS = 20


def run_tests(
    modules: Mapping[str, str],
    data: Mapping[str, Any],
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> dict[str, Any]:
    """The test report of a version (JSON-ready); `passed` is true only if both engines
    compiled every profile and every case passed on both, with the same decision."""
    # Two children at once: each waits on its own pipe.
    with ThreadPoolExecutor(max_workers=len(ENGINES)) as pool:
        runs = {e: pool.submit(_run_engine, e, modules, data, timeout) for e in ENGINES}
        return _combine(runs[REGOPY].result(), runs[OPA].result())


def _run_engine(
    engine: str, modules: Mapping[str, str], data: Mapping[str, Any], timeout: float
) -> dict[str, Any]:
    messages, crash = stream_in_child(_cases_in_child, (engine, dict(modules), dict(data)), timeout)
    for msg in messages:
        if msg[0] == "cases":
            return {"status": "ran", "cases": msg[1], "coverage": msg[2]}
        if msg[0] == "compile_error":
            _, profile, detail, file, line = msg
            where = {"profile": profile, "message": detail, "file": file, "line": line}
            return {"status": "compile_error", "error": where}
        if msg[0] == "unavailable":
            return {"status": "unavailable", "error": {"profile": None, "message": msg[1]}}
    died = crash.signal_name if crash else "no report"
    return {
        "status": "crashed",
        "error": {"profile": None, "message": f"the engine's process died ({died})"},
    }


def _cases_in_child(
    send: Callable[[Any], None], engine: str, modules: dict[str, str], data: dict[str, Any]
) -> None:
    from lifecycle.content import register_for
    from policy import (  # imported only in the child process
        EmbeddedEngine,
        PolicyCompileError,
        PolicyUnavailable,
        coverage,
        load_cases,
        reason_codes_of,
        run_cases,
    )
    from policy.golib import GoOpaEngine

    build = EmbeddedEngine if engine == REGOPY else GoOpaEngine
    profiles = sorted(data["profiles"])
    engines: dict[str, Recording] = {}
    for profile in profiles:
        try:
            engines[profile] = Recording(build(modules, register_for(data, profile).policy_data()))
        except PolicyCompileError as exc:
            send(("compile_error", profile, exc.detail, exc.file, exc.line))
            return
        except PolicyUnavailable as exc:
            send(("unavailable", exc.detail))
            return

    @cache
    def data_for(profile: str) -> Mapping[str, Any]:
        return register_for(data, profile).policy_data()

    results, raws = [], []
    for case in (c for c in load_cases() if c.profile in engines):
        engines[case.profile].last = None
        results += run_cases([case], engines.__getitem__, data_for)
        raws.append(engines[case.profile].last)
    cov = None
    if engine == REGOPY:
        legal_bases: dict[str, str] = {}
        for profile in profiles:
            legal_bases |= register_for(data, profile).legal_bases()
        found = coverage(
            results, reason_codes=reason_codes_of(modules), legal_bases=legal_bases,
            profiles=profiles,
        )  # fmt: skip
        cov = {
            "complete": found.complete,
            "reason_codes": list(found.reason_codes),
            "basis_types": list(found.basis_types),
            "legal_bases": list(found.legal_bases),
            "profiles": list(found.profiles),
        }
    send(
        (
            "cases",
            [
                {
                    "name": r.case.name,
                    "file": r.case.file,
                    "profile": r.case.profile,
                    "passed": r.passed,
                    "diff": list(r.diff),
                    "error": r.error,
                    "decision": raw,
                }
                for r, raw in zip(results, raws, strict=True)
            ],
            cov,
        )
    )


class Recording:
    """An engine that keeps its last raw decision, to compare the two engines by."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.revision: str = inner.revision
        self.last: object = None

    def decide(self, inp: Any) -> Any:
        from policy import parse_decision

        self.last = self.inner.evaluate(inp.to_policy_input())
        return parse_decision(self.last)


def _combine(regopy: dict[str, Any], opa: dict[str, Any]) -> dict[str, Any]:
    """One report over both engines: a case passes if it passed on both, alike."""
    engines = {REGOPY: regopy, OPA: opa}
    compile_errors = [
        {"engine": name, "engine_label": ENGINES[name], **run["error"]}
        for name, run in engines.items()
        if run["status"] != "ran"
    ]
    if regopy["status"] != "ran":
        cases: list[dict[str, Any]] = []
    else:
        opa_cases = {c["name"]: c for c in opa.get("cases", [])}
        opa_ran = opa["status"] == "ran"
        cases = [_case(c, opa_cases.get(c["name"]), opa_ran) for c in regopy["cases"]]
    disagree = [c["name"] for c in cases if c["engines_agree"] is False]
    passed = sum(c["passed"] for c in cases)
    return {
        "passed": not compile_errors and passed == len(cases) and bool(cases),
        "compile_errors": compile_errors,
        "engines": {
            name: {
                "label": ENGINES[name],
                "status": run["status"]
                if run["status"] != "ran"
                else "passed"
                if all(c["passed"] for c in run["cases"])
                else "failed",
                "passed": sum(c["passed"] for c in run.get("cases", [])),
                "total": len(run.get("cases", [])),
            }
            for name, run in engines.items()
        },
        "disagreements": {"count": len(disagree), "cases": disagree[:MAX_DISAGREEMENTS]},
        "cases": [{k: v for k, v in c.items() if k != "decision"} for c in cases],
        "summary": {"total": len(cases), "passed": passed, "failed": len(cases) - passed},
        "coverage": regopy.get("coverage"),
    }


def _case(ours: dict[str, Any], theirs: dict[str, Any] | None, opa_ran: bool) -> dict[str, Any]:
    """A regopy case result with OPA's verdict on the same case beside it."""
    if not opa_ran:
        return {**ours, "passed": False, "opa": None, "engines_agree": None}
    if theirs is None:
        opa = {"passed": False, "diff": [], "error": "OPA did not run this case"}
        return {**ours, "passed": False, "opa": opa, "engines_agree": False}
    agree = ours["decision"] is not None and ours["decision"] == theirs["decision"]
    opa = {"passed": theirs["passed"], "diff": theirs["diff"], "error": theirs["error"]}
    return {
        **ours,
        "passed": bool(ours["passed"] and theirs["passed"] and agree),
        "opa": opa,
        "engines_agree": agree,
    }


# -- compile only: an edited module before it becomes a draft ----------------------------------


def compile_check(
    modules: Mapping[str, str],
    data: Mapping[str, Any],
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> dict[str, Any] | None:
    """None if the modules compile on regopy over every profile's register; otherwise the
    first error as `{profile, message, file, line}` (`line` from rego-cpp's error text,
    `policy.embedded._compile_error`; None where it has none). In a child, as the test is."""
    messages, crash = stream_in_child(_compile_in_child, (dict(modules), dict(data)), timeout)
    for msg in messages:
        if msg[0] == "compiled":
            return None
        if msg[0] == "compile_error":
            _, profile, detail, file, line = msg
            return {"profile": profile, "message": detail, "file": file, "line": line}
    died = crash.signal_name if crash else "no report"
    return {
        "profile": None,
        "message": f"the engine's process died ({died})",
        "file": None,
        "line": None,
    }


def _compile_in_child(
    send: Callable[[Any], None], modules: dict[str, str], data: dict[str, Any]
) -> None:
    from lifecycle.content import register_for
    from policy import EmbeddedEngine, PolicyCompileError  # imported only in the child

    for profile in sorted(data["profiles"]):
        try:
            EmbeddedEngine(modules, register_for(data, profile).policy_data())
        except PolicyCompileError as exc:
            send(("compile_error", profile, exc.detail, exc.file, exc.line))
            return
    send(("compiled",))


# -- replay: the active version and the draft, side by side ---------------------------------

Content = tuple[Mapping[str, str], Mapping[str, Any]]


def replay(
    active: Content,
    draft: Content,
    profile: str,
    inputs: Sequence[dict[str, Any]],
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> tuple[list[tuple[dict[str, Any] | None, dict[str, Any] | None]], str | None]:
    """Each input decided under the active version and under the draft, in one child
    process: `({allow, reasons, basis} | None, … | None)` per input (None where that engine
    refused the input); and an error (compile error, crash) that stopped the replay."""
    args = (
        (dict(active[0]), dict(active[1])),
        (dict(draft[0]), dict(draft[1])),
        profile,
        list(inputs),
    )
    messages, crash = stream_in_child(_replay_in_child, args, timeout)
    for msg in messages:
        if msg[0] == "decisions":
            return msg[1], None
        if msg[0] == "error":
            return [], msg[1]
    return [], f"the engine died ({crash.signal_name if crash else 'no answer'})"


def _replay_in_child(
    send: Callable[[Any], None],
    active: tuple[dict[str, str], dict[str, Any]],
    draft: tuple[dict[str, str], dict[str, Any]],
    profile: str,
    inputs: list[dict[str, Any]],
) -> None:
    from pydantic import ValidationError  # imported only in the child process

    from lifecycle.content import register_for
    from lifecycle.errors import InvalidVersion
    from policy import DecisionInput, EmbeddedEngine, PolicyError

    engines = []
    for which, (modules, data) in (("the active version", active), ("the draft", draft)):
        try:
            engines.append(EmbeddedEngine(modules, register_for(data, profile).policy_data()))
        except (PolicyError, InvalidVersion) as exc:
            send(("error", f"{which} does not compile for profile {profile}: {exc}"))
            return

    def decide(engine: EmbeddedEngine, inp: DecisionInput | None) -> dict[str, Any] | None:
        if inp is None:
            return None
        try:
            d = engine.decide(inp)
        except PolicyError:
            return None
        return {
            "allow": d.allow,
            "reasons": list(d.reason_codes),
            "basis": d.basis.type.value if d.basis else None,
        }

    out = []
    for document in inputs:
        try:
            inp: DecisionInput | None = DecisionInput.model_validate(document)
        except ValidationError:
            inp = None
        out.append((decide(engines[0], inp), decide(engines[1], inp)))
    send(("decisions", out))
