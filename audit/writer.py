"""Group commit: many requests' appends in one transaction, each caller waiting for its own.

    request A ─┐                      ┌─▶ A returns its records (durable)
    request B ─┼─▶ queue ─▶ leader ───┼─▶ B returns its records (durable)
    request C ─┘   one transaction:   └─▶ C returns its records (durable)
                   lock, insert A B C, COMMIT

Leader/follower, no background thread: a caller queues its entries, then takes the commit
mutex. Whoever holds it drains the whole queue into one transaction and commits; callers that
queued meanwhile find their entries already done when they get the mutex, or lead the next
batch. One COMMIT (one fsync) then covers many requests, which is what lifts throughput when
the chain's lock is held until commit. Every caller still returns only after the COMMIT that
made its own records durable; if that transaction fails, every caller in it gets
AuditWriteFailed (fail closed) and nothing of the batch is stored.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from audit.errors import AuditError, AuditWriteFailed
from audit.models import AuditEntry, AuditRecord
from audit.store import AuditStore


@dataclass
class _Pending:
    entries: Sequence[AuditEntry]
    done: bool = False
    records: list[AuditRecord] = field(default_factory=list)
    error: str | None = None


class GroupCommitWriter:
    """Appends through its own engine; `append` returns once the records are committed."""

    def __init__(self, engine: Engine, store: AuditStore, max_batch: int = 512) -> None:
        self._engine = engine
        self._store = store
        self._max_batch = max_batch
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self.batches = 0  # how many transactions it took (for the bench and tests)

    def append(self, entries: Sequence[AuditEntry]) -> list[AuditRecord]:
        mine = _Pending(entries)
        with self._queue_lock:
            self._queue.append(mine)
        while True:
            with self._commit_lock:
                if mine.done:
                    break
                with self._queue_lock:
                    batch = self._take()
                if not batch:  # cannot happen: our entry was queued and is not done
                    mine.error, mine.done = "lost", True
                    break
                self._commit(batch)
        if mine.error is not None:
            raise AuditWriteFailed(mine.error)
        return mine.records

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
        written: list[AuditRecord] | None = None
        try:
            with Session(self._engine, expire_on_commit=False) as session:
                records = self._store.append(session, [e for p in batch for e in p.entries])
                session.commit()
                written = records  # only now: the COMMIT returned
        except (SQLAlchemyError, AuditError) as exc:
            error = type(exc).__name__
        finally:
            # Whatever happened, nobody in this batch may wait forever or pass as written.
            if written is None:
                for p in batch:
                    p.error, p.done = error, True
        if written is None:
            return
        self.batches += 1
        at = 0
        for p in batch:
            p.records = written[at : at + len(p.entries)]
            at += len(p.entries)
            p.done = True
