"""A decision memo whose key is derived from the policy: what it reads of `input`, nothing else.

    footprint = analyse(modules)               # raises Unmemoisable: then no memo at all
    memo = DecisionMemo(footprint, data, revision)
    key = memo.key(document)                   # None: never memoised (break-glass, not JSON)

The analysis reads the Rego text of every module (a tokenizer that skips strings and
comments; regopy exposes no AST) and collects every reference to `input` as a static path
(`input.a.b`, `input.a["b"]`); a dynamic step below a path (`input.a[x]`) reads the whole
subtree `input.a`. It refuses, and the engine then evaluates every request:

- a dynamic or whole reference to `input` (`input[x]`, `input` as a value, `import input`),
- `with` (which replaces `input` or `data` during a query),
- a call to a function that is neither defined in the modules nor a deterministic builtin
  (`time.now_ns`, `rand.*`, `http.send`, `uuid.*`, `opa.runtime`, `net.*`, `trace`, `print`,
  signing, and any builtin this module does not know).

The key is the canonical JSON of the input projected onto those paths (each path's whole
subtree, absent paths left out) with the engine's revision (content hash of modules and
data). Fields the policy never reads (`resource.id`, `context.request_id`, …) are not in it.

Time. `input.context.now_ns` differs on every request. The analysis checks that every
reference to it is an operand of `<`, `<=`, `>`, `>=` or `==`, alone in its expression,
whose other operand is a plain reference (`c.valid_until_ns`, no arithmetic, no call) to a
value of the input or of the register: `input…`, `data…` outside the policy's own
packages, or a variable bound once by `some v in <such a reference>`, or a function
parameter that every call passes such a variable (or such a parameter) for. Then every
comparison the policy makes with `now_ns` is a comparison with a number of the projected
input or of the data document, and the key carries, instead of `now_ns`, its position
among those numbers (`bisect_left`, `bisect_right`): equal positions decide every such
comparison alike. If the check fails, `now_ns` goes into the key as it is (in practice no
hits), never a coarser key.

Never memoised: a request with `context.break_glass` set (emergency access is always
evaluated), and an input that is not plain JSON. A memo belongs to one compiled engine: a
new version builds a new engine and so a new, empty memo. Engine failures are not stored.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from policy.contract import Decision

log = structlog.get_logger("doelbinding.policy.memo")

#: Entries a memo keeps (least recently used out first). A key is ~0.3-1 KB of JSON and a
#: decision ~1-2 KB of Python objects; 4096 entries hold about 8.8 MiB (docs/policy.md,
#: "Performance", measures it) and cover every distinct request of a busy minute.
DEFAULT_SIZE = 4096

TIME_PATH = ("context", "now_ns")
_COMPARISONS = frozenset({"<", "<=", ">", ">=", "=="})

# OPA builtins whose result depends only on their arguments. Anything else called in the
# policy (that the modules do not define themselves) refuses the memo.
DETERMINISTIC_BUILTINS = frozenset(
    [
        "count",
        "sum",
        "product",
        "max",
        "min",
        "sort",
        "all",
        "any",
        "abs",
        "ceil",
        "floor",
        "round",
        "rem",
        "to_number",
        "numbers.range",
        "numbers.range_step",
        "is_string",
        "is_number",
        "is_boolean",
        "is_array",
        "is_set",
        "is_object",
        "is_null",
        "type_name",
        "concat",
        "contains",
        "endswith",
        "startswith",
        "format_int",
        "indexof",
        "indexof_n",
        "lower",
        "upper",
        "replace",
        "split",
        "sprintf",
        "substring",
        "trim",
        "trim_left",
        "trim_right",
        "trim_prefix",
        "trim_suffix",
        "trim_space",
        "strings.replace_n",
        "strings.reverse",
        "strings.any_prefix_match",
        "strings.any_suffix_match",
        "strings.count",
        "regex.match",
        "regex.is_valid",
        "regex.split",
        "regex.find_n",
        "regex.find_all_string_submatch_n",
        "regex.replace",
        "regex.template_match",
        "regex.globs_match",
        "glob.match",
        "glob.quote_meta",
        "array.concat",
        "array.slice",
        "array.reverse",
        "object.get",
        "object.keys",
        "object.remove",
        "object.union",
        "object.union_n",
        "object.filter",
        "object.subset",
        "union",
        "intersection",
        "json.marshal",
        "json.unmarshal",
        "json.is_valid",
        "json.filter",
        "json.remove",
        "json.patch",
        "base64.encode",
        "base64.decode",
        "base64.is_valid",
        "base64url.encode",
        "base64url.decode",
        "base64url.encode_no_pad",
        "hex.encode",
        "hex.decode",
        "urlquery.encode",
        "urlquery.decode",
        "urlquery.encode_object",
        "urlquery.decode_object",
        "crypto.md5",
        "crypto.sha1",
        "crypto.sha256",
        "crypto.hmac.md5",
        "crypto.hmac.sha1",
        "crypto.hmac.sha256",
        "crypto.hmac.sha512",
        "crypto.hmac.equal",
        "bits.or",
        "bits.and",
        "bits.negate",
        "bits.xor",
        "bits.lsh",
        "bits.rsh",
        "units.parse",
        "units.parse_bytes",
        "semver.is_valid",
        "semver.compare",
        "walk",
        "graph.reachable",
        "graph.reachable_paths",
    ]
)

#: Named in the refusal when called (the allow-list above already excludes them).
NON_DETERMINISTIC = ("time.now_ns", "rand.", "http.send", "uuid.", "opa.runtime", "net.")

_KEYWORDS = frozenset(
    {"some", "every", "in", "if", "contains", "else", "default", "not", "with", "as"}
    | {"import", "package", "true", "false", "null"}
)


class Unmemoisable(Exception):
    """The policy reads something the key could not cover; the engine does not memoise."""


# --- the tokenizer -------------------------------------------------------------------------


@dataclass(frozen=True)
class Tok:
    kind: str  # name, str, num, op, nl
    text: str
    value: Any = None


_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r]+)
  | (?P<comment>\#[^\n]*)
  | (?P<nl>\n)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>:=|==|!=|<=|>=|[-+*/%&|<>=.,;:()\[\]{}])
    """,
    re.VERBOSE,
)


def tokenize(source: str) -> list[Tok]:
    """Rego's tokens, strings decoded, comments and blanks dropped, newlines kept."""
    out: list[Tok] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:
            raise Unmemoisable(f"unexpected character {source[pos]!r} at offset {pos}")
        pos = m.end()
        kind = m.lastgroup
        text = m.group()
        if kind in ("ws", "comment"):
            continue
        if kind == "str":
            out.append(Tok("str", text, json.loads(text)))
        elif kind == "raw":
            out.append(Tok("str", text, text[1:-1]))
        elif kind == "num":
            out.append(
                Tok("num", text, float(text) if any(c in text for c in ".eE") else int(text))
            )
        else:
            assert kind is not None
            out.append(Tok(kind, text))
    return out


# --- the analysis -------------------------------------------------------------------------


@dataclass(frozen=True)
class Footprint:
    """What a policy reads of `input`: paths (whole subtrees) and how it reads `now_ns`."""

    paths: tuple[tuple[str, ...], ...]
    #: True when every read of `input.context.now_ns` is a plain comparison (see above).
    time_ordinal: bool
    #: Number literals of the modules (added to the numbers `now_ns` is placed among).
    literals: tuple[int | float, ...]
    #: Why `now_ns` goes into the key as it is (empty when `time_ordinal`).
    time_note: str = ""


@dataclass
class _Rule:
    """One top-level statement: a rule with its `else` chain, or a function."""

    name: str
    params: tuple[str, ...] | None  # None: not a function
    start: int
    end: int  # token index range [start, end)


def analyse(modules: Mapping[str, str]) -> Footprint:
    """The input paths every module reads; raises `Unmemoisable` when they cannot be known."""
    tokens_of = {name: tokenize(src) for name, src in sorted(modules.items())}
    paths: set[tuple[str, ...]] = set()
    literals: set[int | float] = set()
    packages: list[tuple[str, ...]] = []
    rules: dict[str, list[tuple[list[Tok], _Rule]]] = {}
    for toks in tokens_of.values():
        packages.append(_package(toks))
        for rule in _rules(toks):
            rules.setdefault(rule.name, []).append((toks, rule))
    functions = {name for name, defs in rules.items() if any(r.params is not None for _, r in defs)}
    now_refs: list[tuple[list[Tok], int, int, _Rule]] = []  # tokens, start, end, rule
    time_odd = False
    for file, toks in tokens_of.items():
        rule_at = _rule_index(toks)
        for i, tok in enumerate(toks):
            if tok.kind == "num":
                literals.add(tok.value)
            if tok.kind != "name" or (i > 0 and toks[i - 1].text == "."):
                continue
            if tok.text == "with":
                raise Unmemoisable(f"{file}: `with` replaces input or data during a query")
            if tok.text == "import" and i + 1 < len(toks) and toks[i + 1].text == "input":
                raise Unmemoisable(f"{file}: `import input…` aliases the input")
            if tok.text == "input":
                path, end = _static_path(toks, i + 1)
                if not path:
                    raise Unmemoisable(f"{file}: a dynamic or whole reference to `input`")
                paths.add(path)
                if path == TIME_PATH and end == _ref_end(toks, i + 1):
                    now_refs.append((toks, i, end, rule_at[i]))
                elif path[: len(TIME_PATH)] == TIME_PATH:
                    time_odd = True  # a step below now_ns, or a dynamic one after it
                continue
            call = _call_name(toks, i)
            if call is not None:
                _check_call(file, call, functions)
    if not paths:
        raise Unmemoisable("the modules read no input")
    minimal = _minimal(paths)
    ordinal, note = True, ""
    if any(p != TIME_PATH and TIME_PATH[: len(p)] == p for p in minimal):
        ordinal, note = False, "the policy reads `input.context` as a whole"
    elif time_odd:
        ordinal, note = False, "a step below or after `input.context.now_ns`"
    else:
        try:
            for toks, start, end, rule in now_refs:
                _check_time(toks, start, end, rule, rules, packages)
        except Unmemoisable as exc:
            ordinal, note = False, str(exc)
    return Footprint(
        paths=tuple(sorted(minimal)),
        time_ordinal=ordinal and TIME_PATH in minimal,
        literals=tuple(sorted(literals)),
        time_note=note,
    )


def _package(toks: list[Tok]) -> tuple[str, ...]:
    for i, t in enumerate(toks):
        if t.kind == "name" and t.text == "package":
            path, _ = _static_path(toks, i + 2)
            return (toks[i + 1].text, *path)
    return ()


def _static_path(toks: list[Tok], i: int) -> tuple[tuple[str, ...], int]:
    """The static steps from `toks[i]` (`.name`, `["str"]`) and the index after them."""
    path: list[str] = []
    while i < len(toks):
        t = toks[i]
        if t.text == "." and i + 1 < len(toks) and toks[i + 1].kind == "name":
            path.append(toks[i + 1].text)
            i += 2
        elif (
            t.text == "["
            and i + 2 < len(toks)
            and toks[i + 1].kind == "str"
            and toks[i + 2].text == "]"
        ):
            path.append(toks[i + 1].value)
            i += 3
        else:
            break
    return tuple(path), i


def _ref_end(toks: list[Tok], i: int) -> int:
    """The index after a whole reference's steps (static or not) starting at `toks[i]`."""
    _, i = _static_path(toks, i)
    while i < len(toks) and toks[i].text in (".", "["):
        if toks[i].text == ".":
            i += 2
        else:
            i = _matching(toks, i) + 1
        _, i = _static_path(toks, i)
    return i


def _matching(toks: list[Tok], i: int) -> int:
    """The index of the bracket closing `toks[i]`."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = [pairs[toks[i].text]]
    j = i + 1
    while j < len(toks):
        t = toks[j].text
        if toks[j].kind == "op" and t in pairs:
            stack.append(pairs[t])
        elif toks[j].kind == "op" and t == stack[-1]:
            stack.pop()
            if not stack:
                return j
        j += 1
    raise Unmemoisable("unbalanced brackets")


def _call_name(toks: list[Tok], i: int) -> str | None:
    """`a.b.c(` starting at `toks[i]`: its dotted name, else None."""
    parts = [toks[i].text]
    j = i + 1
    while j + 1 < len(toks) and toks[j].text == "." and toks[j + 1].kind == "name":
        parts.append(toks[j + 1].text)
        j += 2
    if j < len(toks) and toks[j].text == "(" and parts[0] not in _KEYWORDS:
        return ".".join(parts)
    return None


def _check_call(file: str, call: str, functions: set[str]) -> None:
    if call in functions or call.startswith("data."):
        return  # the policy's own functions (also named through data.…)
    if call in DETERMINISTIC_BUILTINS:
        return
    kind = (
        "a non-deterministic builtin"
        if any(call == n or (n.endswith(".") and call.startswith(n)) for n in NON_DETERMINISTIC)
        or call in ("trace", "print")
        else "a builtin the memo does not know to be deterministic"
    )
    raise Unmemoisable(f"{file}: `{call}(…)` is {kind}")


def _minimal(paths: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """Drop every path below another (its whole subtree is in the key already)."""
    return {p for p in paths if not any(q != p and p[: len(q)] == q for q in paths)}


def _rules(toks: list[Tok]) -> Iterator[_Rule]:
    """Top-level statements: at bracket depth 0, at the start of a line, not `else`."""
    depth, starts = 0, []
    line_start = True
    for i, t in enumerate(toks):
        if t.kind == "nl":
            line_start = True
            continue
        if depth == 0 and line_start and t.kind == "name" and t.text not in ("else",):
            starts.append(i)
        line_start = False
        if t.kind == "op" and t.text in "([{":
            depth += 1
        elif t.kind == "op" and t.text in ")]}":
            depth -= 1
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(toks)
        head = start + 1 if toks[start].text == "default" else start
        name = toks[head].text
        params: tuple[str, ...] | None = None
        if head + 1 < len(toks) and toks[head + 1].text == "(":
            close = _matching(toks, head + 1)
            params = tuple(t.text for t in toks[head + 2 : close] if t.kind == "name")
        if name in ("package", "import"):
            continue
        yield _Rule(name, params, start, end)


def _rule_index(toks: list[Tok]) -> list[_Rule]:
    """The rule each token belongs to (a placeholder for package and import lines)."""
    none = _Rule("", None, 0, 0)
    at = [none] * len(toks)
    for rule in _rules(toks):
        for i in range(rule.start, rule.end):
            at[i] = rule
    return at


_BOUNDARY_BEFORE = frozenset({"{", ";", "if"})
_BOUNDARY_AFTER = frozenset({"}", ";"})


def _expression(toks: list[Tok], start: int, end: int) -> tuple[int, int]:
    """The expression around toks[start:end]: from the last boundary before to the first after."""
    a = start
    while a > 0 and toks[a - 1].kind != "nl" and toks[a - 1].text not in _BOUNDARY_BEFORE:
        a -= 1
    b = end
    while b < len(toks) and toks[b].kind != "nl" and toks[b].text not in _BOUNDARY_AFTER:
        b += 1
    return a, b


def _plain_ref(toks: list[Tok], a: int, b: int) -> bool:
    """toks[a:b] is `name` followed by `.name` / `["str"]` / `[num]` steps only."""
    if a >= b or toks[a].kind != "name" or toks[a].text in _KEYWORDS:
        return False
    i = a + 1
    while i < b:
        if toks[i].text == "." and i + 1 < b and toks[i + 1].kind == "name":
            i += 2
        elif (
            toks[i].text == "["
            and i + 2 < b
            and toks[i + 1].kind in ("str", "num")
            and toks[i + 2].text == "]"
        ):
            i += 3
        else:
            return False
    return True


def _check_time(
    toks: list[Tok],
    start: int,
    end: int,
    rule: _Rule,
    rules: dict[str, list[tuple[list[Tok], _Rule]]],
    packages: list[tuple[str, ...]],
) -> None:
    """`input.context.now_ns` at toks[start:end] is compared, alone, with a plain reference
    to a value of the input or the data (raises `Unmemoisable` otherwise)."""
    a, b = _expression(toks, start, end)
    if start > a and toks[start - 1].text in _COMPARISONS and end == b:
        other = (a, start - 1)
    elif end < b and toks[end].text in _COMPARISONS and start == a:
        other = (end + 1, b)
    else:
        raise Unmemoisable(
            f"`input.context.now_ns` in `{_text(toks, a, b)}` is not a plain comparison"
        )
    if not _plain_ref(toks, *other):
        raise Unmemoisable(
            f"`input.context.now_ns` compared with `{_text(toks, *other)}`, not a plain reference"
        )
    _from_input_or_data(toks, other[0], rule, rules, packages, set())


def _from_input_or_data(
    toks: list[Tok],
    at: int,
    rule: _Rule,
    rules: dict[str, list[tuple[list[Tok], _Rule]]],
    packages: list[tuple[str, ...]],
    seen: set[tuple[int, str]],
) -> None:
    """The reference starting at toks[at] reaches a value of the input or the data."""
    head = toks[at].text
    if head == "input":
        return
    if head == "data":
        path, _ = _static_path(toks, at + 1)
        if any(path[: len(p)] == p for p in packages):
            raise Unmemoisable(
                f"`now_ns` compared with the policy's own rule `data.{'.'.join(path)}`"
            )
        return
    mark = (id(rule), head)
    if mark in seen:
        raise Unmemoisable(f"`{head}` is passed around in a cycle")
    seen = seen | {mark}
    body = range(rule.start, rule.end)
    bindings = [
        i
        for i in body
        if toks[i].text == head
        and toks[i].kind == "name"
        and (i == 0 or toks[i - 1].text != ".")
        and (
            (i > 0 and toks[i - 1].text in ("some", "every"))
            or (i + 1 < len(toks) and toks[i + 1].text in (":=", "=", ","))
            or (i > 0 and toks[i - 1].text == ",")
        )
    ]
    # A parameter of the enclosing function?
    if rule.params is not None and head in rule.params:
        head_end = _matching(toks, rule.start + 1 + (toks[rule.start].text == "default"))
        if any(i > head_end for i in bindings):
            raise Unmemoisable(f"the parameter `{head}` of `{rule.name}` is bound again")
        index = rule.params.index(head)
        calls = list(_calls(rule.name, rules))
        if not calls:
            raise Unmemoisable(f"`{rule.name}` is never called")
        for caller_toks, caller, args in calls:
            if len(args) <= index or args[index][1] - args[index][0] != 1:
                raise Unmemoisable(f"a call of `{rule.name}` passes an expression for `{head}`")
            _from_input_or_data(caller_toks, args[index][0], caller, rules, packages, seen)
        return
    # Bound once, by `some v in <plain reference to input or data>`.
    if len(bindings) != 1 or toks[bindings[0] - 1].text != "some":
        raise Unmemoisable(f"`{head}` is not bound once by `some {head} in …`")
    i = bindings[0]
    if i + 2 >= len(toks) or toks[i + 1].text != "in":
        raise Unmemoisable(f"`{head}` is not bound by `some {head} in …`")
    _, d = _expression(toks, i + 2, i + 3)
    if not (_plain_ref(toks, i + 2, d) and toks[i + 2].text in ("input", "data")):
        raise Unmemoisable(f"`{head}` iterates over `{_text(toks, i + 2, d)}`")
    _from_input_or_data(toks, i + 2, rule, rules, packages, seen)


def _calls(
    name: str, rules: dict[str, list[tuple[list[Tok], _Rule]]]
) -> Iterator[tuple[list[Tok], _Rule, list[tuple[int, int]]]]:
    """Every call of the function `name` (by its name or through data.…): its arguments."""
    for defs in rules.values():
        for toks, rule in defs:
            first = rule.start + (1 if toks[rule.start].text == "default" else 0)
            i = first + 1
            if rule.params is not None:
                i = _matching(toks, first + 1) + 1  # skip the definition's own head
            while i < rule.end:
                t = toks[i]
                if (
                    t.kind == "name"
                    and t.text == name
                    and i + 1 < rule.end
                    and toks[i + 1].text == "("
                ):
                    close = _matching(toks, i + 1)
                    yield toks, rule, _args(toks, i + 1, close)
                    i = close
                i += 1


def _args(toks: list[Tok], open_: int, close: int) -> list[tuple[int, int]]:
    args, depth, begin = [], 0, open_ + 1
    for j in range(open_ + 1, close):
        t = toks[j]
        if t.kind == "op" and t.text in "([{":
            depth += 1
        elif t.kind == "op" and t.text in ")]}":
            depth -= 1
        elif depth == 0 and t.text == ",":
            args.append((begin, j))
            begin = j + 1
    if begin < close:
        args.append((begin, close))
    return args


def _text(toks: list[Tok], a: int, b: int) -> str:
    return " ".join(t.text for t in toks[a:b])


# --- the memo -------------------------------------------------------------------------


def _numbers(value: Any, out: list[int | float]) -> None:
    kind = type(value)
    if kind is dict:
        for v in value.values():
            _numbers(v, out)
    elif kind is list or kind is tuple:
        for v in value:
            _numbers(v, out)
    elif (kind is int or kind is float) and value is not True and value is not False:
        out.append(value)


_MISSING = object()


class DecisionMemo:
    """Decisions by key, for one engine (one version): LRU-bounded, thread-safe."""

    def __init__(
        self,
        footprint: Footprint,
        data: Mapping[str, Any],
        revision: str,
        size: int = DEFAULT_SIZE,
    ) -> None:
        self.footprint = footprint
        self.size = size
        self.revision = revision
        self._paths = footprint.paths
        numbers: list[int | float] = list(footprint.literals)
        _numbers(json.loads(json.dumps(dict(data))), numbers)
        self._data_numbers = sorted(numbers)
        self._time_index = self._paths.index(TIME_PATH) if footprint.time_ordinal else -1
        self._entries: OrderedDict[str, Decision] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = self.bypassed = 0

    def key(self, document: Mapping[str, Any]) -> str | None:
        """The key of an input document (`DecisionInput.to_policy_input()`: JSON types, string
        keys), or None when it must be evaluated: break-glass, or not plain JSON."""
        context = document.get("context")
        if type(context) is dict and context.get("break_glass") is not None:
            return None
        values: list[Any] = []
        time: Any = None
        for n, path in enumerate(self._paths):
            value: Any = document
            for step in path:
                if type(value) is not dict:
                    value = _MISSING
                    break
                value = value.get(step, _MISSING)
            if value is _MISSING:
                continue
            if n == self._time_index and type(value) is int:
                time = value
                continue
            values.append((n, value))
        if time is not None:
            seen: list[int | float] = []
            for _, value in values:
                _numbers(value, seen)
            data = self._data_numbers
            lo = bisect.bisect_left(data, time) + sum(1 for x in seen if x < time)
            hi = bisect.bisect_right(data, time) + sum(1 for x in seen if x <= time)
            marker: Any = [lo, hi]
        else:
            marker = None
        try:
            return json.dumps(
                [self.revision, marker, values],
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=False,
                allow_nan=False,
            )
        except (TypeError, ValueError):
            return None

    def bypass(self) -> None:
        with self._lock:
            self.bypassed += 1

    def get(self, key: str) -> Decision | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: str, decision: Decision) -> None:
        with self._lock:
            self._entries[key] = decision
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "entries": len(self._entries),
                "hits": self.hits,
                "misses": self.misses,
                "bypassed": self.bypassed,
            }


_ANALYSED: dict[str, Footprint | Unmemoisable] = {}
_ANALYSED_LOCK = threading.Lock()


def footprint_of(modules: Mapping[str, str], revision: str) -> Footprint | None:
    """The analysis of these modules, once per content (`revision`); None (logged once) when
    it refuses."""
    with _ANALYSED_LOCK:
        result = _ANALYSED.get(revision)
    if result is None:
        try:
            result = analyse(modules)
        except Unmemoisable as exc:
            result = exc
            log.warning("policy_memo_off", reason=str(exc), revision=revision[:12])
        else:
            if not result.time_ordinal and TIME_PATH in result.paths:
                log.warning(
                    "policy_memo_time_exact", reason=result.time_note, revision=revision[:12]
                )
        with _ANALYSED_LOCK:
            _ANALYSED[revision] = result
    return result if isinstance(result, Footprint) else None
