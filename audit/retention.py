"""Retention: after an activity's retention period, an entry's personal fields are erased.

The row stays where it is, as a tombstone: `seq`, `prev_hash`, `hash` and `leaf_hash` are
untouched, so the chain still links and every signed checkpoint and proof still holds; only
the fields that name or point to a person (`PERSONAL_FIELDS`) are emptied and `erased_at` is
set. The database allows exactly this one update per row and nothing else (migration 0002a):
the trigger checks that every other column is unchanged and that the row was not erased
before. What a tombstone can no longer prove is its own content: `audit verify` counts
tombstones and checks their place in the chain and the tree, not their remaining fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import null, update
from sqlmodel import Session, col

from audit.models import AuditRecord

# Emptied (NOT NULL columns) or set to NULL; keep in step with migration 0002a's trigger.
_ERASED = {
    "subject_id": "",
    "request_id": "",
    "resident": null(),
    "record_id": null(),
    "consent_id": null(),
    "basis_ref": null(),
    "policy_input": null(),
}


def _minus_days(now: str, days: int) -> str:
    t = datetime.strptime(now, "%Y-%m-%dT%H:%M:%S.%fZ") - timedelta(days=days)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def erase_expired(session: Session, retention_days: Mapping[str, int], now: str) -> int:
    """Erase every entry past its activity's retention; the caller commits. Entries of no
    registered activity (consent events, the access log's bookkeeping) keep the longest
    retention of the register. Returns how many entries were erased."""
    erased = 0
    longest = max(retention_days.values(), default=0)
    for activity, days in sorted(retention_days.items()):
        erased += _erase(session, col(AuditRecord.processing_activity) == activity, now, days)
    if longest:
        other = col(AuditRecord.processing_activity).not_in(sorted(retention_days))
        erased += _erase(session, other, now, longest)
    return erased


def _erase(session: Session, which: object, now: str, days: int) -> int:
    stmt = (
        update(AuditRecord)
        .where(
            col(AuditRecord.erased_at).is_(None),
            which,  # type: ignore[arg-type]
            col(AuditRecord.occurred_at) < _minus_days(now, days),
        )
        .values(**_ERASED, erased_at=now)
    )
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
