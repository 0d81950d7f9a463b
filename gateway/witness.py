"""The gateway's own memory of the log, outside the database: the last checkpoint it signed.

Restoring an old backup of the database silently removes entries residents may already have
seen. So the checkpointer keeps the last checkpoint it signed (or found signed by another
replica) in a file next to its key (`DOELBINDING_AUDIT__LAST_CHECKPOINT_FILE`), and before it
signs, and when the gateway starts, it checks that the database's tree extends that
checkpoint: its stored heads must make the same root at that size (`audit.witness`). A
smaller or different tree is refused (LogRolledBack) until an operator acknowledges the
restore with `doelbinding audit accept-restore`, which is itself audited.

The file holds the signed note, so it proves itself; several processes on one machine share
it and take turns through a lock file, and it only ever grows.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from audit import BadNote, Checkpoint, LogRolledBack, VerifierKey, open_note_any
from audit.tree import latest_checkpoint
from audit.witness import check_database

if TYPE_CHECKING:
    from gateway.checkpointer import Checkpointer


class LocalWitness:
    def __init__(self, path: Path, keys: Sequence[VerifierKey], origin: str) -> None:
        self.path = path
        self._keys = list(keys)
        self._origin = origin

    def _open(self, note: str) -> Checkpoint:
        cp = open_note_any(note, self._keys)
        if cp.origin != self._origin:
            raise BadNote("signed for another origin")
        return cp

    def seen(self) -> Checkpoint | None:
        """The checkpoint in the file (None: none yet); BadNote if the file does not verify."""
        try:
            note = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return self._open(note)

    def check(self, session: Session) -> str | None:
        """Raise LogRolledBack unless the database's tree extends the checkpoint in the file;
        return the note of the database's latest checkpoint (None: there is none)."""
        seen = self.seen()
        last = latest_checkpoint(session)
        if seen is not None:
            growth, now = check_database(session, seen)
            if not growth.ok:
                raise LogRolledBack(growth.value, seen.tree_size, now)
        return last.note if last is not None else None

    @staticmethod
    def check_database_only(session: Session) -> str | None:
        """The note of the database's latest checkpoint, without a comparison."""
        last = latest_checkpoint(session)
        return last.note if last is not None else None

    def forget(self) -> Path | None:
        """Set the file aside (a database with no checkpoint at all, adopted in warn mode)."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        with self._locked():
            if not self.path.exists():
                return None
            old = self.path.with_name(f"{self.path.name}.superseded-{stamp}")
            os.replace(self.path, old)
            return old

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _write(self, note: str) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(note)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def record(self, note: str) -> None:
        """Keep `note` if it is larger than the checkpoint in the file (only ever grows)."""
        new = self._open(note)
        with self._locked():
            seen = self.seen()
            if seen is None or new.tree_size > seen.tree_size:
                self._write(note)

    def accept(self, note: str, now: datetime | None = None) -> Path | None:
        """After an acknowledged restore: keep `note` even though it is smaller; the old file
        is kept beside it (returned)."""
        self._open(note)
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        with self._locked():
            old: Path | None = None
            if self.path.exists():
                old = self.path.with_name(f"{self.path.name}.superseded-{stamp}")
                os.replace(self.path, old)
            self._write(note)
        return old


#: What still answers while the log is refused: health, and the public proofs, so monitors and
#: residents' browsers can see for themselves what happened.
STILL_SERVED = ("/health", "/ready", "/v1/audit/checkpoint", "/v1/audit/keys",
                "/v1/audit/public-key", "/v1/audit/proofs/", "/static/")  # fmt: skip


class RefuseAfterRollback:
    """503 for every request while the checkpointer finds the database rolled back (a backup
    restored under a running gateway): no decision is made or appended onto a log that lost
    entries, until an operator runs `doelbinding audit accept-restore`."""

    def __init__(self, app: ASGIApp, checkpointer: Checkpointer | None) -> None:
        self.app = app
        self.checkpointer = checkpointer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused = self.checkpointer.refused if self.checkpointer is not None else None
        path = str(scope.get("path", ""))
        if refused is None or scope["type"] != "http" or path.startswith(STILL_SERVED):
            await self.app(scope, receive, send)
            return
        body = {"code": "audit_rolled_back", "detail": str(refused)}
        await JSONResponse(body, status_code=503)(scope, receive, send)
