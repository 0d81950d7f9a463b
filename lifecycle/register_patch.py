"""A register patch: a change to a version's register in the register's own terms.

A privacy officer's console (and a municipality's script) says what changes, by register id:

    [{"op": "activity", "id": "pw-reintegration", "set": {"consent_admissible": true}},
     {"op": "mandates", "profile": "zaanstad", "role": "team_wi_specialist",
      "activities": ["wmo-support", "signalling", "safety-report", "pw-reintegration"]}]

`apply_patch` applies it to a version's data, checks the result with the register's own
loader for every profile (`lifecycle.content.validate`), and refuses what the loader refuses
with the reason in plain words (`PatchRefused`), before any draft exists. `register_changes`
(lifecycle/register_diff.py) says what it changed in the register's terms.

Operations, not JSON Patch (RFC 6902): flows are a list, so a JSON Pointer would name a
flow by its position, which a concurrent edit shifts; an operation names it by id, and
each operation carries exactly what one console form edits.
See docs/policy-lifecycle.md, "The register patch".
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlmodel import Session

from lifecycle import service
from lifecycle.content import validate
from lifecycle.errors import InvalidVersion, LifecycleConflict

MAX_OPERATIONS = 200
_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
Id = Annotated[str, Field(pattern=_ID)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Ids = Annotated[list[Id], Field(max_length=200)]


class PatchRefused(InvalidVersion):
    """A register patch that cannot be applied, or whose result the register refuses;
    `reasons` in plain words, one per problem."""

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("patch", "; ".join(self.reasons))


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActivityFields(_Op):
    """What an activity's form edits. `article`, `link` and `explanation` are its legal
    basis's; `explanation` is the plain-Dutch line residents see."""

    label: Text | None = None
    consent_admissible: bool | None = None
    law: Text | None = None
    article: Text | None = None
    gdpr: Text | None = None
    link: Text | None = None
    explanation: Text | None = None
    justification_required: bool | None = None
    confidential: bool | None = None
    retention_days: Annotated[int, Field(gt=0, le=36_500)] | None = None
    break_glass: bool | None = None
    categories: Ids | None = None


#: Fields an activity may do without, and their defaults (registry/models.py).
ACTIVITY_DEFAULTS: dict[str, Any] = {
    "justification_required": False,
    "confidential": False,
    "break_glass": False,
}
_LEGAL_BASIS = ("law", "article", "gdpr", "link", "explanation")


class ActivityOp(_Op):
    """Set (or unset: back to the default) fields of an existing activity."""

    op: Literal["activity"]
    id: Id
    set: ActivityFields = ActivityFields()
    unset: list[Literal["gdpr", "justification_required", "confidential", "break_glass"]] = []


class Ground(_Op):
    article: Text
    kind: Literal["disclosure", "task", "principle"]


class FlowFields(_Op):
    categories: Ids | None = None
    activities: Ids | None = None
    from_domain: Id | None = None
    to_domain: Id | None = None
    article: Text | None = None
    link: Text | None = None
    explanation: Text | None = None
    redact: Ids | None = None
    grounds: Annotated[list[Ground], Field(max_length=20)] | None = None


class FlowOp(_Op):
    """Add a flow (every field but `explanation` and `redact` set) or change one; or remove it."""

    op: Literal["flow"]
    id: Id
    set: FlowFields = FlowFields()
    unset: list[Literal["explanation", "redact"]] = []
    remove: bool = False


class MandatesOp(_Op):
    """The activities a role acts under in a profile: the whole list."""

    op: Literal["mandates"]
    profile: Id
    role: Id
    activities: Ids


class TeamFields(_Op):
    label: Text | None = None
    domain: Id | None = None
    municipality: Id | None = None
    regional_service: Id | None = None
    no_dossier: bool | None = None


class TeamOp(_Op):
    """Add a team or unit to a profile (label, domain, municipality), change one, or remove it."""

    op: Literal["team"]
    profile: Id
    id: Id
    set: TeamFields = TeamFields()
    unset: list[Literal["regional_service", "no_dossier"]] = []
    remove: bool = False


class RegionalServiceFields(_Op):
    label: Text | None = None
    serves: Ids | None = None
    domains: Ids | None = None
    activities: Ids | None = None


class RegionalServiceOp(_Op):
    """A regional service's scope in a profile: whom it serves, in which domains, under which
    activities (added with label, serves and domains set)."""

    op: Literal["regional_service"]
    profile: Id
    id: Id
    set: RegionalServiceFields = RegionalServiceFields()
    remove: bool = False


class CategoryFields(_Op):
    label: Text | None = None
    domain: Id | None = None


class CategoryOp(_Op):
    """Add a category of personal data (label and owning domain, or `shared`) or change one."""

    op: Literal["category"]
    id: Id
    set: CategoryFields = CategoryFields()


class ContactFields(_Op):
    privacy_officer: Text | None = None
    email: Text | None = None
    phone: Text | None = None
    url: Text | None = None
    answer_days: Annotated[int, Field(gt=0, le=90)] | None = None


class ContactOp(_Op):
    """Who answers a resident's question or objection in a profile, and within what term."""

    op: Literal["contact"]
    profile: Id
    set: ContactFields = ContactFields()
    unset: list[Literal["phone", "url"]] = []


class PartyFields(_Op):
    name: Text | None = None
    address: Text | None = None
    email: Text | None = None
    phone: Text | None = None


class PartyOp(_Op):
    """The controller (`controller`) or its data protection officer (`dpo`) a profile's
    record of processing activities names, with contact details."""

    op: Literal["controller", "dpo"]
    profile: Id
    set: PartyFields = PartyFields()
    unset: list[Literal["address", "phone"]] = []


Operation = Annotated[
    ActivityOp
    | FlowOp
    | MandatesOp
    | TeamOp
    | RegionalServiceOp
    | CategoryOp
    | ContactOp
    | PartyOp,
    Field(discriminator="op"),
]
_PATCH: TypeAdapter[list[Operation]] = TypeAdapter(
    Annotated[list[Operation], Field(min_length=1, max_length=MAX_OPERATIONS)]
)


def parse_patch(raw: Any) -> list[Operation]:
    """The operations of a patch as a client sent them; refused in plain words if malformed."""
    try:
        return _PATCH.validate_python(raw)
    except ValidationError as exc:
        reasons = [
            f"{'/'.join(str(p) for p in err['loc']) or 'patch'}: {_plain(err['loc'], err['msg'])}"
            for err in exc.errors(include_url=False, include_input=False)[:20]
        ]
        raise PatchRefused(reasons) from None


def _plain(loc: Sequence[Any], msg: str) -> str:
    """A validation message in plain words where the raw one names a regular expression."""
    if not msg.startswith("String should match pattern"):
        return msg
    field = str(loc[-1]) if loc else ""
    if "email" in field:
        return "not an e-mail address (write it as name@example.nl)"
    return "use only lowercase letters, digits, '-' and '_', starting with a letter or digit"


def _fields(model: BaseModel) -> dict[str, Any]:
    return {
        k: (v.model_dump() if isinstance(v, BaseModel) else v)
        for k, v in model.model_dump(exclude_none=True).items()
    }


def _apply_one(data: dict[str, Any], op: Operation) -> list[str]:
    register = data["register"]
    if isinstance(op, ActivityOp):
        act = register.get("activities", {}).get(op.id)
        if act is None:
            return [f"activity {op.id} does not exist"]
        basis = act.setdefault("legal_basis", {})
        for key, value in _fields(op.set).items():
            where = basis if key in _LEGAL_BASIS else act
            if key in ACTIVITY_DEFAULTS and value == ACTIVITY_DEFAULTS[key]:
                where.pop(key, None)  # the default is not written: it is the default
            else:
                where[key] = value
        for key in op.unset:
            (basis if key in _LEGAL_BASIS else act).pop(key, None)
        return []
    if isinstance(op, FlowOp):
        flows = register.setdefault("flows", [])
        index = next((i for i, f in enumerate(flows) if f.get("id") == op.id), None)
        if op.remove:
            if index is None:
                return [f"flow {op.id} does not exist"]
            del flows[index]
            return []
        if index is None:
            flows.append({"id": op.id})
            index = len(flows) - 1
        flows[index].update(_fields(op.set))
        for key in op.unset:
            flows[index].pop(key, None)
        return []
    if isinstance(op, CategoryOp):
        register.setdefault("categories", {}).setdefault(op.id, {}).update(_fields(op.set))
        return []
    profile = data["profiles"].get(op.profile)
    if profile is None:
        return [f"profile {op.profile} does not exist"]
    if isinstance(op, MandatesOp):
        profile.setdefault("mandates", {})[op.role] = list(dict.fromkeys(op.activities))
        return []
    if isinstance(op, ContactOp | PartyOp):
        entry = profile.setdefault(op.op, {})
        entry.update(_fields(op.set))
        for key in op.unset:
            entry.pop(key, None)
        return []
    section = "teams" if isinstance(op, TeamOp) else "regional_services"
    what = "team" if isinstance(op, TeamOp) else "regional service"
    entries = profile.setdefault(section, {})
    if op.remove:
        if entries.pop(op.id, None) is None:
            return [f"{op.profile}: {what} {op.id} does not exist"]
        return []
    entries.setdefault(op.id, {}).update(_fields(op.set))
    for key in getattr(op, "unset", ()):
        entries[op.id].pop(key, None)
    return []


def apply_patch(
    modules: Mapping[str, str], data: Mapping[str, Any], patch: Sequence[Operation]
) -> dict[str, Any]:
    """`data` with `patch` applied, checked as a version would be; `PatchRefused` otherwise."""
    new = copy.deepcopy(dict(data))
    problems = [p for op in patch for p in _apply_one(new, op)]
    if problems:
        raise PatchRefused(problems)
    try:
        validate(modules, new)
    except InvalidVersion as exc:
        raise PatchRefused(explain(exc.message, new)) from None
    return new


# --- the register's refusals in plain words -------------------------------------------------

_NO_BASIS = re.compile(r"no_basis ([A-Za-z0-9_-]+)")
_PYDANTIC_LINE = re.compile(r"^(\S+)\n\s+(.+?)(?: \[type=.*)?$", re.MULTILINE)


def explain(message: str, data: Mapping[str, Any]) -> list[str]:
    """The loader's message split into its problems, each `no_basis` one with what the law
    says there (the entry's explanation and article)."""
    source, _, problem = message.partition(": ")
    if "validation error" in problem:
        found = [
            f"{loc}: {_plain(loc.split('.'), msg)}" for loc, msg in _PYDANTIC_LINE.findall(problem)
        ]
        return found or [message]
    entries = {e.get("id"): e for e in data["register"].get("no_basis", [])}
    reasons = []
    for part in problem.split("; ") if problem else [message]:
        match = _NO_BASIS.search(part)
        entry = entries.get(match.group(1)) if match else None
        if entry is not None:
            part += f": {entry.get('explanation', '')} ({entry.get('article', '')})"
        reasons.append(f"{source.split(' + ')[-1].removesuffix('.yaml')}: {part}")
    return reasons


# --- a draft's content from a request -------------------------------------------------------


def register_draft(
    session: Session,
    modules: Mapping[str, str] | None,
    data: Mapping[str, Any] | None,
    patch: Any,
    parent: str | None,
) -> tuple[Mapping[str, str], Mapping[str, Any] | None]:
    """The modules and data of a new draft: as uploaded, each defaulting to the parent's
    (default parent: the active version), or with `patch` applied to the parent's register.
    A patch together with uploaded data is refused: one of the two says what the data is."""
    if patch is not None and data is not None:
        raise InvalidVersion("register_patch", "send a register patch or data, not both")
    if modules is not None and patch is None:
        return modules, data
    base_rev = parent or service.active_revision(session)
    if base_rev is None:
        raise LifecycleConflict("-", "none", "no parent version to start from")
    base = service.get_version(session, base_rev)
    modules = modules if modules is not None else base.modules
    if patch is None:
        return modules, data
    return modules, apply_patch(modules, base.data, parse_patch(patch))
