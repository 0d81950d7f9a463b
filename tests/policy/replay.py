"""Replay generated requests against two versions of the policy and count the decisions
that differ (there must be none when a change only reshapes the policy).

    PYTHONPATH=. python -m tests.policy.replay GIT_REV [N]

The old version is `policy/rego/` at GIT_REV (read with `git show`), the new one the
working tree's. N requests (default 3,000) come from the invariant tests' generators,
`near_requests()` (close to an allow) and `requests()` (anything), over all six profiles;
each is decided as generated and in every variant of resource type, action and
justification below, so the perimeter, question, investigation and oversight branches
are reached too. Both versions are decided by embedded regopy (projected input, as the
gateway does) and by real OPA in-process (its Go engine) when installed; every whole
decision is compared. Prints the counts, the reason codes reached and each difference.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy import EmbeddedEngine, load_modules
from policy.contract import BreakGlass
from tests.policy.test_policy_invariants import near_requests, register, requests

TYPES = [
    "record",
    "audit_log",
    "aggregate",
    "question",
    "investigation",
    "team_oversight",
    "policy_version",
    "consent",
    "decision_api",
    "dossier",
]
ACTIONS = ["read", "create", "handover", "answer", "close", "change", "evaluate", "delete"]
JUSTIFICATIONS = [None, "", "   ", "Spoed: kind in gevaar."]


def modules_at(rev: str) -> dict[str, str]:
    """The policy modules (`policy/rego/*.rego`) as they were at git revision `rev`."""
    root = Path(__file__).resolve().parents[2]
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{rev}:policy/rego"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return {
        name: subprocess.run(
            ["git", "show", f"{rev}:policy/rego/{name}"],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for name in names
        if name.endswith(".rego")
    }


def _opa(modules: dict[str, str], data: dict[str, Any]) -> Any:
    import importlib

    opa = importlib.import_module("opa_bindings").OpaEngine()
    for name, source in modules.items():
        opa.add_policy(name, source)
    opa.add_data({"doelbinding": {"register": data}})
    return lambda doc: opa.eval_document("doelbinding.authz.decision", doc)


def main(rev: str, n: int) -> int:
    import importlib.util

    old_modules, new_modules = modules_at(rev), load_modules()
    with_opa = importlib.util.find_spec("opa_bindings") is not None
    engines: dict[str, dict[str, Any]] = {}

    def pair(profile: str) -> dict[str, Any]:
        if profile not in engines:
            data = register(profile)
            found = {
                "regopy": (
                    EmbeddedEngine(old_modules, data, memo_size=0).evaluate,
                    EmbeddedEngine(new_modules, data, memo_size=0).evaluate,
                )
            }
            if with_opa:
                found["opa"] = (_opa(old_modules, data), _opa(new_modules, data))
            engines[profile] = found
        return engines[profile]

    counts: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    differences: list[str] = []

    @settings(
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        near_requests() | requests(),
        st.sampled_from(TYPES),
        st.sampled_from(ACTIONS),
        st.sampled_from(JUSTIFICATIONS),
        st.booleans(),
    )
    def replay(req: Any, rtype: str, action: str, justification: str | None, empty: bool) -> None:
        profile, inp = req
        variant = inp.model_copy(
            update={
                "action": action,
                "processing_activity": "" if empty else inp.processing_activity,
                "resource": inp.resource.model_copy(update={"type": rtype}),
                "context": inp.context.model_copy(
                    update={
                        "break_glass": None
                        if justification is None
                        else BreakGlass(justification=justification)
                    }
                ),
            }
        )
        for doc in (inp.to_policy_input(), variant.to_policy_input()):
            for engine, (old, new) in pair(profile).items():
                before, after = old(doc), new(doc)
                counts[engine] += 1
                if engine == "regopy":
                    codes.update(r["code"] for r in after["reasons"])
                if before != after:
                    differences.append(f"{engine} {profile} {doc}: {before} != {after}")

    replay()
    for engine, count in counts.items():
        print(f"{engine}: {count} decisions by both versions")
    print(f"reason codes reached: {len(codes)}")
    print(f"differences: {len(differences)}")
    for line in differences[:20]:
        print(" ", line)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3000))
