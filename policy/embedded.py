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
from policy.memo import DEFAULT_SIZE, DecisionMemo, Footprint, footprint_of

ENGINE = "embedded"
# The bundle holds one plan, for the decision rule as an entrypoint (`doelbinding/authz/
# decision`), and each decision runs it by name. A query (`x = data.doelbinding.authz.
# decision`) would compile a second plan around it that unifies `x` and returns a binding:
# ~45 µs more per decision (10 %), for the same value (bench/decision.py).
_ENTRYPOINT = DECISION_QUERY.removeprefix("data.").replace(".", "/")
_ENTRYPOINT_C = _ENTRYPOINT.encode("ascii")

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

    Every evaluation hands regopy the input projected onto what the modules read (the same
    analysis as the memo's key, `input_shape`), most-read keys first: rego-cpp finds an
    object's key by formatting and comparing every key before it, so fewer and better-placed
    keys are fewer steps. `project_input=False` (or a policy the analysis refuses) hands the
    whole input over as it is.
    """

    kind = "embedded"

    def __init__(
        self,
        modules: Mapping[str, str],
        data: Mapping[str, Any],
        *,
        memo_size: int = DEFAULT_SIZE,
        project_input: bool = True,
    ) -> None:
        if not modules:
            raise PolicyCompileError("no policy modules")
        self.revision: str = content_revision(modules, data)
        self._bundle = _compile(modules, data)
        footprint = footprint_of(modules, self.revision)
        # The input as regopy gets it: only what the modules read, most read first (None: the
        # analysis refused, the whole input goes over as it is).
        self._shape: Shape | None = (
            input_shape(footprint) if footprint is not None and project_input else None
        )
        self.memo: DecisionMemo | None = (
            None
            if footprint is None or memo_size <= 0
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
            value = _input(document, self._shape)
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
                out = _C_RELEASING.regoBundleQueryEntrypoint(query, bundle, _ENTRYPOINT_C)
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
        # An entrypoint's output: "undefined", or `{"expressions": [value]}`.
        if text == "undefined":
            raise InvalidDecision("the decision is undefined")
        parsed = json.loads(text)
        expressions = parsed.get("expressions") if isinstance(parsed, dict) else None
        if not isinstance(expressions, list) or len(expressions) != 1:
            raise InvalidDecision("expected one decision")
        return expressions[0]


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


#: The part of the input handed to regopy: for each key, the part below it (None: all of it).
Shape = dict[str, "Shape | None"]


def input_shape(footprint: Footprint) -> Shape:
    """The tree of the paths the modules read of `input` (each a whole subtree), every level
    ordered by how often the modules name a path below it (most first, then by name).

    Handing regopy only this is the memo's own claim (two inputs with the same projection
    get the same decision: the analysis refuses any policy that could read more), and the
    order of an object's keys is not observable where the policy only steps through it by
    name: every level above a read path is such a level (a dynamic step or a whole read
    would have made that level the read path itself, kept whole and in its own order)."""
    weight: dict[tuple[str, ...], int] = {}
    for path, count in footprint.reads:
        for n in range(1, len(path) + 1):
            weight[path[:n]] = weight.get(path[:n], 0) + count
    tree: dict[str, Any] = {}
    for path in footprint.paths:
        level = tree
        for step in path[:-1]:
            level = level.setdefault(step, {})
        level[path[-1]] = None

    def ordered(level: dict[str, Any], prefix: tuple[str, ...]) -> Shape:
        keys = sorted(level, key=lambda k: (-weight.get((*prefix, k), 0), k))
        return {k: None if level[k] is None else ordered(level[k], (*prefix, k)) for k in keys}

    return ordered(tree, ())


def _input(document: Mapping[str, Any], shape: Shape | None = None) -> int:
    """A rego-cpp input handle for `document` (projected onto `shape` when given); the
    caller frees it (`regoFreeInput`).

    The same C calls as `regopy.Input`, without its per-value overhead (abstract-class
    checks, a string buffer per string): ~50 µs instead of ~110 µs for a decision input.
    Exact types first; anything else takes regopy's path (sets, other mappings and
    sequences). Any failed call refuses the whole input.
    """
    handle = _C.regoNewInput()
    if not handle:
        raise regopy.RegoError("Unable to create input")
    try:
        if _add(handle, document) if shape is None else _add_shaped(handle, document, shape):
            raise regopy.RegoError("Unable to create input")
    except BaseException:
        _C.regoFreeInput(handle)
        raise
    return int(handle)


def _add_shaped(p: int, value: Any, shape: Shape) -> int:
    """`_add` of the keys of `value` that `shape` names, in its order; a value that is not a
    dict (which the policy then cannot step into) goes over whole."""
    if type(value) is not dict:
        return _add(p, value)
    bad = n = 0
    for k, below in shape.items():
        v = value.get(k, _ABSENT)
        if v is _ABSENT:
            continue
        n += 1
        bad |= (
            _add(p, k)
            | (_add(p, v) if below is None else _add_shaped(p, v, below))
            | _C.regoInputObjectItem(p)
        )
    return bad | int(_C.regoInputObject(p, n))


_ABSENT = object()


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
        bundle = build.build(None, [_ENTRYPOINT])
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
