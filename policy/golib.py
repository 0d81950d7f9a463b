"""Real OPA's Go engine in-process (`opa-golib-python-bindings`), to check a draft policy.

The gateway serves every policy version as an OPA bundle too (`GET /v1/opa/bundle.tar.gz`),
and deployments with OPA sidecars decide with it. regopy accepts some modules that OPA's
compiler refuses (an unsafe variable, `count(1)`, a default value that is a reference: see
tests/gateway/test_policy_lifecycle_opa.py), so a draft is tested on this engine as well
(`lifecycle.checks.run_tests`) and cannot be approved when OPA refuses it or decides a case
differently. Not used to serve decisions: that is `policy.opa` (an OPA server) or regopy.

The binding's package metadata asks for Python 3.14, but its ctypes wrapper runs on 3.11:

    pip install --ignore-requires-python "opa-golib-python-bindings==0.4.4"   # make install does

Without it, `GoOpaEngine` raises `PolicyUnavailable`: a draft's test then fails (fail closed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policy.bundle import revision as content_revision
from policy.contract import DECISION_QUERY, Decision, DecisionInput
from policy.decision import parse_decision
from policy.errors import InvalidDecision, PolicyCompileError, PolicyUnavailable

ENGINE = "opa"
INSTALL = 'pip install --ignore-requires-python "opa-golib-python-bindings==0.4.4"'
_DECISION_PATH = DECISION_QUERY.removeprefix("data.")
# "authz.rego:6: rego_unsafe_var_error: var y is unsafe", as OPA's compiler reports it.
_ERROR_LINE = re.compile(
    r"(?P<file>[^\s:]+\.rego):(?P<line>\d+): (?P<code>rego_\w+): (?P<msg>[^\n]*)"
)


def available() -> bool:
    """Whether the binding can be imported here."""
    try:
        _binding()
    except PolicyUnavailable:
        return False
    return True


def _binding() -> Any:
    try:
        import opa_bindings  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        raise PolicyUnavailable(ENGINE, f"real OPA is not installed here ({INSTALL})") from None
    except OSError as exc:  # the Go library itself did not load
        raise PolicyUnavailable(ENGINE, f"real OPA did not load: {exc}") from None
    return opa_bindings


class GoOpaEngine:
    """A `PolicyEngine` over OPA's own compiler and evaluator, in this process.

    Compiles at once (the binding compiles lazily; a first query forces it), so a module OPA
    refuses raises `PolicyCompileError` with OPA's file, line and error code.
    """

    kind = ENGINE

    def __init__(self, modules: Mapping[str, str], data: Mapping[str, Any]) -> None:
        if not modules:
            raise PolicyCompileError("no policy modules")
        lib = _binding()
        self.revision: str = content_revision(modules, data)
        self._error = lib.OpaError
        self._undefined = lib.OpaUndefinedError
        self._engine = lib.OpaEngine()
        try:
            for name, source in sorted(modules.items()):
                self._engine.add_policy(name, source)
            self._engine.add_data({"doelbinding": {"register": dict(data)}})
            self._engine.eval_query("x = true")
        except self._error as exc:
            self.close()
            raise compile_error(str(exc)) from None

    def decide(self, inp: DecisionInput) -> Decision:
        return parse_decision(self.evaluate(inp.to_policy_input()))

    def evaluate(self, document: Mapping[str, Any]) -> object:
        """The raw value of the decision rule for an input document (not yet parsed)."""
        try:
            return self._engine.eval_document(_DECISION_PATH, dict(document))
        except self._undefined:
            raise InvalidDecision("the decision is undefined") from None
        except self._error as exc:
            raise PolicyUnavailable(ENGINE, f"evaluation failed: {str(exc)[:300]}") from None

    def close(self) -> None:
        self._engine.close()


def compile_error(text: str) -> PolicyCompileError:
    """OPA's first error, with its file and line when it names them."""
    found = _ERROR_LINE.search(text)
    if found is None:
        return PolicyCompileError(text.strip().splitlines()[0][:300] if text.strip() else "?")
    return PolicyCompileError(
        f"{found['code']}: {found['msg'].strip()}"[:300],
        file=found["file"],
        line=int(found["line"]),
    )
