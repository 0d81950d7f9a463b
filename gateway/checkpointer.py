"""The checkpoint signer and the background checkpointer of the audit tree.

A daemon thread signs a checkpoint at least every `interval` seconds while there are new
entries, and sooner when the enforcement point reports `every` new entries. Several gateway
processes (workers, replicas) each run one: the tree's own lock makes them take turns, and a
timed turn signs only if no process signed within the last interval, so the log gets one
checkpoint per interval, not one per process (tests/deploy/test_replicas.py counts them).
A failure (database down, a record that no longer fits the chain) is logged and retried; it
never signs a log it could not verify.

With a `LocalWitness` (gateway/witness.py) it also refuses to sign a database whose tree does
not extend the last checkpoint this machine signed or saw, and records each new one there.
In `warn` mode (development's default) it logs such a rollback and adopts the database's
state instead, so deleting the demo database is not an incident.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from pathlib import Path

import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from audit import AuditCheckpoint, AuditError, LogRolledBack, NoteSigner, checkpoint
from gateway.clock import Clock, rfc3339
from gateway.db import session_scope
from gateway.witness import LocalWitness

log = structlog.get_logger("doelbinding.checkpointer")


def load_or_create_signing_key(path: Path, *, create: bool = True) -> Ed25519PrivateKey:
    """The Ed25519 key at `path`; generated (PEM, mode 0600) on first use when `create`."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        if not create:
            raise
    else:
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    new = Ed25519PrivateKey.generate()
    pem = new.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Write a complete temp file, then hard-link it into place: concurrent first use ends
    # with one key that every process reads.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return load_or_create_signing_key(path, create=False)


class Checkpointer:
    def __init__(
        self,
        engine: Engine,
        signer: NoteSigner,
        origin: str,
        clock: Clock,
        *,
        interval: float = 1.0,
        every: int = 1000,
        witness: LocalWitness | None = None,
        refuse_rollback: bool = True,
    ) -> None:
        self._engine = engine
        self.witness = witness
        self._refuse_rollback = refuse_rollback
        #: Set while the database does not extend the witnessed checkpoint (refusing mode):
        #: the gateway then answers 503 (gateway/witness.py, RefuseAfterRollback).
        self.refused: LogRolledBack | None = None
        self.signer = signer
        self.origin = origin
        self._clock = clock
        self._interval = interval
        self._every = every
        self._pending = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, *, throttled: bool = False) -> AuditCheckpoint | None:
        """Sign a checkpoint of everything appended so far; None if nothing is new (or, when
        `throttled`, if any process signed one within the last interval).

        LogRolledBack if the database does not extend the last checkpoint witnessed here."""
        latest = self.check_witness()
        now = self._clock()
        after = rfc3339(now - int(self._interval * 1e9)) if throttled else None
        with session_scope(self._engine) as session:
            cp = checkpoint(
                session, self.signer, self.origin, rfc3339(now), unless_signed_after=after
            )
            note = cp.note if cp is not None else None
        if self.witness is not None and (note or latest):
            self.witness.record(note or latest or "")
        return cp

    def check_witness(self) -> str | None:
        """Check the database against the witnessed checkpoint (LogRolledBack, or a warning
        and adoption of the database's state when not refusing); the latest note, if any."""
        if self.witness is None:
            return None
        with session_scope(self._engine) as session:
            try:
                latest = self.witness.check(session)
            except LogRolledBack as exc:
                if self._refuse_rollback:
                    self.refused = exc
                    raise
                log.warning("audit_log_rolled_back", detail=str(exc), refused=False)
                latest = self.witness.check_database_only(session)
            else:
                self.refused = None
                return latest
        if latest is not None:
            self.witness.accept(latest)
        else:
            self.witness.forget()
        return latest

    def appended(self, n: int) -> None:
        """Called after appends: wakes the thread once `every` entries are waiting."""
        with self._lock:
            self._pending += n
            if self._pending >= self._every:
                self._pending = 0
                self._wake.set()

    def start(self) -> None:
        if self._interval <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="audit-checkpointer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            woken = self._wake.wait(self._interval)  # True: `every` entries are waiting
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                cp = self.run_once(throttled=not woken)
            except LogRolledBack as exc:
                log.error("audit_log_rolled_back", detail=str(exc), refused=True)
                continue
            except (SQLAlchemyError, AuditError) as exc:
                log.error("checkpoint_failed", error=type(exc).__name__)
                continue
            except Exception as exc:  # noqa: BLE001 - the thread must outlive any one turn
                # Anything else (the witness file's disk, a note that does not open) is logged
                # and retried next turn: a dead thread would leave the log unsigned while the
                # gateway goes on answering.
                log.error("checkpoint_failed", error=type(exc).__name__, unexpected=True)
                continue
            if cp is not None:
                log.info("checkpoint_signed", tree_size=cp.tree_size)
