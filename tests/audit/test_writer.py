"""Group commit: each caller gets its own records back, durable; a failed batch fails everyone."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from audit import AuditStore, AuditWriteFailed, GroupCommitWriter
from gateway.db import make_engine
from tests.factories import make_entry


def test_callers_get_their_own_durable_records_in_shared_batches(engine: Engine) -> None:
    writer = GroupCommitWriter(engine, AuditStore())
    got: dict[int, list[str]] = {}

    def run(t: int) -> None:
        got[t] = []
        for i in range(15):
            (rec,) = writer.append([make_entry(request_id=f"t{t}-{i}")])
            got[t].append(rec.request_id)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    writer.close()

    assert got == {t: [f"t{t}-{i}" for i in range(15)] for t in range(8)}
    with Session(engine) as s:
        rows = list(AuditStore().iter_rows(s))
        assert AuditStore().verify(s).ok
    assert len(rows) == 120
    assert writer.batches <= 120


def test_a_failed_batch_fails_every_caller_in_it(tmp_path: Path) -> None:
    broken = make_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")  # never migrated
    writer = GroupCommitWriter(broken, AuditStore())
    with pytest.raises(AuditWriteFailed):
        writer.append([make_entry()])
    with pytest.raises(AuditWriteFailed):  # and again: no stale connection, no hang
        writer.append([make_entry()])
    writer.close()
    with pytest.raises(AuditWriteFailed, match="closed"):
        writer.append([make_entry()])
    broken.dispose()
