"""Group commit: many requests' appends in one transaction, each caller waiting for its own.

    request A ─┐                        ┌─▶ A returns its records (durable)
    request B ─┼─▶ queue ─▶ writer ─────┼─▶ B returns its records (durable)
    request C ─┘           thread:      └─▶ C returns its records (durable)
                           lock, insert A B C, COMMIT

One writer thread per process drains the queue: everything that queued while the previous
transaction was committing goes into the next one, so the batch grows with the load and one
COMMIT (one fsync, one turn of the chain's lock) covers many requests. Every caller still
returns only after the COMMIT that made its own records durable; if that transaction fails,
every caller in it gets AuditWriteFailed (fail closed) and nothing of the batch is stored.
(A leader/follower scheme without the thread batched badly: an unfair mutex lets the thread
that just committed lead again with a batch of one.)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from audit.errors import AuditError, AuditWriteFailed
from audit.models import AuditEntry, AuditRecord
from audit.store import AuditStore


@dataclass
class _Pending:
    entries: Sequence[AuditEntry]
    done: threading.Event = field(default_factory=threading.Event)
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


class GroupCommitWriter:
    """Appends through a connection of its own; `append` returns once the records are
    committed, or raises AuditWriteFailed."""

    def __init__(
        self, engine: Engine, store: AuditStore, max_batch: int = 1000, timeout: float = 30.0
    ) -> None:
        self._engine = engine
        self._store = store
        self._max_batch = max_batch
        self._timeout = timeout
        self._queue: list[_Pending] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._conn: Connection | None = None
        self.batches = 0  # how many transactions it took (for the bench and tests)

    def append(self, entries: Sequence[AuditEntry]) -> list[AuditRecord]:
        # Built by the caller, after the COMMIT: not on the writer thread, not under the lock.
        return [AuditRecord.model_validate(r) for r in self.append_rows(entries)]

    def append_rows(self, entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
        """`append`, returning the committed rows as plain dicts."""
        mine = _Pending(entries)
        with self._cond:
            if self._closed:
                raise AuditWriteFailed("writer closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="audit-group-commit", daemon=True
                )
                self._thread.start()
            self._queue.append(mine)
            self._cond.notify()
        if not mine.done.wait(self._timeout):
            # Fail closed. The batch may still commit later: an audit record of a request
            # that was refused is harmless; an answer without a durable record is not.
            raise AuditWriteFailed("timeout")
        if mine.error is not None:
            raise AuditWriteFailed(mine.error)
        return mine.rows

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:  # closed and drained
                    break
                batch = self._take()
            self._commit(batch)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _take(self) -> list[_Pending]:
        taken: list[_Pending] = []
        n = 0
        while self._queue and (not taken or n + len(self._queue[0].entries) <= self._max_batch):
            p = self._queue.pop(0)
            taken.append(p)
            n += len(p.entries)
        return taken

    def _commit(self, batch: list[_Pending]) -> None:
        error = "interrupted"
        written: list[dict[str, Any]] | None = None
        try:
            # A connection of its own, kept between batches: no pool checkout (and pre-ping
            # round trip) per batch. Any failure discards it.
            if self._conn is None:
                self._conn = self._engine.connect()
            with Session(bind=self._conn, expire_on_commit=False) as session:
                rows = self._store.append_rows(session, [e for p in batch for e in p.entries])
                session.commit()
                written = rows  # only now: the COMMIT returned
        except (SQLAlchemyError, AuditError) as exc:
            error = type(exc).__name__
        finally:
            # Whatever happened, nobody in this batch may wait forever or pass as written.
            if written is None:
                if self._conn is not None:
                    self._conn.invalidate()
                    self._conn.close()
                    self._conn = None
                for p in batch:
                    p.error = error
                    p.done.set()
        if written is None:
            return
        self.batches += 1
        at = 0
        for p in batch:
            p.rows = written[at : at + len(p.entries)]
            at += len(p.entries)
            p.done.set()
