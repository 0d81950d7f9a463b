"""The policy lifecycle over the version tables: draft, test, simulate, approve, activate,
roll back. Takes a Session and plain values; no HTTP, no engines (the caller swaps those).

    draft ──test (all cases pass)──▶ tested ──approve (≠ author, simulated)──▶ approved
    approved ──activate──▶ active ──(another is activated)──▶ retired
    retired ──rollback requested by A, approved by B ≠ A──▶ active

Four eyes: the author of a draft is the one who asks for the change, so a second privacy
officer approves it; a rollback is asked by one and approved by another.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session, col

from lifecycle.content import validate, version_revision
from lifecycle.errors import LifecycleConflict, PolicyFourEyes, VersionNotFound
from lifecycle.models import (
    ACTIVATING,
    PolicyVersion,
    PolicyVersionEvent,
    VersionEvent,
    VersionState,
)
from lifecycle.register_diff import register_changes

#: Serialises lifecycle writes on PostgreSQL (SQLite: BEGIN IMMEDIATE already does).
PG_LIFECYCLE_LOCK = 0x706F6C76  # "polv"

SYSTEM = "system"


@dataclass(frozen=True)
class VersionStatus:
    version: PolicyVersion
    state: VersionState
    events: tuple[PolicyVersionEvent, ...]

    def last(self, event: VersionEvent) -> PolicyVersionEvent | None:
        found = [e for e in self.events if e.event == event.value]
        return found[-1] if found else None

    @property
    def tests_passed(self) -> bool:
        t = self.last(VersionEvent.TESTED)
        return bool(t and t.details.get("passed"))

    @property
    def simulated(self) -> bool:
        return self.last(VersionEvent.SIMULATED) is not None


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LIFECYCLE_LOCK})


def active_revision(session: Session) -> str | None:
    """The revision the gateway decides with: the latest activation or rollback."""
    return session.scalar(
        select(col(PolicyVersionEvent.revision))
        .where(col(PolicyVersionEvent.event).in_(ACTIVATING))
        .order_by(col(PolicyVersionEvent.id).desc())
        .limit(1)
    )


def get_version(session: Session, revision: str) -> PolicyVersion:
    version = session.get(PolicyVersion, revision)
    if version is None:
        raise VersionNotFound(revision)
    return version


def _events(session: Session, revision: str | None = None) -> list[PolicyVersionEvent]:
    stmt = select(PolicyVersionEvent).order_by(col(PolicyVersionEvent.id))
    if revision is not None:
        stmt = stmt.where(col(PolicyVersionEvent.revision) == revision)
    return list(session.scalars(stmt).all())


def _state(events: Sequence[PolicyVersionEvent], active: bool) -> VersionState:
    if active:
        return VersionState.ACTIVE
    kinds = [e.event for e in events]
    if any(k in ACTIVATING for k in kinds):
        return VersionState.RETIRED
    last_test = max((i for i, e in enumerate(events) if e.event == VersionEvent.TESTED), default=-1)
    if last_test < 0 or not events[last_test].details.get("passed"):
        return VersionState.DRAFT
    if any(e.event == VersionEvent.APPROVED for e in events[last_test:]):
        return VersionState.APPROVED
    return VersionState.TESTED


def status(session: Session, revision: str) -> VersionStatus:
    version = get_version(session, revision)
    events = _events(session, revision)
    return VersionStatus(
        version, _state(events, active_revision(session) == revision), tuple(events)
    )


def list_versions(session: Session) -> list[VersionStatus]:
    """Every version, newest first."""
    active = active_revision(session)
    by_rev: dict[str, list[PolicyVersionEvent]] = {}
    for e in _events(session):
        by_rev.setdefault(e.revision, []).append(e)
    versions = session.scalars(
        select(PolicyVersion).order_by(col(PolicyVersion.created_at_ns).desc())
    ).all()
    return [
        VersionStatus(
            v,
            _state(by_rev.get(v.revision, []), v.revision == active),
            tuple(by_rev.get(v.revision, [])),
        )
        for v in versions
    ]


def lifecycle_log(session: Session, limit: int = 100) -> list[PolicyVersionEvent]:
    """The newest lifecycle events of all versions, newest first."""
    return list(
        session.scalars(
            select(PolicyVersionEvent).order_by(col(PolicyVersionEvent.id).desc()).limit(limit)
        ).all()
    )


def _event(
    session: Session,
    revision: str,
    event: VersionEvent,
    actor: str,
    now_ns: int,
    details: Mapping[str, Any] | None = None,
) -> PolicyVersionEvent:
    row = PolicyVersionEvent(
        revision=revision, event=event.value, actor=actor, at_ns=now_ns, details=dict(details or {})
    )
    session.add(row)
    session.flush()
    return row


def create_draft(
    session: Session,
    *,
    modules: Mapping[str, str],
    data: Mapping[str, Any] | None,
    author: str,
    message: str,
    now_ns: int,
    parent: str | None = None,
) -> PolicyVersion:
    """A new draft. `data` None: the parent's (default parent: the active version)."""
    _lock(session)
    parent = parent or active_revision(session)
    if data is None:
        if parent is None:
            raise LifecycleConflict(
                "-", "none", "no parent version to take the data from", "no_parent"
            )
        data = get_version(session, parent).data
    elif parent is not None:
        get_version(session, parent)
    validate(modules, data)
    rev = version_revision(modules, data)
    if session.get(PolicyVersion, rev) is not None:
        raise LifecycleConflict(
            rev, "exists", "a version with exactly this content exists", "exists"
        )
    version = PolicyVersion(
        revision=rev,
        parent=parent,
        author=author,
        message=message,
        modules=dict(modules),
        data=dict(data),
        created_at_ns=now_ns,
    )
    session.add(version)
    session.flush()
    _event(session, rev, VersionEvent.DRAFTED, author, now_ns, {"parent": parent})
    return version


def ensure_initial_version(
    session: Session, modules: Mapping[str, str], data: Mapping[str, Any], now_ns: int
) -> str:
    """On an empty database: store the shipped policy as the first version and activate it.
    Returns the active revision either way."""
    _lock(session)
    active = active_revision(session)
    if active is not None:
        return active
    rev = version_revision(modules, data)
    if session.get(PolicyVersion, rev) is None:
        session.add(
            PolicyVersion(
                revision=rev,
                parent=None,
                author=SYSTEM,
                message="the policy shipped in policy/rego and registry/",
                modules=dict(modules),
                data=dict(data),
                created_at_ns=now_ns,
            )
        )
        session.flush()
        _event(session, rev, VersionEvent.DRAFTED, SYSTEM, now_ns, {"parent": None})
    _event(session, rev, VersionEvent.ACTIVATED, SYSTEM, now_ns, {"shipped": True})
    return rev


def record_test(
    session: Session, revision: str, actor: str, now_ns: int, report: Mapping[str, Any]
) -> PolicyVersionEvent:
    get_version(session, revision)
    return _event(session, revision, VersionEvent.TESTED, actor, now_ns, report)


def record_simulation(
    session: Session, revision: str, actor: str, now_ns: int, report: Mapping[str, Any]
) -> PolicyVersionEvent:
    get_version(session, revision)
    return _event(session, revision, VersionEvent.SIMULATED, actor, now_ns, report)


def approve(session: Session, revision: str, approver: str, now_ns: int) -> VersionStatus:
    """The second privacy officer's approval: tests passed, a simulation report, not the author."""
    _lock(session)
    st = status(session, revision)
    _require_checked(st)
    if st.state is not VersionState.TESTED:
        raise LifecycleConflict(
            revision, st.state, "only a tested version can be approved", "not_tested"
        )
    _require_current_parent(session, st)
    if approver == st.version.author:
        raise PolicyFourEyes(
            f"{approver} drafted this version and asks for it; a second privacy officer "
            "must approve it (four eyes)"
        )
    _event(
        session, revision, VersionEvent.APPROVED, approver, now_ns, {"requester": st.version.author}
    )
    return status(session, revision)


def _require_current_parent(session: Session, st: VersionStatus) -> None:
    """A draft is a change to the version it was drafted from, possibly through other drafts
    (a second change on top of a first). It may be approved and activated only while it still
    descends from the active version through versions never active themselves: otherwise
    activating it would silently undo the active version's changes (two officers each drafting
    from the same version), or bring back a version that was rolled back."""
    active = active_revision(session)
    parent = st.version.parent
    if active is None or parent is None:
        return
    seen: set[str] = set()
    current: str | None = parent
    while current is not None and current != active and current not in seen:
        seen.add(current)
        if any(e.event in ACTIVATING for e in _events(session, current)):
            break  # an earlier active version that is no longer active
        current = get_version(session, current).parent
    if current != active:
        raise LifecycleConflict(
            st.version.revision,
            st.state,
            f"it was drafted from version {parent}, which does not build on the active version "
            f"{active}; activating it would undo that version's changes, so draft it again from "
            "the active version",
            "stale_parent",
        )


def current_base(session: Session, revision: str) -> VersionStatus:
    """A version a new draft may build on: the active version, or a version never active
    (draft, tested, approved) that descends from the active one through versions never active
    themselves. Raises `VersionNotFound`, or `LifecycleConflict` (`base_retired`: it was
    active once; `stale_parent`: it builds on a version no longer active)."""
    st = status(session, revision)
    if st.state is VersionState.ACTIVE:
        return st
    if st.state is VersionState.RETIRED:
        raise LifecycleConflict(
            revision,
            st.state,
            "it was active before and is no longer; a change on top of it would undo the "
            "active version's changes, so start from the active version",
            "base_retired",
        )
    _require_current_parent(session, st)
    return st


def _require_checked(st: VersionStatus) -> None:
    rev = st.version.revision
    test = st.last(VersionEvent.TESTED)
    if test is None:
        raise LifecycleConflict(
            rev, st.state, "it has not been tested; run the decision tables", "untested"
        )
    if not test.details.get("passed"):
        raise LifecycleConflict(rev, st.state, test_failure(test.details), "test_failed")
    if not st.simulated:
        raise LifecycleConflict(
            rev, st.state, "it has no simulation report; simulate it first", "not_simulated"
        )


def test_failure(report: Mapping[str, Any]) -> str:
    """Why a test report does not let a version through, in one sentence: which engine
    refused it and where, or how many cases fail or the engines disagree on."""
    errors = report.get("compile_errors") or []
    if errors:
        e = errors[0]
        engine = {"regopy": "regopy", "opa": "OPA"}.get(e.get("engine"), "the engine")
        where = f"{e['file']}:{e['line']}: " if e.get("file") and e.get("line") else ""
        profile = f" (profile {e['profile']})" if e.get("profile") else ""
        return f"{engine} refuses it: {where}{e.get('message')}{profile}"
    summary = report.get("summary", {})
    why = f"its decision tables fail: {summary.get('failed')} of {summary.get('total')} cases"
    disagree = (report.get("disagreements") or {}).get("count")
    if disagree:
        why += f"; regopy and OPA decide {disagree} of them differently"
    return why


def activate(
    session: Session, revision: str, actor: str, now_ns: int
) -> tuple[VersionStatus, str | None]:
    """Make an approved version the active one. Returns its status and the previous revision."""
    _lock(session)
    st = status(session, revision)
    if st.state is VersionState.ACTIVE:
        raise LifecycleConflict(revision, st.state, "it is already active", "already_active")
    _require_checked(st)
    if st.state is not VersionState.APPROVED:
        raise LifecycleConflict(
            revision,
            st.state,
            "a second privacy officer must approve it before activation",
            "not_approved",
        )
    _require_current_parent(session, st)
    previous = active_revision(session)
    approval = st.last(VersionEvent.APPROVED)
    _event(
        session,
        revision,
        VersionEvent.ACTIVATED,
        actor,
        now_ns,
        {"previous": previous, "approved_by": approval.actor if approval else None},
    )
    return status(session, revision), previous


def request_rollback(
    session: Session, revision: str, actor: str, now_ns: int, reason: str
) -> VersionStatus:
    """Ask to go back to a version that was active before; a second officer approves."""
    _lock(session)
    st = status(session, revision)
    if st.state is not VersionState.RETIRED:
        raise LifecycleConflict(
            revision,
            st.state,
            "a rollback goes back to a version that was active before",
            "not_retired",
        )
    _event(session, revision, VersionEvent.ROLLBACK_REQUESTED, actor, now_ns, {"reason": reason})
    return st


def approve_rollback(
    session: Session, revision: str, approver: str, now_ns: int
) -> tuple[VersionStatus, str | None]:
    """The second officer confirms the open rollback request: the version is active again."""
    _lock(session)
    st = status(session, revision)
    if st.state is not VersionState.RETIRED:
        raise LifecycleConflict(
            revision, st.state, "only a retired version can be rolled back to", "not_retired"
        )
    request = st.last(VersionEvent.ROLLBACK_REQUESTED)
    done = st.last(VersionEvent.ROLLED_BACK)
    if request is None or (done is not None and (done.id or 0) > (request.id or 0)):
        raise LifecycleConflict(
            revision, st.state, "no open rollback request; request one first", "no_rollback_request"
        )
    if request.actor == approver:
        raise PolicyFourEyes(
            f"{approver} requested this rollback; a second privacy officer must approve it "
            "(four eyes)"
        )
    previous = active_revision(session)
    _event(
        session,
        revision,
        VersionEvent.ROLLED_BACK,
        approver,
        now_ns,
        {
            "previous": previous,
            "requested_by": request.actor,
            "reason": request.details.get("reason", ""),
        },
    )
    return status(session, revision), previous


def diff(a: PolicyVersion, b: PolicyVersion) -> dict[str, Any]:
    """From `a` to `b`: each module added, removed or changed (a unified diff), and every
    changed path of the data with its value before and after."""
    modules = []
    for name in sorted(set(a.modules) | set(b.modules)):
        old, new = a.modules.get(name), b.modules.get(name)
        if old == new:
            continue
        change = "added" if old is None else "removed" if new is None else "changed"
        lines = difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            (new or "").splitlines(keepends=True),
            fromfile=f"{a.revision}/{name}",
            tofile=f"{b.revision}/{name}",
        )
        modules.append({"module": name, "change": change, "diff": "".join(lines)})
    return {
        "from": a.revision,
        "to": b.revision,
        "modules": modules,
        "data": list(_data_diff(a.data, b.data, ())),
        "register": register_changes(a.data, b.data),
    }


def _data_diff(old: Any, new: Any, path: tuple[str, ...]) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            if key not in old:
                yield {"path": "/".join((*path, str(key))), "change": "added", "after": new[key]}
            elif key not in new:
                yield {"path": "/".join((*path, str(key))), "change": "removed", "before": old[key]}
            else:
                yield from _data_diff(old[key], new[key], (*path, str(key)))
    elif old != new:
        yield {"path": "/".join(path), "change": "changed", "before": old, "after": new}
