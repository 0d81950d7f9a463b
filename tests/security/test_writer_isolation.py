"""Finding 1 of issue 12: one client's bad row must not fail other clients' requests.

The group-commit writer puts the audit records of concurrent requests in one transaction. A row
the database refuses used to fail the whole batch (503 for everyone in it). Now a row is
checked (column lengths, no NUL, no lone surrogate) before it joins a batch, and a batch the
database still refuses is retried request by request, so only the bad request fails.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from audit import AuditStore, AuditWriteFailed, GroupCommitWriter
from audit.errors import AuditEntryInvalid
from tests.factories import make_entry

BAD_ROWS = {
    "event_type too long": {"event_type": "x" * 65 + ".read"},
    "record id too long": {"record_id": "r" * 81},
    "NUL in a column": {"resource_team": "wt-\x00oost"},
    "NUL in a list": {"subject_teams": ["wt-\x00"]},
    "NUL in the policy input": {"policy_input": {"resource": {"id": "\x00"}}},
    "lone surrogate": {"record_id": "r-\ud800"},
    "lone surrogate in details": {"details": {"parent_span_id": "\udfff"}},
}


@pytest.fixture
def writer(engine: Engine) -> Iterator[GroupCommitWriter]:
    w = GroupCommitWriter(engine, AuditStore(), linger=0.005)
    yield w
    w.close()


@pytest.mark.parametrize("fields", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_is_refused_before_it_joins_a_batch(writer, engine, fields) -> None:
    with pytest.raises(AuditEntryInvalid) as refused:
        writer.append([make_entry(**fields)])
    assert refused.value.field in {*fields, "policy_input"}
    assert "\x00" not in str(refused.value)  # the value is never echoed
    # The writer still works, and nothing of the bad row was written.
    (rec,) = writer.append([make_entry(request_id="after")])
    assert rec.seq == 1
    with Session(engine) as s:
        assert AuditStore().verify(s).ok


@pytest.mark.parametrize("fields", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_the_store_refuses_the_same_rows(engine, fields) -> None:
    with Session(engine) as s, pytest.raises(AuditEntryInvalid):
        AuditStore().append(s, [make_entry(**fields)])


def _refuse_poison(engine: Engine) -> None:
    """Make the database itself refuse a row the checks pass: request id `poison`."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    "ALTER TABLE audit_records ADD CONSTRAINT no_poison "
                    "CHECK (request_id <> 'poison')"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER no_poison BEFORE INSERT ON audit_records "
                    "WHEN NEW.request_id = 'poison' BEGIN SELECT RAISE(ABORT, 'poison'); END"
                )
            )


def test_a_batch_the_database_refuses_is_retried_request_by_request(engine) -> None:
    _refuse_poison(engine)
    # A long linger and announced appends: every request below lands in one batch.
    writer = GroupCommitWriter(engine, AuditStore(), linger=2.0)
    results: dict[str, str] = {}
    names = ["a", "b", "poison", "c", "d"]
    tickets = [writer.expecting() for _ in names]
    entered = [t.__enter__() for t in tickets]
    start = threading.Barrier(len(names))

    def run(i: int, name: str) -> None:
        start.wait()
        try:
            writer.append([make_entry(request_id=name)], entered[i])
            results[name] = "ok"
        except AuditWriteFailed:
            results[name] = "failed"

    threads = [threading.Thread(target=run, args=(i, n)) for i, n in enumerate(names)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    for t in tickets:
        t.__exit__(None, None, None)
    writer.close()

    assert results == {"a": "ok", "b": "ok", "poison": "failed", "c": "ok", "d": "ok"}
    assert writer.retried == 1  # the poison shared a batch, which was retried caller by caller
    with Session(engine) as s:
        rows = list(AuditStore().iter_rows(s))
        assert AuditStore().verify(s).ok
    assert sorted(r["request_id"] for r in rows) == ["a", "b", "c", "d"]
