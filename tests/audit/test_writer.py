"""Group commit: each caller gets its own records back, durable; a failed batch fails everyone."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from audit import AuditStore, AuditWriteFailed, GroupCommitWriter
from gateway.db import make_engine
from tests.factories import make_entry


def _in_threads(run: Callable[[int], None], n: int) -> None:
    threads = [threading.Thread(target=run, args=(t,)) for t in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def test_callers_get_their_own_durable_records_in_shared_batches(engine: Engine) -> None:
    writer = GroupCommitWriter(engine, AuditStore())
    got: dict[int, list[str]] = {}

    def run(t: int) -> None:
        got[t] = []
        for i in range(15):
            (rec,) = writer.append([make_entry(request_id=f"t{t}-{i}")])
            got[t].append(rec.request_id)

    _in_threads(run, 8)
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


def test_group_commit_writes_the_rows_the_store_writes(engine: Engine) -> None:
    """On PostgreSQL the writer appends over its own psycopg connection (audit/pg_append.py),
    not through AuditStore: the rows must be the same, column for column, and the chain one."""
    store = AuditStore()
    odd: dict[str, Any] = {
        "details": {"parent_span_id": "00f067aa0ba902b7"},
        "redacted": ["content"],
        "reason_codes": ["legal_flow", "ö-ünïcode"],
        "consent_id": "c-1",
        "basis_type": None,
    }
    pairs: list[tuple[str, dict[str, Any]]] = [
        ("plain", {}),
        ("no-input", {"policy_input": None}),
        ("odd", odd),
    ]
    for name, extra in pairs:
        with Session(engine) as s:
            store.append(s, [make_entry(request_id=f"store-{name}", record_id=name, **extra)])
            s.commit()
    writer = GroupCommitWriter(engine, store)
    for name, extra in pairs:
        writer.append([make_entry(request_id=f"writer-{name}", record_id=name, **extra)])
    writer.close()

    with Session(engine) as s:
        rows = {r["request_id"]: r for r in store.iter_rows(s)}
        assert store.verify(s).ok
    own = {"seq", "prev_hash", "hash", "leaf_hash", "request_id", "trace_id", "span_id"}
    for name, _ in pairs:
        a, b = rows[f"store-{name}"], rows[f"writer-{name}"]
        assert {k: v for k, v in a.items() if k not in own} == {
            k: v for k, v in b.items() if k not in own
        }, name
    if engine.dialect.name == "postgresql":  # JSON null, not SQL NULL, as SQLAlchemy writes
        with engine.connect() as c:
            kinds = c.execute(
                text("SELECT request_id, policy_input IS NULL FROM audit_records ORDER BY seq")
            ).all()
        assert {r for r, is_null in kinds if is_null} == set()


def test_announced_appends_share_one_commit(engine: Engine) -> None:
    """While announced appends are on their way the writer lingers for them: eight
    requests that announce before any of them appends end in a single transaction."""
    writer = GroupCommitWriter(engine, AuditStore(), linger=10.0)
    announced = threading.Barrier(8)
    errors: list[BaseException] = []

    def run(t: int) -> None:
        try:
            with writer.expecting() as ticket:
                announced.wait(timeout=10)
                writer.append([make_entry(request_id=f"a{t}")], ticket)
        except BaseException as exc:  # noqa: BLE001  (re-raised below)
            errors.append(exc)

    _in_threads(run, 8)
    writer.close()
    assert not errors
    assert writer.batches == 1
    with Session(engine) as s:
        assert len(list(AuditStore().iter_rows(s))) == 8
        assert AuditStore().verify(s).ok


def test_an_announcement_that_never_appends_does_not_hold_the_writer(engine: Engine) -> None:
    """A decision that fails before its append withdraws its ticket when its block ends; the
    writer does not wait out its linger for it (here 60 s: the test would time out)."""
    writer = GroupCommitWriter(engine, AuditStore(), linger=60.0, timeout=20.0)
    with pytest.raises(RuntimeError), writer.expecting():
        raise RuntimeError("the policy engine failed")
    done = threading.Event()

    def append() -> None:
        writer.append([make_entry()])
        done.set()

    th = threading.Thread(target=append, daemon=True)
    th.start()
    assert done.wait(timeout=10), "the writer waited for a withdrawn announcement"
    writer.close()
