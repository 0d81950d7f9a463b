"""The policy engine port: one Protocol, an enum of engines, one factory.

    build_engine(EngineKind.EMBEDDED, load_modules(), register.policy_data()).decide(inp)

    build_engine(EngineKind.OPA, modules, data, opa_url="http://127.0.0.1:8181")

Two adapters: `embedded` (regopy, in-process, the default) and `opa` (an OPA server through
`opa-python-client`; see `policy.opa`). Both pass the same contract suite
(tests/policy/test_engine_contract.py). A misconfiguration (an OPA URL for the embedded
engine, none for OPA) is a ValueError at start-up, never a decision by the wrong engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from policy.contract import Decision, DecisionInput
from policy.embedded import EmbeddedEngine
from policy.opa import DEFAULT_TIMEOUT_SECONDS, OpaEngine


class EngineKind(StrEnum):
    EMBEDDED = "embedded"
    OPA = "opa"


@runtime_checkable
class PolicyEngine(Protocol):
    """Decides one `DecisionInput`. Raises a `PolicyError` instead of guessing."""

    #: Content hash of the modules and data this engine evaluates; recorded in the audit log.
    revision: str

    def decide(self, inp: DecisionInput) -> Decision: ...


def build_engine(
    kind: EngineKind | str,
    modules: Mapping[str, str],
    data: Mapping[str, Any],
    *,
    opa_url: str | None = None,
    opa_timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> PolicyEngine:
    """An engine of `kind` over `modules` (file name → Rego) and `data` (the register).

    `opa` needs `opa_url` and pushes the modules and data there first.
    Raises `PolicyCompileError` when a module does not compile, `PolicyUnavailable` when the
    OPA server cannot be reached.
    """
    kind = EngineKind(kind)
    if kind is EngineKind.EMBEDDED:
        if opa_url is not None:
            raise ValueError("opa_url is only for the 'opa' engine")
        return EmbeddedEngine(modules, data)
    if not opa_url:
        raise ValueError("the 'opa' engine needs opa_url")
    return OpaEngine(modules, data, url=opa_url, timeout=opa_timeout)
