"""Impact of a draft on real past decisions: what would change if it were activated now.

    stored inputs ──▶ which profile decided each? (its recorded decision revision)
         │              another profile's, or a revision no stored version has: not replayed,
         │              counted by profile
         ▼
    child process: each input decided by the ACTIVE version and by the DRAFT (lifecycle.checks)
         ▼
    flips  active ≠ draft     what activating the draft changes; grouped by direction,
                              reason code, activity and category
    drift  recorded ≠ active  what already changed since the decision was recorded (an older
                              version decided it, or a different engine); not the draft's doing

A comment-only draft therefore shows 0 flips, however old the trail. No record content and no
BSN exist in the stored inputs, so none can appear in a report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from audit import AuditRecord
from lifecycle.content import decision_revision
from lifecycle.errors import InvalidVersion, LifecycleConflict
from lifecycle.models import PolicyVersion
from lifecycle.service import active_revision, get_version

EXAMPLES_PER_GROUP = 3

DRIFT_MEANING = (
    "Drift: decisions the active version decides differently from what was recorded. They "
    "were recorded by an earlier version (or by another engine); activating this draft does "
    "not cause them, and they are not counted as flips."
)

_decision_revisions: dict[str, dict[str, str]] = {}


def decision_revisions(version: PolicyVersion) -> dict[str, str]:
    """Profile → the decision revision an engine of that profile records for `version`.
    Versions never change, so this is cached per version revision."""
    found = _decision_revisions.get(version.revision)
    if found is None:
        found = {}
        for profile in version.data.get("profiles", {}):
            try:
                found[str(profile)] = decision_revision(version.modules, version.data, profile)
            except InvalidVersion:  # a profile that does not load decided nothing
                continue
        _decision_revisions[version.revision] = found
    return found


def profiles_by_revision(session: Session, revisions: Iterable[str]) -> dict[str, set[str]]:
    """For each recorded decision revision: the profiles whose register gives it (usually
    one); a revision no stored version gives is absent."""
    wanted = set(revisions)
    out: dict[str, set[str]] = {}
    for version in session.scalars(select(PolicyVersion)):
        for profile, rev in decision_revisions(version).items():
            if rev in wanted:
                out.setdefault(rev, set()).add(profile)
    return out


@dataclass(frozen=True)
class Stored:
    """One audited decision with its stored input."""

    seq: int
    activity: str
    category: str | None
    allowed: bool
    reasons: list[str]
    decided_by: str
    resident: str | None
    record: str | None
    roles: list[str]
    policy_input: dict[str, Any]


@dataclass(frozen=True)
class ReplayPlan:
    """What to replay (this profile's inputs) and what was left out, and why."""

    draft: PolicyVersion
    active: PolicyVersion
    profile: str
    considered: int
    replay: list[Stored]
    without_input: int
    other_profiles: dict[str, int]
    unknown_revision: int


def plan(session: Session, revision: str, profile: str, last: int) -> ReplayPlan:
    """The last `last` audited decisions, split: those decided for `profile` (to replay),
    those of another profile's register, those of an unknown revision, those without input."""
    draft = get_version(session, revision)
    active_rev = active_revision(session)
    if active_rev is None:
        raise LifecycleConflict(revision, "draft", "no active version to compare with", "no_active")
    active = get_version(session, active_rev)
    rows = session.execute(
        select(
            col(AuditRecord.seq),
            col(AuditRecord.processing_activity),
            col(AuditRecord.category),
            col(AuditRecord.allowed),
            col(AuditRecord.reason_codes),
            col(AuditRecord.policy_revision),
            col(AuditRecord.resident),
            col(AuditRecord.record_id),
            col(AuditRecord.subject_roles),
            col(AuditRecord.policy_input),
        )
        .where(col(AuditRecord.event_type).not_like("policy.%"))
        .order_by(col(AuditRecord.seq).desc())
        .limit(last)
    ).all()
    stored = [r for r in rows if r.policy_input]
    owners = profiles_by_revision(session, {r.policy_revision for r in stored})
    replay: list[Stored] = []
    others: Counter[str] = Counter()
    unknown = 0
    for r in stored:
        profiles = owners.get(r.policy_revision)
        if profiles is None:
            unknown += 1
        elif profile in profiles:
            replay.append(
                Stored(
                    seq=r.seq,
                    activity=r.processing_activity,
                    category=r.category,
                    allowed=bool(r.allowed),
                    reasons=list(r.reason_codes),
                    decided_by=r.policy_revision,
                    resident=r.resident,
                    record=r.record_id,
                    roles=list(r.subject_roles),
                    policy_input=r.policy_input,
                )
            )
        else:
            others[", ".join(sorted(profiles))] += 1
    return ReplayPlan(
        draft=draft,
        active=active,
        profile=profile,
        considered=len(rows),
        replay=replay,
        without_input=len(rows) - len(stored),
        other_profiles=dict(others),
        unknown_revision=unknown,
    )


Outcome = dict[str, Any]
REFUSED: Outcome = {"allow": False, "reasons": ["policy_engine_unavailable"], "basis": None}


def report(
    p: ReplayPlan,
    decided: Sequence[tuple[Outcome | None, Outcome | None]],
    error: str | None,
) -> dict[str, Any]:
    """The impact report (JSON-ready). `decided[i]` is (active, draft) for `p.replay[i]`."""
    flips = _Groups()
    drift = _Groups()
    reasons_changed = 0
    for row, (active, draft) in zip(p.replay, decided, strict=False):
        now, then = active or REFUSED, draft or REFUSED
        recorded: Outcome = {"allow": row.allowed, "reasons": row.reasons}
        if now["allow"] != then["allow"]:
            flips.add(row, before=now, after=then, recorded=recorded)
        else:
            reasons_changed += now["reasons"] != then["reasons"]
        if recorded["allow"] != now["allow"]:
            drift.add(row, before=recorded, after=now)
    replayed = len(decided)
    return {
        "revision": p.draft.revision,
        "active": p.active.revision,
        "profile": p.profile,
        "considered": p.considered,
        "replayed": replayed,
        "skipped_without_input": p.without_input,
        "skipped_other_profiles": p.other_profiles,
        "skipped_unknown_revision": p.unknown_revision,
        "error": error,
        "flips": flips.total,
        "allow_to_deny": flips.count("allow_to_deny"),
        "deny_to_allow": flips.count("deny_to_allow"),
        "reasons_changed_same_outcome": reasons_changed,
        "groups": flips.public(),
        "drift": {
            "count": drift.total,
            "allow_to_deny": drift.count("allow_to_deny"),
            "deny_to_allow": drift.count("deny_to_allow"),
            "meaning": DRIFT_MEANING,
            "decided_by": dict(Counter(r.decided_by for r in drift.rows)),
            "groups": drift.public(),
        },
        "decided_by": dict(Counter(r.decided_by for r in p.replay[:replayed])),
    }


class _Groups:
    """Changed decisions grouped by (direction, reason, activity, category)."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
        self.rows: list[Stored] = []

    def add(self, row: Stored, *, before: Outcome, after: Outcome, **extra: Outcome) -> None:
        direction = "allow_to_deny" if before["allow"] else "deny_to_allow"
        # The reason that changed: the new denial's, or the denial that no longer holds.
        reasons = after["reasons"] if before["allow"] else before["reasons"]
        key = (direction, reasons[0] if reasons else "", row.activity, row.category or "")
        self.rows.append(row)
        self.groups.setdefault(key, []).append(
            {
                "seq": row.seq,
                "resident": row.resident,
                "record": row.record,
                "roles": row.roles,
                "decided_by": row.decided_by,
                "before": _short(before),
                "after": _short(after),
                **{k: _short(v) for k, v in extra.items()},
            }
        )

    @property
    def total(self) -> int:
        return len(self.rows)

    def count(self, direction: str) -> int:
        return sum(len(v) for k, v in self.groups.items() if k[0] == direction)

    def public(self) -> list[dict[str, Any]]:
        return [
            {
                "direction": k[0],
                "reason": k[1],
                "activity": k[2],
                "category": k[3],
                "count": len(v),
                "examples": v[:EXAMPLES_PER_GROUP],
            }
            for k, v in sorted(self.groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ]


def _short(outcome: Mapping[str, Any]) -> Outcome:
    return {k: outcome[k] for k in ("allow", "reasons", "basis") if k in outcome}
