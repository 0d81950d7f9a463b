"""Many processes, group commit and kill -9, on PostgreSQL (and the crash test on SQLite too).

Acceptance (issue 5): 8 processes x 2,000 appends, then `audit verify` passes, seq is gapless
and the count is exact.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from audit import AuditRecord, AuditStore, NoteSigner, checkpoint, verify_log
from gateway.db import session_scope
from tests.audit.workers import append_forever, group_commit_worker

ORIGIN = "doelbinding.test/audit"
PROCESSES, THREADS, PER_THREAD = 8, 8, 250  # 8 x 2,000 appends

only_postgres = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


def _verify(engine: Engine) -> None:
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    with session_scope(engine) as s:
        checkpoint(s, signer, ORIGIN, "2026-11-29T00:00:00.000000Z")
    with Session(engine) as s:
        report = verify_log(s, ORIGIN, signer.public_key, ORIGIN)
    assert report.ok, report


def _spawn(monkeypatch: pytest.MonkeyPatch) -> multiprocessing.context.SpawnContext:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    return multiprocessing.get_context("spawn")


@only_postgres
def test_eight_processes_two_thousand_appends_each(
    database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _spawn(monkeypatch)
    barrier = ctx.Barrier(PROCESSES)
    procs = [
        ctx.Process(
            target=group_commit_worker, args=(database_url, w, THREADS, PER_THREAD, barrier)
        )
        for w in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)

    assert [p.exitcode for p in procs] == [0] * PROCESSES
    with Session(engine) as s:
        rows = s.execute(
            select(col(AuditRecord.seq), col(AuditRecord.request_id)).order_by(col(AuditRecord.seq))
        ).all()
    total = PROCESSES * THREADS * PER_THREAD
    assert [r[0] for r in rows] == list(range(1, total + 1))  # gapless, exact count
    ids = [r[1] for r in rows]
    assert len(set(ids)) == total
    for w in range(PROCESSES):
        for t in range(THREADS):
            mine = [i for i in ids if i.startswith(f"p{w}-t{t}-")]
            assert mine == [f"p{w}-t{t}-{i}" for i in range(PER_THREAD)]  # each thread in order
    _verify(engine)


def test_kill_9_mid_append_leaves_no_half_written_entry(
    database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _spawn(monkeypatch)
    proc = ctx.Process(target=append_forever, args=(database_url, 4))
    proc.start()
    deadline = time.monotonic() + 60
    count = 0
    while count < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
        with Session(engine) as s:
            count = int(s.scalar(select(func.count()).select_from(AuditRecord)) or 0)
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(timeout=30)
    assert proc.exitcode == -signal.SIGKILL

    with Session(engine) as s:
        rows = list(AuditStore().iter_rows(s))
    assert len(rows) >= 300
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    # Every request's pair of entries is whole: a batch commits entirely or not at all.
    counts = Counter(r["request_id"] for r in rows)
    assert counts["pair"] * 2 == len(rows)
    assert all(n == 1 for rid, n in counts.items() if rid != "pair")
    _verify(engine)  # "after a restart": a fresh engine, checkpoint, full verification
