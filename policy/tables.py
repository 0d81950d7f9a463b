"""Decision tables: the policy's tests, as data files a privacy officer can read.

Each file in `policy/cases/` holds cases of one theme. A case is a compact request
(who, under which activity, which data, which consents, when) and what the policy must
answer (allow, the type of basis, the reason codes). `case_to_input` expands a request
into the very `DecisionInput` the gateway builds; `run_cases` asks an engine per profile
and reports, per case, pass or fail with the difference.

This module imports no other project package: the caller passes the register data
(`data_for_profile`) and the engines (`engine_for_profile`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from policy.contract import (
    BasisType,
    BreakGlass,
    ConsentFact,
    Context,
    Decision,
    DecisionInput,
    ExceptionFact,
    Resource,
    Subject,
)
from policy.engine import PolicyEngine
from policy.errors import PolicyError

#: The tables shipped with the package.
DEFAULT_CASES_DIR = Path(__file__).parent / "cases"

#: 2025-06-01T00:00:00Z: the default "now" of every case, in nanoseconds.
DEFAULT_NOW_NS = 1_748_736_000_000_000_000

#: Pseudonyms (never BSNs) for the resident a record is about, and for another resident.
RESIDENT = "p-3f9a1c"
EMPLOYEE = "u-medewerker-1"

_UNITS_NS = {"s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9, "d": 86400 * 10**9}
_OFFSET = re.compile(r"^(?P<sign>[+-])(?P<n>\d+)(?P<unit>[smhd])$")


class TableError(ValueError):
    """A decision-table file is not valid."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseConsent(_Strict):
    """A consent in compact form. Times: nanoseconds, or an offset from now like `+30d`."""

    id: str | None = None
    categories: tuple[str, ...]
    activities: tuple[str, ...]
    recipients: tuple[str, ...]
    valid_from: int | str = 0
    valid_until: int | str = 0


class CaseException(_Strict):
    """A four-eyes exception in compact form; `subject` defaults to the case's subject."""

    id: str | None = None
    subject: str | None = None
    categories: tuple[str, ...]
    activities: tuple[str, ...]
    valid_from: int | str = "-1h"
    valid_until: int | str = "+7d"


class CaseRequest(_Strict):
    profile: str | None = None
    role: str | None = None
    roles: tuple[str, ...] | None = None
    subject_id: str | None = None
    organisation: str | None = None
    teams: tuple[str, ...] = ()
    municipality: str | None = None
    activity: str
    action: str = "read"
    resource_type: str = "record"
    category: str | None = None
    record_team: str | None = None
    record_municipality: str | None = None
    resident: str = RESIDENT
    own: bool = Field(default=False, description="The subject is the resident the data is about.")
    consents: tuple[CaseConsent, ...] = ()
    exceptions: tuple[CaseException, ...] = ()
    break_glass: str | None = Field(
        default=None, description="A written justification: `context.break_glass`."
    )
    now_ns: int = DEFAULT_NOW_NS


class Expect(_Strict):
    allow: bool
    basis: BasisType | None = None
    basis_ref: str | None = None
    reasons: tuple[str, ...]
    redact: tuple[str, ...] = ()
    obligations: tuple[str, ...] = ()


class Case(_Strict):
    name: str
    file: str = ""
    why: str = ""
    request: CaseRequest
    expect: Expect

    @property
    def profile(self) -> str:
        return self.request.profile or "zaanstad"


@dataclass(frozen=True)
class CaseResult:
    case: Case
    passed: bool
    got: Decision | None = None
    error: str | None = None
    diff: tuple[str, ...] = field(default_factory=tuple)


def load_cases(directory: Path = DEFAULT_CASES_DIR) -> list[Case]:
    """Every case of every `*.yaml` table in `directory`, in file order; names must be unique."""
    cases: list[Case] = []
    for path in sorted(directory.glob("*.yaml")):
        cases += load_table(path)
    seen: set[str] = set()
    for case in cases:
        if case.name in seen:
            raise TableError(f"{case.file}: duplicate case name {case.name!r}")
        seen.add(case.name)
    return cases


def load_table(path: Path) -> list[Case]:
    """The cases of one table file: `{profile?: str, cases: [...]}`."""
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict) or not isinstance(loaded.get("cases"), list):
        raise TableError(f"{path.name}: expected a mapping with a list under 'cases'")
    default_profile = loaded.get("profile")
    cases = []
    for i, raw in enumerate(loaded["cases"]):
        if not isinstance(raw, dict):
            raise TableError(f"{path.name}: case {i + 1} is not a mapping")
        request = dict(raw.get("request") or {})
        if default_profile and "profile" not in request:
            request["profile"] = default_profile
        try:
            cases.append(Case.model_validate({**raw, "request": request, "file": path.name}))
        except ValidationError as exc:
            raise TableError(f"{path.name}: case {i + 1} ({raw.get('name')!r}): {exc}") from None
    return cases


def case_to_input(case: Case, data: Mapping[str, Any]) -> DecisionInput:
    """The `DecisionInput` the gateway would build for this case's request.

    `data` is the profile's register (`data.doelbinding.register`); it supplies the
    defaults a table leaves out: the municipality, and the team holding the record.
    """
    req = case.request
    municipality = req.municipality or _first(data.get("municipalities", ()), "zaanstad")
    roles = req.roles if req.roles is not None else ((req.role,) if req.role else ())
    subject_id = req.subject_id or (req.resident if req.own else EMPLOYEE)
    record_municipality = req.record_municipality or municipality
    record_team = req.record_team or _first_team(data, record_municipality)
    return DecisionInput(
        subject=Subject(
            id=subject_id,
            roles=roles,
            organisation=req.organisation or f"gemeente-{municipality}",
            teams=req.teams,
            municipality=municipality,
        ),
        action=req.action,
        processing_activity=req.activity,
        resource=Resource(
            type=req.resource_type,
            id="r-1" if req.resource_type == "record" else None,
            category=req.category,
            team=record_team
            if req.resource_type in ("record", "consent", "team_oversight")
            else None,
            municipality=record_municipality,
            resident=req.resident,
        ),
        consents=tuple(
            ConsentFact(
                id=c.id or f"c-{i + 1}",
                categories=c.categories,
                processing_activities=c.activities,
                recipients=c.recipients,
                valid_from_ns=_time(c.valid_from, req.now_ns),
                valid_until_ns=_time(c.valid_until, req.now_ns),
            )
            for i, c in enumerate(req.consents)
        ),
        exceptions=tuple(
            ExceptionFact(
                id=e.id or f"x-{i + 1}",
                subject=e.subject or subject_id,
                categories=e.categories,
                processing_activities=e.activities,
                valid_from_ns=_time(e.valid_from, req.now_ns),
                valid_until_ns=_time(e.valid_until, req.now_ns),
            )
            for i, e in enumerate(req.exceptions)
        ),
        context=Context(
            now_ns=req.now_ns,
            break_glass=None
            if req.break_glass is None
            else BreakGlass(justification=req.break_glass),
            request_id=f"case-{_slug(case.name)}",
        ),
    )


def check(case: Case, got: Decision) -> tuple[str, ...]:
    """The differences between what the case expects and what the engine decided."""
    exp = case.expect
    diff = []
    if got.allow != exp.allow:
        diff.append(f"allow: expected {exp.allow}, got {got.allow}")
    got_basis = got.basis.type if got.basis else None
    if got_basis != exp.basis:
        diff.append(f"basis: expected {_show(exp.basis)}, got {_show(got_basis)}")
    if exp.basis_ref is not None and (got.basis is None or got.basis.ref != exp.basis_ref):
        diff.append(
            f"basis ref: expected {exp.basis_ref!r}, got {got.basis.ref if got.basis else None!r}"
        )
    if tuple(got.reason_codes) != exp.reasons:
        diff.append(f"reasons: expected {list(exp.reasons)}, got {got.reason_codes}")
    if got.redact != exp.redact:
        diff.append(f"redact: expected {list(exp.redact)}, got {list(got.redact)}")
    if got.obligations != exp.obligations:
        diff.append(f"obligations: expected {list(exp.obligations)}, got {list(got.obligations)}")
    return tuple(diff)


def run_cases(
    cases: Sequence[Case],
    engine_for_profile: Callable[[str], PolicyEngine],
    data_for_profile: Callable[[str], Mapping[str, Any]],
) -> list[CaseResult]:
    """Decide every case with the engine of its profile; an engine error fails the case."""
    results = []
    for case in cases:
        try:
            got = engine_for_profile(case.profile).decide(
                case_to_input(case, data_for_profile(case.profile))
            )
        except PolicyError as exc:
            results.append(CaseResult(case, passed=False, error=str(exc)))
            continue
        diff = check(case, got)
        results.append(CaseResult(case, passed=not diff, got=got, diff=diff))
    return results


def summary(results: Sequence[CaseResult]) -> str:
    """A printable report: one line per failure with its difference, then the totals."""
    lines = []
    for r in results:
        if r.passed:
            continue
        lines.append(f"FAIL {r.case.file}: {r.case.name}")
        lines += [f"     {d}" for d in r.diff]
        if r.error:
            lines.append(f"     error: {r.error}")
    passed = sum(r.passed for r in results)
    lines.append(f"{passed} of {len(results)} decision-table cases pass")
    return "\n".join(lines)


def report(results: Sequence[CaseResult]) -> str:
    """One line per case, PASS or FAIL (with the difference), then the totals."""
    lines = []
    for r in results:
        lines.append(f"{'PASS' if r.passed else 'FAIL'} {r.case.file}: {r.case.name}")
        lines += [f"     {d}" for d in r.diff]
        if r.error:
            lines.append(f"     error: {r.error}")
    passed = sum(r.passed for r in results)
    lines.append(f"{passed} of {len(results)} decision-table cases pass")
    return "\n".join(lines)


_TEXT = r'"(?:[^"\\]|\\.)*"'
# A decision's reason as the policy writes it: `deny(` or `allow…(` with the code, the English
# and the Dutch text as its first three arguments (each branch spells its texts out).
_REASON = re.compile(rf'\b(?:deny|allow\w*)\(\s*"([a-z_]+)",\s*({_TEXT}),\s*({_TEXT})')
# The default decision's reason, spelled out in an object (a default may hold no call).
_DEFAULT = re.compile(rf'"code": "([a-z_]+)", "message": ({_TEXT}), "message_nl": ({_TEXT})')


def reasons_written(modules: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Every reason the modules write, as (code, English, Dutch), in source order: each
    branch's `deny`/`allow…` call and the default decision's object. A code written in
    several branches appears once per branch."""
    return [
        (code, json.loads(en), json.loads(nl))
        for source in modules.values()
        for pattern in (_REASON, _DEFAULT)
        for code, en, nl in pattern.findall(source)
    ]


def reason_codes_of(modules: Mapping[str, str]) -> set[str]:
    """Every reason code the policy modules can give."""
    return {code for code, _, _ in reasons_written(modules)}


def reason_catalogue(modules: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Every reason code of the modules → `{message, message_nl}`, read from the very texts
    the decisions carry (one source, no copy to drift). Sorted by code. A code written in
    several branches has the same texts in each (the policy tests hold to that); where they
    differ, the first in source order."""
    out: dict[str, dict[str, str]] = {}
    for code, en, nl in reasons_written(modules):
        out.setdefault(code, {"message": en, "message_nl": nl})
    return {code: out[code] for code in sorted(out)}


@dataclass(frozen=True)
class Coverage:
    """What no passing case reached: the gaps a new case should fill."""

    reason_codes: tuple[str, ...]
    basis_types: tuple[str, ...]
    legal_bases: tuple[str, ...]
    profiles: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not (self.reason_codes or self.basis_types or self.legal_bases or self.profiles)


def coverage(
    results: Sequence[CaseResult],
    *,
    reason_codes: Iterable[str],
    legal_bases: Mapping[str, str],
    profiles: Iterable[str],
) -> Coverage:
    """The reason codes, basis types, register legal bases and profiles no passing case reached.

    The reason codes are the policy's (`reason_codes`) and those the cases expect: a draft
    that no longer gives a code its tables expect shows that code as unreached.
    `legal_bases` maps a register entry (`activity:<id>`, `flow:<id>`) to its article; an
    entry counts as reached when a passing case's decision cites its article as basis.
    """
    passed = [r for r in results if r.passed and r.got is not None]
    codes = {c for r in passed if r.got for c in r.got.reason_codes}
    types = {r.got.basis.type.value for r in passed if r.got and r.got.basis}
    refs = {r.got.basis.ref for r in passed if r.got and r.got.basis}
    seen = {r.case.profile for r in passed}
    expected = {c for r in results for c in r.case.expect.reasons}
    return Coverage(
        reason_codes=tuple(sorted((set(reason_codes) | expected) - codes)),
        basis_types=tuple(sorted({t.value for t in BasisType} - types)),
        legal_bases=tuple(sorted(k for k, article in legal_bases.items() if article not in refs)),
        profiles=tuple(sorted(set(profiles) - seen)),
    )


def coverage_report(cov: Coverage) -> str:
    """The coverage summary `doelbinding policy test` prints after the cases."""
    lines = ["coverage: what no passing case reached"]
    for label, items in (
        ("reason codes", cov.reason_codes),
        ("basis types", cov.basis_types),
        ("register legal bases", cov.legal_bases),
        ("profiles", cov.profiles),
    ):
        lines.append(f"  {label}: {', '.join(items) if items else 'all reached'}")
    return "\n".join(lines)


def _time(value: int | str, now_ns: int) -> int:
    if isinstance(value, int):
        return value
    found = _OFFSET.match(value)
    if not found:
        raise TableError(f"time {value!r}: expected nanoseconds or an offset like +30d")
    delta = int(found["n"]) * _UNITS_NS[found["unit"]]
    return now_ns + delta if found["sign"] == "+" else now_ns - delta


def _first(values: Any, default: str) -> str:
    return str(sorted(values)[0]) if values else default


def _first_team(data: Mapping[str, Any], municipality: str) -> str:
    teams = data.get("teams", {})
    own = sorted(
        k for k, t in teams.items() if t["domain"] == "team" and t["municipality"] == municipality
    )
    return own[0] if own else "wt-1"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _show(basis: BasisType | None) -> str:
    return basis.value if basis else "none"
