"""Store and fetch case records. Takes a session; decides nothing (the enforcement point does)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

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


def list_for_resident(session: Session, pseudonym: str) -> Sequence[CaseRecord]:
    stmt = (
        select(CaseRecord)
        .where(CaseRecord.resident_pseudonym == pseudonym)
        .order_by(col(CaseRecord.created_at_ns), col(CaseRecord.id))
    )
    return session.exec(stmt).all()
