"""The embedded engine: Microsoft's rego-cpp (`regopy`) in the gateway's own process.

Compiled once per policy version: the modules and the register go into a build
interpreter, which produces a bundle with a plan for `data.doelbinding.authz.decision`.
Each decision then only sets the input on a separate query interpreter and runs the plan.

Fail closed: any error, an undefined result or a result that is not a decision raises
(`PolicyUnavailable`, `InvalidDecision`); this class never returns an allow on error.

Known limits of regopy 1.5.2 (see /work/shared/rego-conformance/README.md): it crashes the
process on some inputs given through `with input as` and on `add_module` after a query, so
this adapter only ever uses `set_input`, and never adds a module to a queried interpreter.
A new or edited policy should be compiled and tested in a separate process first.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

import regopy

from policy.bundle import revision as content_revision
from policy.contract import DECISION_QUERY, Decision, DecisionInput
from policy.decision import parse_decision
from policy.errors import InvalidDecision, PolicyCompileError, PolicyUnavailable

ENGINE = "embedded"
_QUERY = f"x = {DECISION_QUERY}"

# rego-cpp reports a parse error as an AST text: `(error 8:authz.rego|58|4 (errormsg 18:…)`,
# where 58 is a byte offset into the module and 18 the length of the message.
_ERROR_AT = re.compile(r"\(error \d+:(?P<file>[^|\s]+)\|(?P<offset>\d+)\|")
_ERROR_MSG = re.compile(r"\(errormsg \d+:(?P<msg>[^)\n]*)")


class EmbeddedEngine:
    """A `PolicyEngine` evaluating in-process with regopy.

    `modules` maps file names to Rego sources; `data` is the register as
    `data.doelbinding.register` (see `registry.Register.policy_data`).
    """

    kind = "embedded"

    def __init__(self, modules: Mapping[str, str], data: Mapping[str, Any]) -> None:
        if not modules:
            raise PolicyCompileError("no policy modules")
        self.revision: str = content_revision(modules, data)
        self._bundle = _compile(modules, data)
        self._query = regopy.Interpreter()
        # One query interpreter holds one input at a time, and FastAPI runs sync routes in
        # a thread pool: set_input and query_bundle must happen as one step.
        self._lock = threading.Lock()

    def decide(self, inp: DecisionInput) -> Decision:
        """The decision for `inp`; raises a `PolicyError` rather than guess."""
        return parse_decision(self.evaluate(inp.to_policy_input()))

    def evaluate(self, document: Mapping[str, Any]) -> object:
        """The raw value of the decision rule for an input document (not yet parsed)."""
        try:
            value = regopy.Input(dict(document))
            with self._lock:
                self._query.set_input(value)
                out = self._query.query_bundle(self._bundle)
        except regopy.RegoError as exc:
            raise PolicyUnavailable(ENGINE, f"evaluation failed: {_message(str(exc))}") from None
        if not out.ok():
            raise PolicyUnavailable(ENGINE, f"evaluation failed: {_message(str(out))}")
        if len(out) != 1:
            raise InvalidDecision(f"expected one result, got {len(out)}")
        bindings = out[0].bindings
        if not isinstance(bindings, dict) or "x" not in bindings:
            raise InvalidDecision("the decision is undefined")
        return bindings["x"]


def _compile(modules: Mapping[str, str], data: Mapping[str, Any]) -> Any:
    build = regopy.Interpreter()
    try:
        build.add_data({"doelbinding": {"register": dict(data)}})
    except regopy.RegoError as exc:
        raise PolicyCompileError(f"register data refused: {_message(str(exc))}") from None
    for name, source in sorted(modules.items()):
        try:
            build.add_module(name, source)
        except regopy.RegoError as exc:
            raise _compile_error(str(exc), modules, default_file=name) from None
    try:
        bundle = build.build(_QUERY, [])
    except regopy.RegoError as exc:
        raise _compile_error(str(exc), modules) from None
    if not bundle.ok():
        raise _compile_error(str(bundle.node()), modules)
    return bundle


def _compile_error(
    text: str, modules: Mapping[str, str], default_file: str | None = None
) -> PolicyCompileError:
    """File and line from rego-cpp's error text, when it has them."""
    file, line = default_file, None
    found = _ERROR_AT.search(text)
    if found and found["file"] in modules:
        file = found["file"]
        offset = int(found["offset"])
        line = modules[file].encode("utf-8")[:offset].count(b"\n") + 1
    return PolicyCompileError(_message(text), file=file, line=line)


def _message(text: str) -> str:
    found = _ERROR_MSG.search(text)
    return found["msg"].strip() if found else "rego-cpp error"
