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
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from audit.chain import ChainReport, canonical, input_digest, payload_of, verify_rows
from audit.errors import AuditWriteFailed
from audit.merkle import leaf_hash
from audit.models import GENESIS_HASH, AuditEntry, AuditRecord

# Any constant works; it only has to be the same for every writer.
PG_APPEND_LOCK = 0x646F656C  # "doel"


class AuditStore:
    """SQL audit store for SQLite and PostgreSQL (the same code; the lock differs)."""

    def append(self, session: Session, entries: Sequence[AuditEntry]) -> list[AuditRecord]:
        """Append `entries` in order, in the caller's transaction, and flush them.

        The caller commits; until then nothing is visible, and a rollback leaves no trace.
        """
        try:
            self._lock(session)
            head = session.execute(
                select(col(AuditRecord.seq), col(AuditRecord.hash))
                .order_by(col(AuditRecord.seq).desc())
                .limit(1)
            ).first()
            seq, prev = (head[0], head[1]) if head else (0, GENESIS_HASH)
            written: list[AuditRecord] = []
            for entry in entries:
                seq += 1
                row: dict[str, Any] = entry.model_dump()
                row["seq"] = seq
                row["prev_hash"] = prev
                row["policy_input_sha256"] = input_digest(entry.policy_input)
                data = canonical(payload_of(row))
                row["hash"] = hashlib.sha256(data).hexdigest()
                row["leaf_hash"] = leaf_hash(data).hex()
                record = AuditRecord.model_validate(row)
                session.add(record)
                written.append(record)
                prev = row["hash"]
            session.flush()
        except SQLAlchemyError as exc:
            raise AuditWriteFailed(type(exc).__name__) from exc
        return written

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

    def iter_rows(
        self, session: Session, batch: int = 1000, after: int = 0
    ) -> Iterator[dict[str, Any]]:
        """Every record after `after` as a plain dict, in `seq` order, fetched in batches."""
        last = after
        while True:
            stmt = (
                select(AuditRecord)
                .where(col(AuditRecord.seq) > last)
                .order_by(col(AuditRecord.seq))
                .limit(batch)
            )
            rows = session.scalars(stmt).all()
            if not rows:
                return
            for r in rows:
                yield r.model_dump()
            last = rows[-1].seq

    def verify(self, session: Session) -> ChainReport:
        """Recompute the whole chain."""
        return verify_rows(self.iter_rows(session))
