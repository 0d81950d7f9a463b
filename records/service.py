"""Store and fetch case records. Takes a session; decides nothing (the enforcement point does)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table, and_, bindparam, or_
from sqlalchemy import select as core_select
from sqlalchemy.engine import Dialect
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


@dataclass(frozen=True, slots=True)
class RecordRow:
    """A case record as read, not tracked by the session: for a read that changes nothing."""

    id: str
    resident: str
    resident_pseudonym: str
    category: str
    team: str
    municipality: str
    content: str
    created_at_ns: int
    created_by: str


_TABLE: Table = CaseRecord.__table__  # type: ignore[attr-defined]
#: `fetch_record`'s statement, built once: the columns in RecordRow's order.
_BY_ID = core_select(*(_TABLE.c[name] for name in RecordRow.__slots__)).where(
    _TABLE.c.id == bindparam("record_id")
)


#: `_BY_ID` as each dialect's SQL text, and whether its parameters are positional (sqlite3).
_BY_ID_SQL: dict[tuple[str, str], tuple[str, bool]] = {}


def _by_id_sql(dialect: Dialect) -> tuple[str, bool]:
    key = (dialect.name, dialect.paramstyle)
    if key not in _BY_ID_SQL:
        compiled = _BY_ID.compile(dialect=dialect)
        _BY_ID_SQL[key] = (str(compiled), bool(compiled.positional))
    return _BY_ID_SQL[key]


def fetch_record(session: Session, record_id: str) -> RecordRow:
    """`get_record` for a read: one statement on the driver's cursor of the session's
    connection (inside its transaction, if it has one), no ORM object. `session.get`
    (identity map, loader, instance state) and even a Core execution context cost several
    times the query. A driver error sends the statement through SQLAlchemy once more, which
    raises it as its own error and, for a dropped connection, invalidates the pool (the
    request fails closed; the next ones get new connections)."""
    conn = session.connection()
    sql, positional = _by_id_sql(conn.dialect)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, (record_id,) if positional else {"record_id": record_id})
        row = cursor.fetchone()
    except conn.dialect.loaded_dbapi.Error:
        row = conn.execute(_BY_ID, {"record_id": record_id}).first()
    finally:
        cursor.close()
    if row is None:
        raise RecordNotFound(record_id)
    return RecordRow(*row)


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
