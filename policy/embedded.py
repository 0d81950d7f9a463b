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

import ctypes
import json
import re
import threading
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import regopy
from regopy import rego_shared

from policy.bundle import revision as content_revision
from policy.contract import DECISION_QUERY, Decision, DecisionInput
from policy.decision import parse_decision
from policy.errors import InvalidDecision, PolicyCompileError, PolicyUnavailable
from policy.memo import DEFAULT_SIZE, DecisionMemo, footprint_of

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

    `decide` memoises decisions (`policy.memo`: a key derived from what the modules read of
    the input; never for break-glass; `memo_size=0`, or a policy the analysis refuses, turns
    it off). The memo belongs to this engine: a new version is a new engine, a new memo.
    """

    kind = "embedded"

    def __init__(
        self,
        modules: Mapping[str, str],
        data: Mapping[str, Any],
        *,
        memo_size: int = DEFAULT_SIZE,
    ) -> None:
        if not modules:
            raise PolicyCompileError("no policy modules")
        self.revision: str = content_revision(modules, data)
        self._bundle = _compile(modules, data)
        footprint = footprint_of(modules, self.revision) if memo_size > 0 else None
        self.memo: DecisionMemo | None = (
            None
            if footprint is None
            else DecisionMemo(
                footprint, {"doelbinding": {"register": dict(data)}}, self.revision, memo_size
            )
        )
        self._query = regopy.Interpreter()
        # One query interpreter holds one input at a time, and FastAPI runs sync routes in
        # a thread pool: set_input and query_bundle must happen as one step.
        self._lock = threading.Lock()

    def decide(self, inp: DecisionInput) -> Decision:
        """The decision for `inp`; raises a `PolicyError` rather than guess (an error is never
        memoised: only a parsed decision is stored)."""
        document = inp.to_policy_input()
        memo = self.memo
        if memo is None:
            return parse_decision(self.evaluate(document))
        key = memo.key(document)
        if key is None:  # break-glass, or not plain JSON: always evaluated
            memo.bypass()
            return parse_decision(self.evaluate(document))
        found = memo.get(key)
        if found is not None:
            return found
        decision = parse_decision(self.evaluate(document))
        memo.put(key, decision)
        return decision

    def evaluate(self, document: Mapping[str, Any]) -> object:
        """The raw value of the decision rule for an input document (not yet parsed)."""
        query, bundle = self._query._impl, self._bundle._impl
        try:
            value = _input(document)
        except regopy.RegoError as exc:
            raise PolicyUnavailable(ENGINE, f"input refused: {_message(str(exc))}") from None
        except (ValueError, ctypes.ArgumentError) as exc:
            # A value that is not JSON (regopy's own builder raised ValueError here too).
            raise PolicyUnavailable(ENGINE, f"input refused: {type(exc).__name__}") from None
        try:
            with self._lock:
                if _C.regoSetInput(query, value) != rego_shared.Code.OK:
                    raise PolicyUnavailable(ENGINE, "input refused by the interpreter")
                # The evaluation: the one call that lets go of the GIL (see _C_RELEASING).
                out = _C_RELEASING.regoBundleQuery(query, bundle)
                if not out:
                    error = _message(rego_shared.rego_get_error(query))
                    raise PolicyUnavailable(ENGINE, f"evaluation failed: {error}")
        finally:
            _C.regoFreeInput(value)
        try:
            ok, text = bool(_C.regoOutputOk(out)), _output_text(out)
        finally:
            _C.regoFreeOutput(out)
        if not ok:
            raise PolicyUnavailable(ENGINE, f"evaluation failed: {_message(text)}")
        # As regopy's Output reads it: "undefined", one result, or a list of results.
        parsed = {} if text == "undefined" else json.loads(text)
        results = parsed if isinstance(parsed, list) else [parsed]
        if len(results) != 1:
            raise InvalidDecision(f"expected one result, got {len(results)}")
        bindings = results[0].get("bindings", {}) if isinstance(results[0], dict) else None
        if not isinstance(bindings, dict) or "x" not in bindings:
            raise InvalidDecision("the decision is undefined")
        return bindings["x"]


# rego-cpp's C API as regopy 1.5.2 binds it, twice. `_C_RELEASING` is regopy's own handle
# (ctypes.CDLL): every call lets go of the GIL, which is right for the evaluation (hundreds of
# µs in which other requests can run Python) and wrong for the ~50 tiny calls that build an
# input and read an output: under load each one handed the GIL to another thread and back
# (a context switch each, ~47 per decision). `_C` is the same library through ctypes.PyDLL:
# the same functions, the same argument and result types, called with the GIL held.
_C_RELEASING: Any = rego_shared.rego


def _holding_gil(lib: Any) -> Any:
    held = ctypes.PyDLL(lib._name, handle=lib._handle)
    for name in (
        "regoNewInput",
        "regoFreeInput",
        "regoInputString",
        "regoInputObjectItem",
        "regoInputObject",
        "regoInputArray",
        "regoInputBoolean",
        "regoInputInt",
        "regoInputNull",
        "regoInputFloat",
        "regoInputSet",
        "regoSetInput",
        "regoOutputOk",
        "regoOutputJSONSize",
        "regoOutputJSON",
        "regoFreeOutput",
    ):
        source, bound = getattr(lib, name), getattr(held, name)
        bound.argtypes, bound.restype = source.argtypes, source.restype
    return held


_C: Any = _holding_gil(_C_RELEASING)


def _output_text(out: int) -> str:
    size = _C.regoOutputJSONSize(out)
    buf = ctypes.create_string_buffer(size)
    if _C.regoOutputJSON(out, buf, size) != rego_shared.Code.OK:
        raise PolicyUnavailable(ENGINE, "evaluation output unreadable")
    return buf.value.decode("utf-8")


def _input(document: Mapping[str, Any]) -> int:
    """A rego-cpp input handle for `document`; the caller frees it (`regoFreeInput`).

    The same C calls as `regopy.Input`, without its per-value overhead (abstract-class
    checks, a string buffer per string): ~50 µs instead of ~110 µs for a decision input.
    Exact types first; anything else takes regopy's path (sets, other mappings and
    sequences). Any failed call refuses the whole input.
    """
    handle = _C.regoNewInput()
    if not handle:
        raise regopy.RegoError("Unable to create input")
    try:
        if _add(handle, document):
            raise regopy.RegoError("Unable to create input")
    except BaseException:
        _C.regoFreeInput(handle)
        raise
    return int(handle)


def _add(p: int, value: Any) -> int:
    """Push `value` onto the input stack; a non-zero result means a call failed."""
    kind = type(value)
    if kind is str:
        return int(_C.regoInputString(p, value.encode("utf-8")))
    if kind is dict:
        bad = 0
        for k, v in value.items():
            bad |= _add(p, k) | _add(p, v) | _C.regoInputObjectItem(p)
        return bad | int(_C.regoInputObject(p, len(value)))
    if kind is list or kind is tuple:
        bad = 0
        for v in value:
            bad |= _add(p, v)
        return bad | int(_C.regoInputArray(p, len(value)))
    if value is True or value is False:
        return int(_C.regoInputBoolean(p, value))
    if kind is int:
        return int(_C.regoInputInt(p, value))
    if value is None:
        return int(_C.regoInputNull(p))
    return _add_other(p, value)


def _add_other(p: int, value: Any) -> int:
    # regopy's order for what is not an exact JSON type.
    if isinstance(value, int):
        return int(_C.regoInputInt(p, value))
    if isinstance(value, float):
        return int(_C.regoInputFloat(p, value))
    if isinstance(value, str):
        return _add(p, str(value))
    bad = 0
    if isinstance(value, AbstractSet):
        for v in value:
            bad |= _add(p, v)
        return bad | int(_C.regoInputSet(p, len(value)))
    if isinstance(value, Mapping):
        return _add(p, dict(value))
    if isinstance(value, Sequence):
        return _add(p, list(value))
    raise ValueError(f"Cannot convert object of type {type(value)} to rego input")


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
