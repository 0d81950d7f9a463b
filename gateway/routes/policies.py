"""Policy versions for privacy officers: list, read, diff, draft, test, simulate, approve,
activate, roll back. Every lifecycle step is audited (`policy.<event>`) in its transaction.

Four eyes: the author of a draft cannot approve it; whoever requests a rollback cannot
approve it. After an activation or rollback this process swaps its engine at once; the other
processes within `policy.watch_interval_seconds` (gateway/policy_watcher.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field
from sqlmodel import Session

from audit import AuditEntry
from gateway.auth import Principal
from gateway.clock import rfc3339
from gateway.db import session_scope
from gateway.deps import ContextDep, PrincipalDep, ServicesDep
from gateway.pep import NO_ACTIVITY, RequestContext, ResourceFacts
from gateway.services import Services
from lifecycle import PolicyVersionEvent, VersionEvent, impact, service
from lifecycle.checks import replay, run_tests
from lifecycle.content import decision_revision
from lifecycle.register_diff import register_changes
from lifecycle.register_patch import register_draft
from lifecycle.service import VersionStatus

router = APIRouter(prefix="/v1/policies", tags=["policies"])

READ, CHANGE = "read", "change"


class DraftIn(BaseModel):
    message: str = Field(min_length=1, max_length=2000, description="Why this change.")
    modules: dict[str, str] | None = Field(
        default=None, description="File name → Rego source; the whole set. Empty: the parent's."
    )
    data: dict[str, Any] | None = Field(
        default=None,
        description="`{register: {...}, profiles: {name: {...}}}`; empty: the parent's data.",
    )
    register_patch: list[Any] | None = Field(
        default=None,
        description="Operations on the parent's register by register id (not with `data`); "
        "see docs/policy-lifecycle.md, 'The register patch'.",
    )
    parent: str | None = Field(default=None, description="Default: the active version.")


class RollbackIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class EventPublic(BaseModel):
    revision: str
    event: str
    actor: str
    at: str
    summary: dict[str, Any] = Field(description="The event's details without long reports.")


class VersionPublic(BaseModel):
    revision: str = Field(description="Content hash of the modules and all the data.")
    decision_revision: str = Field(
        description="What this deployment's audit records name when deciding with it: the "
        "hash of the modules and this profile's register."
    )
    parent: str | None
    author: str
    message: str
    created_at: str
    state: str
    tests_passed: bool
    test_status: str = Field(
        description="The latest test run: `passed`, `failed`, or `not_run` (the shipped "
        "version is activated at first start without a test run on the server)."
    )
    simulated: bool
    approved_by: str | None
    events: list[EventPublic]
    modules: dict[str, str] | None = None
    data: dict[str, Any] | None = None
    changes: list[str] | None = Field(
        default=None, description="From the parent, in the register's terms (a new draft)."
    )


def decide(
    services: Services,
    principal: Principal,
    action: str,
    ctx: RequestContext,
    revision: str | None = None,
) -> None:
    """Ask the enforcement point (resource type `policy_version`, action `read` or `change`): the
    policy lets the privacy officers of the profile's municipalities read and change it
    (docs/policy.md, "The perimeter"). Audited; a refusal raises after the commit."""
    facts = ResourceFacts(
        type="policy_version",
        id=revision,
        category="",
        team="",
        municipality=principal.municipality,
        resident=None,
    )
    with session_scope(services.db) as session:
        outcome = services.pep.decide(session, principal, NO_ACTIVITY, action, [facts], ctx)
    outcome.raise_if_refused()


def _event_public(e: PolicyVersionEvent) -> EventPublic:
    short = {k: v for k, v in e.details.items() if k not in ("cases", "groups", "coverage")}
    if isinstance(short.get("drift"), dict):
        short["drift"] = short["drift"].get("count")
    return EventPublic(
        revision=e.revision, event=e.event, actor=e.actor, at=rfc3339(e.at_ns), summary=short
    )


def _public(st: VersionStatus, profile: str, *, content: bool = False) -> VersionPublic:
    v = st.version
    approval = st.last(VersionEvent.APPROVED)
    test = st.last(VersionEvent.TESTED)
    return VersionPublic(
        revision=v.revision,
        decision_revision=decision_revision(v.modules, v.data, profile),
        parent=v.parent,
        author=v.author,
        message=v.message,
        created_at=rfc3339(v.created_at_ns),
        state=st.state.value,
        tests_passed=st.tests_passed,
        test_status="not_run" if test is None else "passed" if st.tests_passed else "failed",
        simulated=st.simulated,
        approved_by=approval.actor if approval else None,
        events=[_event_public(e) for e in st.events],
        modules=dict(v.modules) if content else None,
        data=dict(v.data) if content else None,
    )


def _audit(
    services: Services,
    session: Session,
    principal: Principal,
    event: str,
    ctx: RequestContext,
    details: dict[str, str],
) -> None:
    """A lifecycle event in the audit trail: who, what, which version; no personal data."""
    entry = AuditEntry(
        event_type=f"policy.{event}",
        occurred_at=rfc3339(ctx.now_ns),
        subject_id=principal.sub,
        subject_roles=list(principal.roles),
        organisation=principal.organisation,
        subject_teams=list(principal.teams),
        municipality=principal.municipality,
        resource_municipality=principal.municipality,
        action=event,
        allowed=True,
        policy_revision=services.engines.current.revision,
        request_id=ctx.request_id,
        trace_id=ctx.trace_id,
        span_id=ctx.span_id,
        details={**ctx.details, **details},
    )
    services.audit.append(session, [entry])
    if services.checkpointer is not None:
        services.checkpointer.appended(1)


def _swap_now(services: Services) -> None:
    if services.policy_watcher is not None:
        services.policy_watcher.refresh()


@router.get("", response_model=list[VersionPublic])
def list_versions(
    services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> list[VersionPublic]:
    """Every version, newest first, with its state."""
    decide(services, principal, READ, ctx)
    with session_scope(services.db) as session:
        return [_public(st, services.settings.profile) for st in service.list_versions(session)]


@router.get("/log", response_model=list[EventPublic])
def lifecycle_log(
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[EventPublic]:
    """The lifecycle events of all versions, newest first."""
    decide(services, principal, READ, ctx)
    with session_scope(services.db) as session:
        return [_event_public(e) for e in service.lifecycle_log(session, limit)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=VersionPublic)
def create_draft(
    body: DraftIn, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> VersionPublic:
    """A new draft from uploaded modules (and data, or the parent's), or from a register patch
    on the parent's register."""
    decide(services, principal, CHANGE, ctx)
    with session_scope(services.db) as session:
        modules, data = register_draft(
            session, body.modules, body.data, body.register_patch, body.parent
        )
        version = service.create_draft(
            session,
            modules=modules,
            data=data,
            author=principal.sub,
            message=body.message,
            now_ns=ctx.now_ns,
            parent=body.parent,
        )
        _audit(
            services,
            session,
            principal,
            "drafted",
            ctx,
            {"version": version.revision, "parent": version.parent or ""},
        )
        public = _public(service.status(session, version.revision), services.settings.profile)
        if version.parent is not None:
            parent = service.get_version(session, version.parent)
            public.changes = register_changes(parent.data, version.data)
        return public


@router.get("/{revision}", response_model=VersionPublic)
def get_version(
    revision: str, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> VersionPublic:
    """One version with its modules, data and events."""
    decide(services, principal, READ, ctx, revision)
    with session_scope(services.db) as session:
        return _public(service.status(session, revision), services.settings.profile, content=True)


@router.get("/{revision}/diff")
def diff_versions(
    revision: str,
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    against: Annotated[str | None, Query(description="Default: the version's parent.")] = None,
) -> dict[str, Any]:
    """From `against` (default: the parent) to this version: module by module, and the data."""
    decide(services, principal, READ, ctx, revision)
    with session_scope(services.db) as session:
        new = service.get_version(session, revision)
        base = against or new.parent or revision
        return service.diff(service.get_version(session, base), new)


@router.post("/{revision}/test")
def test_version(
    revision: str, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> dict[str, Any]:
    """Compile the version in a child process and run every decision-table case."""
    decide(services, principal, CHANGE, ctx, revision)
    with session_scope(services.db) as session:
        version = service.get_version(session, revision)
        modules, data = dict(version.modules), dict(version.data)
    report = run_tests(modules, data)
    with session_scope(services.db) as session:
        service.record_test(session, revision, principal.sub, ctx.now_ns, report)
        summary = report["summary"]
        _audit(
            services,
            session,
            principal,
            "tested",
            ctx,
            {
                "version": revision,
                "passed": str(report["passed"]).lower(),
                "cases": f"{summary['passed']}/{summary['total']}",
            },
        )
    return {"revision": revision, **report}


@router.post("/{revision}/simulate")
def simulate_version(
    revision: str,
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    last: Annotated[int, Query(ge=1, le=100_000, description="How many decisions.")] = 1000,
) -> dict[str, Any]:
    """Replay the stored, pseudonymised policy inputs of the last `last` audited decisions
    made for this deployment's profile under the active version and under this one; report
    every decision that would flip (grouped by reason, activity and category), and, apart,
    the drift between what was recorded and what the active version decides."""
    decide(services, principal, CHANGE, ctx, revision)
    profile = services.settings.profile
    with session_scope(services.db) as session:
        plan = impact.plan(session, revision, profile, last)
    decided, error = replay(
        (plan.active.modules, plan.active.data),
        (plan.draft.modules, plan.draft.data),
        profile,
        [s.policy_input for s in plan.replay],
    )
    report = impact.report(plan, decided, error)
    with session_scope(services.db) as session:
        service.record_simulation(session, revision, principal.sub, ctx.now_ns, report)
        _audit(
            services,
            session,
            principal,
            "simulated",
            ctx,
            {
                "version": revision,
                "replayed": str(report["replayed"]),
                "flips": str(report["flips"]),
                "drift": str(report["drift"]["count"]),
            },
        )
    return report


@router.post("/{revision}/approve", response_model=VersionPublic)
def approve_version(
    revision: str, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> VersionPublic:
    """A second privacy officer (not the author) approves a tested, simulated version."""
    decide(services, principal, CHANGE, ctx, revision)
    with session_scope(services.db) as session:
        st = service.approve(session, revision, principal.sub, ctx.now_ns)
        _audit(
            services,
            session,
            principal,
            "approved",
            ctx,
            {"version": revision, "requester": st.version.author},
        )
        return _public(st, services.settings.profile)


@router.post("/{revision}/activate", response_model=VersionPublic)
def activate_version(
    revision: str, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> VersionPublic:
    """Make an approved version active; every gateway process swaps to it within a second."""
    decide(services, principal, CHANGE, ctx, revision)
    with session_scope(services.db) as session:
        st, previous = service.activate(session, revision, principal.sub, ctx.now_ns)
        _audit(
            services,
            session,
            principal,
            "activated",
            ctx,
            {"version": revision, "previous": previous or ""},
        )
        out = _public(st, services.settings.profile)
    _swap_now(services)
    return out


@router.post("/{revision}/rollback", status_code=status.HTTP_202_ACCEPTED)
def request_rollback(
    revision: str,
    body: RollbackIn,
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
) -> VersionPublic:
    """Ask to go back to an earlier active version; a second officer approves it."""
    decide(services, principal, CHANGE, ctx, revision)
    with session_scope(services.db) as session:
        service.request_rollback(session, revision, principal.sub, ctx.now_ns, body.reason)
        _audit(services, session, principal, "rollback_requested", ctx, {"version": revision})
        return _public(service.status(session, revision), services.settings.profile)


@router.post("/{revision}/rollback/approve", response_model=VersionPublic)
def approve_rollback(
    revision: str, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> VersionPublic:
    """The second officer approves the rollback: the version is active again at once."""
    decide(services, principal, CHANGE, ctx, revision)
    with session_scope(services.db) as session:
        st, previous = service.approve_rollback(session, revision, principal.sub, ctx.now_ns)
        _audit(
            services,
            session,
            principal,
            "rolled_back",
            ctx,
            {"version": revision, "previous": previous or ""},
        )
        out = _public(st, services.settings.profile)
    _swap_now(services)
    return out
