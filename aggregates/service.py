"""Store and read anonymous counts. Takes a session; decides nothing (the enforcement point
does). A correction is a new row: the listing keeps the latest per unit, subject and period."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlmodel import Session, col, select

from aggregates.models import AggregateCount

#: `2025`, `2025-06`, `2025-Q2` or `2025-W23`: periods, never a date of birth or a BSN.
PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4]|-W(0[1-9]|[1-4]\d|5[0-3]))?$")


def record_count(session: Session, row: AggregateCount) -> AggregateCount:
    session.add(row)
    session.flush()
    return row


def latest_counts(
    session: Session, municipality: str, *, unit: str | None = None, period: str | None = None
) -> list[AggregateCount]:
    """The latest count per (unit, category, activity, period) of a municipality."""
    stmt = select(AggregateCount).where(AggregateCount.municipality == municipality)
    if unit is not None:
        stmt = stmt.where(AggregateCount.unit == unit)
    if period is not None:
        stmt = stmt.where(AggregateCount.period == period)
    rows: Sequence[AggregateCount] = session.exec(stmt.order_by(col(AggregateCount.id))).all()
    latest: dict[tuple[str, str | None, str | None, str], AggregateCount] = {}
    for row in rows:
        latest[(row.unit, row.category, row.processing_activity, row.period)] = row
    return sorted(
        latest.values(),
        key=lambda r: (r.period, r.unit, r.category or "", r.processing_activity or ""),
    )
