"""The audit store: appends to the chain inside the caller's transaction, reads, verifies.

Appends are serialised so that the chain has one order and no gaps: on PostgreSQL a
transaction-scoped advisory lock is taken before the chain head is read (it is released by the
commit or rollback of the caller's transaction, so the record and the data it covers commit
together); on SQLite the gateway's engine starts every transaction with BEGIN IMMEDIATE, which
already holds the database's single write lock. The primary key on `seq` is the last line of
defence: a second write at the same position fails instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, col

from audit.chain import ChainReport, canonical, input_digest, payload_of, verify_rows
from audit.checks import check_entry
from audit.errors import AuditWriteFailed
from audit.merkle import leaf_hash
from audit.models import (
    GENESIS_HASH,
    AuditEntry,
    AuditRecord,
    StoredJSON,
    stored_json,
    supervised_by,
)

# Any constant works; it only has to be the same for every writer.
PG_APPEND_LOCK = 0x646F656C  # "doel"


#: The table behind AuditRecord, for Core statements: an append builds no ORM objects.
_TABLE = AuditRecord.__table__  # type: ignore[attr-defined]
_STORED_JSON = frozenset(c.name for c in _TABLE.columns if isinstance(c.type, StoredJSON))
_HEAD = select(_TABLE.c.seq, _TABLE.c.hash).order_by(_TABLE.c.seq.desc()).limit(1)
_INSERT = _TABLE.insert()

# SQLite: the head and the INSERT on the driver's cursor (sqlite3, qmark), as gateway/facts.py
# runs its query: SQLAlchemy's execution context cost more than the two statements. The
# values are the ones the Core INSERT binds: JSON columns as `stored_json` spells them (None
# too: the text `null`, not SQL NULL), booleans as 0/1 (sqlite3 adapts bool), the rest as is;
# tests/audit/test_store.py compares both paths' stored rows column by column.
_SQLITE_COLUMNS = tuple(c.name for c in _TABLE.columns if c.name != "erased_at")
_SQLITE_JSON = tuple(c.name in _STORED_JSON for c in _TABLE.columns if c.name != "erased_at")
# Names from the table's definition, values bound: nothing from a caller is spliced in.
_SQLITE_HEAD = f"SELECT seq, hash FROM {_TABLE.name} ORDER BY seq DESC LIMIT 1"  # noqa: S608
_SQLITE_INSERT = (
    f"INSERT INTO {_TABLE.name} ({', '.join(_SQLITE_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' * len(_SQLITE_COLUMNS))})"
)


def _sqlite_append(session: Session, entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
    """`append_rows` on SQLite, inside the session's transaction (BEGIN IMMEDIATE: the write
    lock is held from the session's first statement to its commit)."""
    # The policy input spelled once: its stored text is the text its digest is made of.
    inputs = [stored_json(entry.policy_input) for entry in entries]
    raw = session.connection().connection.driver_connection
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_SQLITE_HEAD)
        head = cursor.fetchone()
        rows = chain_rows(
            entries, *((head[0], head[1]) if head else (0, GENESIS_HASH)), input_texts=inputs
        )
        cursor.executemany(
            _SQLITE_INSERT,
            [
                tuple(
                    text
                    if name == "policy_input"
                    else stored_json(row[name])
                    if is_json
                    else row[name]
                    for name, is_json in zip(_SQLITE_COLUMNS, _SQLITE_JSON, strict=True)
                )
                for row, text in zip(rows, inputs, strict=True)
            ],
        )
    finally:
        cursor.close()
    return rows


def chain_rows(
    entries: Sequence[AuditEntry],
    seq: int,
    prev: str,
    *,
    input_texts: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The rows that append `entries` after the record (`seq`, `prev` hash): numbered, linked,
    hashed (chain hash and RFC 9162 leaf hash). Pure; the caller holds the chain's lock.

    `input_texts`: each entry's policy input as `stored_json` spells it, if the caller has it
    (the digest is made of that text; the SQLite append stores it too)."""
    rows: list[dict[str, Any]] = []
    for i, entry in enumerate(entries):
        seq += 1
        row: dict[str, Any] = entry.model_dump()
        row["seq"] = seq
        row["prev_hash"] = prev
        if input_texts is None or entry.policy_input is None:
            row["policy_input_sha256"] = input_digest(entry.policy_input)
        else:
            row["policy_input_sha256"] = hashlib.sha256(input_texts[i].encode()).hexdigest()
        data = canonical(payload_of(row))
        row["hash"] = prev = hashlib.sha256(data).hexdigest()
        row["leaf_hash"] = leaf_hash(data).hex()
        rows.append(row)
    return rows


class AuditStore:
    """SQL audit store for SQLite and PostgreSQL (the same code; the lock differs)."""

    def append(self, session: Session, entries: Sequence[AuditEntry]) -> list[AuditRecord]:
        """Append `entries` in order, in the caller's transaction, and flush them.

        The caller commits; until then nothing is visible, and a rollback leaves no trace.
        """
        return [AuditRecord.model_validate(r) for r in self.append_rows(session, entries)]

    def append_rows(self, session: Session, entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
        """`append`, returning the written rows as plain dicts (the columns of AuditRecord).

        The enforcement point needs nothing back, and building the records is not free; the
        group-commit writer builds them after its COMMIT, outside the chain's lock. A row no
        database would store is refused first (`AuditEntryInvalid`, audit/checks.py).
        """
        for entry in entries:
            check_entry(entry)
        bind = session.get_bind()
        if bind.dialect.name == "sqlite" and bind.dialect.paramstyle == "qmark":
            try:
                return _sqlite_append(session, entries)
            except (SQLAlchemyError, sqlite3.Error) as exc:
                raise AuditWriteFailed(type(exc).__name__) from exc
        try:
            self._lock(session)
            head = session.execute(_HEAD).first()
            rows = chain_rows(entries, *((head[0], head[1]) if head else (0, GENESIS_HASH)))
            if rows:
                # One multi-row INSERT on the table (Core, neither the unit of work nor the ORM
                # bulk path): the lock is held until commit, so every round trip and every
                # microsecond here is serialised.
                session.execute(_INSERT, rows)
        except SQLAlchemyError as exc:
            raise AuditWriteFailed(type(exc).__name__) from exc
        return rows

    @staticmethod
    def _lock(session: Session) -> None:
        bind = session.get_bind()
        if bind.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_APPEND_LOCK})

    def for_resident(
        self, session: Session, pseudonym: str, limit: int = 500
    ) -> Sequence[AuditRecord]:
        """The newest records about one resident, newest first."""
        stmt = (
            select(AuditRecord)
            .where(col(AuditRecord.resident) == pseudonym)
            .order_by(col(AuditRecord.seq).desc())
            .limit(limit)
        )
        return session.scalars(stmt).all()

    def resident_log(
        self,
        session: Session,
        pseudonym: str,
        *,
        held_back_from: Mapping[str, str],
        limit: int = 50,
        before_seq: int | None = None,
        since: str | None = None,
        until: str | None = None,
        category: str | None = None,
    ) -> tuple[Sequence[AuditRecord], int]:
        """One page of a resident's records, newest first, and how many are held back.

        `held_back_from` maps a confidential activity to an RFC 3339 time: its records that
        occurred at or after it are not returned, only counted. `since`/`until` bound
        `occurred_at` (RFC 3339 strings of one fixed format compare as times). The log's own
        bookkeeping is not part of the page: `access_log.*` events, the resident's own reads
        of their questions (`question.read` by the resident; the privacy officer's stay), and
        looks at the log that were not a look at her data: her own, and refused ones (e.g.
        another resident walking entry numbers); a privacy officer's allowed look is.
        """
        rec = AuditRecord
        base: list[ColumnElement[bool]] = [
            col(rec.resident) == pseudonym,
            not_(col(rec.event_type).startswith("access_log.")),
            not_(and_(col(rec.event_type) == "question.read", col(rec.subject_id) == pseudonym)),
            not_(
                and_(
                    col(rec.event_type) == "audit_log.read",
                    or_(col(rec.subject_id) == pseudonym, not_(col(rec.allowed))),
                )
            ),
        ]
        if since:
            base.append(col(rec.occurred_at) >= since)
        if until:
            base.append(col(rec.occurred_at) < until)
        if category:
            base.append(col(rec.category) == category)
        held = [
            and_(col(rec.processing_activity) == act, col(rec.occurred_at) >= cutoff)
            for act, cutoff in sorted(held_back_from.items())
        ]
        page = select(rec).where(*base)
        if held:
            page = page.where(not_(or_(*held)))
        if before_seq is not None:
            page = page.where(col(rec.seq) < before_seq)
        records = session.scalars(page.order_by(col(rec.seq).desc()).limit(limit)).all()
        held_back = 0
        if held:
            held_back = int(
                session.scalar(select(func.count()).select_from(rec).where(*base, or_(*held))) or 0
            )
        return records, held_back

    def iter_rows(
        self,
        session: Session,
        batch: int = 1000,
        after: int = 0,
        *,
        with_policy_input: bool = True,
        municipality: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record after `after` as a plain dict, in `seq` order, fetched in batches.

        `with_policy_input=False` leaves out the stored policy input, the largest column (its
        digest, `policy_input_sha256`, is part of the hashed payload and stays in).
        `municipality`: only the records that municipality's privacy officer supervises
        (`supervising_municipality`).
        """
        last = after
        table = SQLModel.metadata.tables["audit_records"]  # Core rows: no ORM objects
        columns = [c for c in table.columns if with_policy_input or c.name != "policy_input"]
        while True:
            stmt = select(*columns).where(table.c.seq > last)
            if municipality is not None:
                stmt = stmt.where(supervised_by(municipality))
            stmt = stmt.order_by(table.c.seq).limit(batch)
            rows = session.execute(stmt).mappings().all()
            if not rows:
                return
            for r in rows:
                yield dict(r)
            last = rows[-1]["seq"]

    def verify(self, session: Session) -> ChainReport:
        """Recompute the whole chain."""
        return verify_rows(self.iter_rows(session))
