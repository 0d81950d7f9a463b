"""Store and fetch case records. Takes a session; decides nothing (the enforcement point does)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from records.models import CaseRecord


class RecordNotFound(LookupError):
    def __init__(self, record_id: str) -> None:
        self.record_id = record_id
        super().__init__(f"record {record_id} not found")


def new_record_id() -> str:
    return f"r-{uuid.uuid4().hex[:20]}"


def create_record(session: Session, record: CaseRecord) -> CaseRecord:
    session.add(record)
    session.flush()
    return record


def get_record(session: Session, record_id: str) -> CaseRecord:
    record = session.get(CaseRecord, record_id)
    if record is None:
        raise RecordNotFound(record_id)
    return record


def list_for_resident(
    session: Session,
    pseudonym: str,
    *,
    after: tuple[int, str] | None = None,
    limit: int | None = None,
) -> Sequence[CaseRecord]:
    """The resident's records, oldest first (by creation time, then id); a page of `limit`
    after the record (`created_at_ns`, `id`) given as `after`."""
    stmt = select(CaseRecord).where(CaseRecord.resident_pseudonym == pseudonym)
    if after is not None:
        created, rid = after
        stmt = stmt.where(
            or_(
                col(CaseRecord.created_at_ns) > created,
                and_(col(CaseRecord.created_at_ns) == created, col(CaseRecord.id) > rid),
            )
        )
    stmt = stmt.order_by(col(CaseRecord.created_at_ns), col(CaseRecord.id))
    if limit is not None:
        stmt = stmt.limit(limit)
    return session.exec(stmt).all()
