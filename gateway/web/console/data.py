"""What the console reads and writes besides the policy lifecycle: the emergency-access review
queue, the flows dashboard's counts and the audit trail's integrity. No HTTP here.

Reviews and verifications are audit entries themselves (`break_glass.reviewed`,
`audit.verified`), appended like every other: the trail stays append-only, and the newest
`audit.verified` is "the last verify" for every process. A review carries the reviewer's
verdict (`justified` or `not_justified`) and comment; a read marked not justified stays in the
queue's reviewed list with that mark, and the dashboard counts those marks.

A read allowed by a four-eyes exception shows the exception's own justification, requester
and approver (from `exceptions`); a break-glass read the justification of its request.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from audit import (
    AuditEntry,
    AuditRecord,
    latest_checkpoint,
    supervised_by,
    verify_log,
)
from exceptions.models import AccessException, AccessExceptionEvent, ExceptionEventType
from gateway.auth import Principal
from gateway.clock import rfc3339
from gateway.pep import RequestContext
from gateway.services import Services, build_signer

REVIEWED = "break_glass.reviewed"
VERIFIED = "audit.verified"
REVIEW_BASES = ("break_glass", "exception")
JUSTIFIED, NOT_JUSTIFIED = "justified", "not_justified"
VERDICTS = (JUSTIFIED, NOT_JUSTIFIED)
QUEUE_LIMIT = 500
REASON_ROWS_LIMIT = 100_000
#: Domains on the two sides of the tension the report describes ("monitor the cooperation").
ENFORCEMENT = frozenset({"enforcement"})
SUPPORT = frozenset({"team", "work_income", "veilig_thuis"})


def append_event(
    services: Services,
    session: Session,
    principal: Principal,
    ctx: RequestContext,
    event_type: str,
    *,
    allowed: bool = True,
    details: dict[str, str],
) -> None:
    """An officer's own action in the audit trail: who, what; no resident, no content."""
    entry = AuditEntry(
        event_type=event_type,
        occurred_at=rfc3339(ctx.now_ns),
        subject_id=principal.sub,
        subject_roles=list(principal.roles),
        organisation=principal.organisation,
        subject_teams=list(principal.teams),
        municipality=principal.municipality,
        resource_municipality=principal.municipality,
        action=event_type.rsplit(".", 1)[-1],
        allowed=allowed,
        policy_revision=services.engines.current.revision,
        request_id=ctx.request_id,
        trace_id=ctx.trace_id,
        span_id=ctx.span_id,
        details={**ctx.details, **details},
    )
    services.audit.append(session, [entry])
    if services.checkpointer is not None:
        services.checkpointer.appended(1)


# --- emergency access review ---------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    by: str
    at: str
    comment: str
    seq: int
    #: `justified`, `not_justified`, or None for a review from before verdicts existed.
    verdict: str | None = None


@dataclass(frozen=True)
class ExceptionFacts:
    """The four-eyes exception a read relied on: why, who asked, who approved, until when."""

    id: str
    justification: str
    requested_by: str
    requested_at_ns: int
    approved_by: str | None
    approved_at_ns: int | None
    valid_until_ns: int | None


@dataclass(frozen=True)
class QueueItem:
    seq: int
    at: str
    basis: str
    basis_ref: str | None
    who: str
    roles: list[str]
    organisation: str
    activity: str
    category: str | None
    action: str
    allowed: bool
    justification: str | None
    erased: bool
    review: Review | None
    exception: ExceptionFacts | None = None


def _justification(policy_input: dict[str, Any] | None) -> str | None:
    if not isinstance(policy_input, dict):
        return None
    bg = (policy_input.get("context") or {}).get("break_glass")
    if isinstance(bg, dict) and isinstance(bg.get("justification"), str):
        return str(bg["justification"])
    return None


def reviews(session: Session) -> dict[int, Review]:
    rows = session.execute(
        select(
            col(AuditRecord.seq),
            col(AuditRecord.subject_id),
            col(AuditRecord.occurred_at),
            col(AuditRecord.details),
        ).where(col(AuditRecord.event_type) == REVIEWED)
    ).all()
    out: dict[int, Review] = {}
    for r in rows:
        try:
            target = int(r.details.get("reviewed_seq", ""))
        except ValueError:
            continue
        verdict = r.details.get("verdict")
        out.setdefault(
            target,
            Review(
                r.subject_id,
                r.occurred_at,
                r.details.get("comment", ""),
                r.seq,
                verdict if verdict in VERDICTS else None,
            ),
        )
    return out


def exception_facts(session: Session, ids: set[str]) -> dict[str, ExceptionFacts]:
    """The exceptions with these ids, with their approval (if any)."""
    if not ids:
        return {}
    rows = session.scalars(select(AccessException).where(col(AccessException.id).in_(ids)))
    approvals = {
        e.exception_id: e
        for e in session.scalars(
            select(AccessExceptionEvent).where(
                col(AccessExceptionEvent.exception_id).in_(ids),
                col(AccessExceptionEvent.event) == ExceptionEventType.APPROVED.value,
            )
        )
    }
    out = {}
    for x in rows:
        ok = approvals.get(x.id)
        out[x.id] = ExceptionFacts(
            id=x.id,
            justification=x.justification,
            requested_by=x.requested_by,
            requested_at_ns=x.requested_at_ns,
            approved_by=ok.actor if ok else None,
            approved_at_ns=ok.at_ns if ok else None,
            valid_until_ns=ok.valid_until_ns if ok else None,
        )
    return out


def not_justified(session: Session, since: str, municipality: str) -> int:
    """How many accesses `municipality`'s officer supervises that reviewers marked *not
    justified*, in reviews since `since`."""
    targets = [
        seq for seq, r in reviews(session).items() if r.verdict == NOT_JUSTIFIED and r.at >= since
    ]
    if not targets:
        return 0
    return int(
        session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(col(AuditRecord.seq).in_(targets), supervised_by(municipality))
        )
        or 0
    )


def review_queue(session: Session, municipality: str) -> list[QueueItem]:
    """Every decision on a break_glass or exception basis that `municipality`'s privacy
    officer supervises (the newest `QUEUE_LIMIT`), unreviewed first, newest first within
    each group."""
    rows = session.execute(
        select(
            col(AuditRecord.seq),
            col(AuditRecord.occurred_at),
            col(AuditRecord.basis_type),
            col(AuditRecord.basis_ref),
            col(AuditRecord.subject_id),
            col(AuditRecord.subject_roles),
            col(AuditRecord.organisation),
            col(AuditRecord.processing_activity),
            col(AuditRecord.category),
            col(AuditRecord.action),
            col(AuditRecord.allowed),
            col(AuditRecord.policy_input),
            col(AuditRecord.erased_at),
        )
        .where(
            col(AuditRecord.basis_type).in_(REVIEW_BASES),
            supervised_by(municipality),
        )
        .order_by(col(AuditRecord.seq).desc())
        .limit(QUEUE_LIMIT)
    ).all()
    done = reviews(session)
    facts = exception_facts(
        session, {r.basis_ref for r in rows if r.basis_type == "exception" and r.basis_ref}
    )
    items = [
        QueueItem(
            seq=r.seq,
            at=r.occurred_at,
            basis=r.basis_type,
            basis_ref=r.basis_ref,
            who=r.subject_id,
            roles=list(r.subject_roles),
            organisation=r.organisation,
            activity=r.processing_activity,
            category=r.category,
            action=r.action,
            allowed=bool(r.allowed),
            justification=_justification(r.policy_input),
            erased=r.erased_at is not None,
            review=done.get(r.seq),
            exception=facts.get(r.basis_ref or "") if r.basis_type == "exception" else None,
        )
        for r in rows
    ]
    return sorted(items, key=lambda i: (i.review is not None, -i.seq))


def reviewable(session: Session, seq: int, municipality: str) -> tuple[bool, bool]:
    """(exists with a reviewable basis and `municipality`'s officer supervises it, already
    reviewed)."""
    basis = session.scalar(
        select(col(AuditRecord.basis_type)).where(
            col(AuditRecord.seq) == seq, supervised_by(municipality)
        )
    )
    return basis in REVIEW_BASES, seq in reviews(session)


# --- flows -----------------------------------------------------------------------------------


def flow_counts(session: Session, since: str, municipality: str) -> tuple[list[Any], Counter[str]]:
    """Counts only, of the entries `municipality`'s officer supervises: (day, activity,
    category, allowed, n) per group, and the reason codes of the denials. No resident, no
    record, no employee."""
    where = (
        col(AuditRecord.occurred_at) >= since,
        supervised_by(municipality),
        col(AuditRecord.category).is_not(None),
        col(AuditRecord.processing_activity) != "",
        col(AuditRecord.event_type).not_like("policy.%"),
    )
    day = func.substr(col(AuditRecord.occurred_at), 1, 10)
    groups = session.execute(
        select(
            day.label("day"),
            col(AuditRecord.processing_activity).label("activity"),
            col(AuditRecord.category).label("category"),
            col(AuditRecord.allowed).label("allowed"),
            func.count().label("n"),
        )
        .where(*where)
        .group_by(day, col(AuditRecord.processing_activity), col(AuditRecord.category),
                  col(AuditRecord.allowed))
    ).all()  # fmt: skip
    reasons: Counter[str] = Counter()
    for (codes,) in session.execute(
        select(col(AuditRecord.reason_codes))
        .where(*where, col(AuditRecord.allowed).is_(False))
        .limit(REASON_ROWS_LIMIT)
    ):
        for code in codes or []:
            reasons[code] += 1
    return list(groups), reasons


def dashboard(
    services: Services, session: Session, since: str, municipality: str
) -> dict[str, Any]:
    reg = services.register
    groups, reasons = flow_counts(session, since, municipality)
    per_day: dict[str, list[int]] = {}
    per_activity: dict[str, list[int]] = {}
    flows: dict[tuple[str, str], list[int]] = {}
    total = [0, 0]
    for g in groups:
        i = 0 if g.allowed else 1
        n = int(g.n)
        total[i] += n
        per_day.setdefault(g.day, [0, 0])[i] += n
        per_activity.setdefault(g.activity, [0, 0])[i] += n
        cat = reg.categories.get(g.category)
        act = reg.activities.get(g.activity)
        src = cat.domain if cat else "?"
        dst = act.domain if act else "?"
        flows.setdefault((src, dst), [0, 0])[i] += n

    def domain(d: str) -> str:
        return reg.domains[d].label if d in reg.domains else d

    def tension(a: str, b: str) -> bool:
        return (a in ENFORCEMENT and b in SUPPORT) or (a in SUPPORT and b in ENFORCEMENT)

    return {
        "total": total,
        "per_day": sorted(per_day.items()),
        "per_activity": sorted(
            (
                (reg.activities[a].label if a in reg.activities else a, v)
                for a, v in per_activity.items()
            ),
            key=lambda kv: -sum(kv[1]),
        ),
        "flows": sorted(
            (
                {
                    "from": domain(s),
                    "to": domain(d),
                    "allowed": v[0],
                    "denied": v[1],
                    "tension": tension(s, d),
                }
                for (s, d), v in flows.items()
            ),
            key=lambda f: (not f["tension"], -(f["allowed"] + f["denied"])),
        ),
        "reasons": reasons.most_common(),
        "not_justified": not_justified(session, since, municipality),
    }


# --- integrity -------------------------------------------------------------------------------


def integrity(session: Session) -> dict[str, Any]:
    cp = latest_checkpoint(session)
    last = session.execute(
        select(col(AuditRecord.seq), col(AuditRecord.subject_id), col(AuditRecord.occurred_at),
               col(AuditRecord.details))
        .where(col(AuditRecord.event_type) == VERIFIED)
        .order_by(col(AuditRecord.seq).desc())
        .limit(1)
    ).first()  # fmt: skip
    return {
        "checkpoint": None
        if cp is None
        else {
            "tree_size": cp.tree_size,
            "root_hash": base64.b64encode(bytes.fromhex(cp.root_hash)).decode(),
            "created_at": cp.created_at,
            "note": cp.note,
        },
        "last": None
        if last is None
        else {"seq": last.seq, "by": last.subject_id, "at": last.occurred_at, **last.details},
    }


def run_verify(services: Services, session: Session) -> dict[str, str]:
    """A full verify (`doelbinding audit verify`), as the details of an `audit.verified` entry."""
    settings = services.settings
    if services.checkpointer is not None:
        key = services.checkpointer.signer.public_key
    else:
        key = build_signer(settings).public_key
    report = verify_log(
        session,
        settings.audit_key_name,
        key,
        settings.audit.origin,
        previous_keys=settings.audit_previous_keys,
    )
    out = {
        "ok": str(report.ok).lower(),
        "checked": str(report.checked),
        "checkpoints": str(report.checkpoints),
        "tree_size": str(report.tree_size),
    }
    if report.root_hash:
        out["root_hash"] = base64.b64encode(bytes.fromhex(report.root_hash)).decode()
    if not report.ok:
        out["first_bad_seq"] = str(report.first_bad_seq or "")
        out["problem"] = (report.problem or "")[:500]
    return out
