"""Group commit: many requests' appends in one transaction, each caller waiting for its own.

    request A ─┐                        ┌─▶ A returns its records (durable)
    request B ─┼─▶ queue ─▶ writer ─────┼─▶ B returns its records (durable)
    request C ─┘           thread:      └─▶ C returns its records (durable)
                           lock, insert A B C, COMMIT

One writer thread per process drains the queue: everything that queued while the previous
transaction was committing goes into the next one, so the batch grows with the load and one
COMMIT (one fsync, one turn of the chain's lock) covers many requests. Every caller still
returns only after the COMMIT that made its own records durable.

One caller's bad row must not fail the others (issue 12, finding 1):

- a row no database would store (too long for its column, a NUL, a lone surrogate) is refused
  on the caller's thread before it joins a batch (`AuditEntryInvalid`, audit/checks.py);
- if the database still refuses a batch (a constraint the checks do not know), the batch is
  rolled back and each caller's records are retried in a transaction of their own: only the
  caller whose records are refused again gets AuditWriteFailed.

A batch that fails for the connection (the server went away, perhaps during COMMIT) is not
retried: whether it committed is unknown, so every caller in it gets AuditWriteFailed (fail
closed) rather than a second copy of its records.
(A leader/follower scheme without the thread batched badly: an unfair mutex lets the thread
that just committed lead again with a batch of one.)
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session

from audit import pg_append
from audit.checks import check_entry
from audit.errors import AuditError, AuditWriteFailed
from audit.models import AuditEntry, AuditRecord
from audit.store import AuditStore


@dataclass
class Ticket:
    """An append announced by `expecting`; `used` once it is queued or withdrawn."""

    used: bool = False


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
        self,
        engine: Engine,
        store: AuditStore,
        max_batch: int = 1000,
        timeout: float = 30.0,
        linger: float = 0.0,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._max_batch = max_batch
        self._timeout = timeout
        self._linger = linger
        #: Told (records in the batch, records still queued) as each batch is taken.
        self._on_batch = on_batch
        self._coming = 0  # announced (`expecting`) and not yet queued
        self._queue: list[_Pending] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._conn: Connection | None = None  # SQLite (tests): a session per batch
        self._raw: psycopg.Connection[Any] | None = None  # PostgreSQL: audit/pg_append.py
        self._pg = engine.dialect.name == "postgresql"
        self.batches = 0  # how many transactions it took (for the bench and tests)
        self.retried = 0  # batches refused by the database and retried caller by caller

    def append(
        self, entries: Sequence[AuditEntry], ticket: Ticket | None = None
    ) -> list[AuditRecord]:
        # Built by the caller, after the COMMIT: not on the writer thread, not under the lock.
        return [AuditRecord.model_validate(r) for r in self.append_rows(entries, ticket)]

    @contextlib.contextmanager
    def expecting(self) -> Iterator[Ticket]:
        """Announce an append on its way (a decision being made) for the duration of the
        block; pass the ticket to `append_rows`. While announced appends are on their way,
        the writer lingers up to `linger` seconds before it commits, so that one COMMIT
        carries more records (PostgreSQL's `commit_delay` with `commit_siblings` is the
        same idea). A ticket never used to append is withdrawn when the block ends."""
        ticket = Ticket()
        with self._cond:
            self._coming += 1
        try:
            yield ticket
        finally:
            with self._cond:
                self._arrived(ticket)

    def _arrived(self, ticket: Ticket | None) -> None:
        # Under self._cond.
        if ticket is not None and not ticket.used:
            ticket.used = True
            self._coming -= 1
            self._cond.notify()

    def append_rows(
        self, entries: Sequence[AuditEntry], ticket: Ticket | None = None
    ) -> list[dict[str, Any]]:
        """`append`, returning the committed rows as plain dicts."""
        try:
            for entry in entries:
                check_entry(entry)  # before the queue: a bad row never joins a batch
        except AuditError:
            with self._cond:
                self._arrived(ticket)
            raise
        mine = _Pending(entries)
        with self._cond:
            self._arrived(ticket)
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

    @property
    def closed(self) -> bool:
        return self._closed

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
                self._linger_for_siblings()
                batch = self._take()
                queued = self._queued()
            if self._on_batch is not None:
                self._on_batch(sum(len(p.entries) for p in batch), queued)
            self._commit(batch)
        self._discard()

    def _append_pg(self, entries: list[AuditEntry]) -> list[dict[str, Any]]:
        # A connection of its own, kept between batches: no pool checkout per batch.
        if self._raw is None:
            self._raw = pg_append.connect(self._engine)
        elif self._raw.broken or self._raw.closed:
            self._discard()
            self._raw = pg_append.connect(self._engine)
        try:
            return pg_append.append(self._raw, entries)
        except pg_append.NothingSent:
            # The kept connection was dropped by the server (a restart) before this batch
            # sent anything: retrying on a new one cannot write it twice.
            self._discard()
            self._raw = pg_append.connect(self._engine)
            return pg_append.append(self._raw, entries)

    def _append_session(self, entries: list[AuditEntry]) -> list[dict[str, Any]]:
        if self._conn is None:
            self._conn = self._engine.connect()
        with Session(bind=self._conn, expire_on_commit=False) as session:
            rows = self._store.append_rows(session, entries)
            session.commit()
            return rows  # only now: the COMMIT returned

    def _discard(self) -> None:
        """Close the connection after a failure (or at the end): an open transaction is
        rolled back by the server, and the next batch starts on a fresh connection."""
        if self._raw is not None:
            with contextlib.suppress(psycopg.Error):
                self._raw.close()
            self._raw = None
        if self._conn is not None:
            self._conn.invalidate()
            self._conn.close()
            self._conn = None

    def _linger_for_siblings(self) -> None:
        # Under self._cond, with something queued: wait (at most `linger`) while announced
        # appends are still on their way and the batch has room.
        if self._linger <= 0 or self._coming <= 0:
            return
        deadline = time.monotonic() + self._linger
        while self._coming > 0 and not self._closed and self._queued() < self._max_batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._cond.wait(remaining)

    def _queued(self) -> int:
        return sum(len(p.entries) for p in self._queue)

    def _take(self) -> list[_Pending]:
        taken: list[_Pending] = []
        n = 0
        while self._queue and (not taken or n + len(self._queue[0].entries) <= self._max_batch):
            p = self._queue.pop(0)
            taken.append(p)
            n += len(p.entries)
        return taken

    def _write(self, entries: list[AuditEntry]) -> list[dict[str, Any]]:
        return self._append_pg(entries) if self._pg else self._append_session(entries)

    def _commit(self, batch: list[_Pending]) -> None:
        entries = [e for p in batch for e in p.entries]
        error = "interrupted"
        written: list[dict[str, Any]] | None = None
        retry = False
        try:
            written = self._write(entries)
        except _WRITE_ERRORS as exc:
            error = type(exc).__name__
            # Refused for its data, not lost with its connection: nothing was committed, so
            # the callers' records can be tried one caller at a time.
            retry = len(batch) > 1 and not isinstance(exc, _IN_DOUBT)
        finally:
            # Whatever happened, nobody in this batch may wait forever or pass as written.
            if written is None:
                self._discard()
                if not retry:
                    for p in batch:
                        p.error = error
                        p.done.set()
        if written is None:
            if retry:
                self.retried += 1
                for p in batch:
                    self._commit([p])
            return
        self.batches += 1
        at = 0
        for p in batch:
            p.rows = written[at : at + len(p.entries)]
            at += len(p.entries)
            p.done.set()


#: What a failed batch can raise. ValueError: a driver that cannot encode a value (a lone
#: surrogate) raises UnicodeEncodeError before anything is sent.
_WRITE_ERRORS = (SQLAlchemyError, psycopg.Error, AuditError, ValueError)
#: Failures of the connection rather than of the rows: the COMMIT may have happened.
_IN_DOUBT = (psycopg.OperationalError, OperationalError)
