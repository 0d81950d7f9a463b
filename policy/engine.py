"""The policy engine port: one Protocol, an enum of engines, one factory.

    build_engine(EngineKind.EMBEDDED, load_modules(), register.policy_data()).decide(inp)

Only the embedded engine exists yet; the OPA-server adapter (`opa-python-client`) is the
next one to write. `build_engine` refuses `EngineKind.OPA` with a ValueError until then,
so a misconfigured gateway fails at start-up instead of deciding with the wrong engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from policy.contract import Decision, DecisionInput
from policy.embedded import EmbeddedEngine


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
) -> PolicyEngine:
    """An engine of `kind` over `modules` (file name → Rego) and `data` (the register).

    Only `embedded` is supported for now; `opa` raises ValueError (no adapter yet).
    Raises `PolicyCompileError` when a module does not compile.
    """
    kind = EngineKind(kind)
    if kind is EngineKind.EMBEDDED:
        if opa_url is not None:
            raise ValueError("opa_url is only for the 'opa' engine")
        return EmbeddedEngine(modules, data)
    raise ValueError(f"engine kind {kind.value!r} is not supported yet; use 'embedded'")
