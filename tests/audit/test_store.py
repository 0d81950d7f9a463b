"""The SQL audit store on SQLite and PostgreSQL: transactional appends, append-only, one order.

Every test gets a fresh, migrated database of its own (the `engine` fixture), so commits are
real: durability, visibility to other connections and concurrency are what is being tested.
"""

from __future__ import annotations

import multiprocessing
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col

from audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditError,
    AuditRecord,
    AuditStore,
    AuditWriteFailed,
    ChainReport,
)
from audit.chain import canonical, payload_of, record_hash
from audit.merkle import leaf_hash
from consent import give_consent, withdraw_consent
from gateway.db import make_engine, session_scope
from records import CaseRecord, create_record
from registry import Register
from tests.factories import (
    POLICY_INPUT,
    append_in_process,
    make_consent_request,
    make_entry,
    make_record,
)

NOW = 1_764_400_000_000_000_000
APPEND_ONLY_TABLES = ("audit_records", "consents", "consent_events")
store = AuditStore()


def _append(engine: Engine, *entries: AuditEntry) -> list[AuditRecord]:
    with session_scope(engine) as session:
        return store.append(session, list(entries or [make_entry()]))


def _rows(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return list(store.iter_rows(session))


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())  # noqa: S608  (table names are constants)


def _verify(engine: Engine) -> ChainReport:
    with Session(engine) as session:
        return store.verify(session)


def _assert_one_gapless_chain(rows: list[dict[str, Any]]) -> None:
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["prev_hash"] for r in rows] == [GENESIS_HASH] + [r["hash"] for r in rows[:-1]]


@pytest.fixture
def observer(database_url: str) -> Iterator[Engine]:
    """A second engine without the gateway's BEGIN IMMEDIATE: it reads while another writes."""
    eng = create_engine(database_url)
    yield eng
    eng.dispose()


# --- appends in the caller's transaction --------------------------------------------------------


def test_an_append_is_invisible_until_commit_and_a_rollback_leaves_nothing(
    engine: Engine, observer: Engine
) -> None:
    with Session(engine) as session:
        create_record(session, make_record())
        written = store.append(session, [make_entry(), make_entry()])
        assert [r.seq for r in written] == [1, 2]
        assert _count(observer, "audit_records") == 0
        session.rollback()

    assert _count(engine, "audit_records") == 0
    assert _count(engine, "case_records") == 0
    # The rolled-back positions are free again: the next append starts the chain at 1.
    assert [r.seq for r in _append(engine)] == [1]


def test_the_record_and_its_audit_entries_commit_together(engine: Engine, observer: Engine) -> None:
    with session_scope(engine) as session:
        record = create_record(session, make_record())
        store.append(session, [make_entry(record_id=record.id)])
    assert _count(observer, "audit_records") == 1
    assert _count(observer, "case_records") == 1


def test_commits_build_one_gapless_chain_that_verifies(engine: Engine) -> None:
    for batch in (1, 3, 2):
        _append(engine, *[make_entry() for _ in range(batch)])

    rows = _rows(engine)

    assert len(rows) == 6
    _assert_one_gapless_chain(rows)
    assert all(record_hash(payload_of(r)) == r["hash"] for r in rows)
    assert _verify(engine) == ChainReport(ok=True, checked=6)


def test_rows_read_back_exactly_as_appended(engine: Engine) -> None:
    """Verification recomputes hashes from stored values, so the round trip must be exact."""
    entry = make_entry(
        subject_id="medewerker-ë",
        resident=None,
        reason_codes=[],
        details={"z": "laatste", "a": "eerste"},
        policy_input={**POLICY_INPUT, "ratio": 0.1, "nested": {"list": [1, None, True]}},
    )
    _append(engine, entry)

    (row,) = _rows(engine)

    assert {k: row[k] for k in AuditEntry.model_fields} == entry.model_dump()


def test_iter_rows_pages_through_every_row_in_order(engine: Engine) -> None:
    _append(engine, *[make_entry() for _ in range(5)])
    with Session(engine) as session:
        assert [r["seq"] for r in store.iter_rows(session, batch=2)] == [1, 2, 3, 4, 5]


def test_for_resident_returns_only_that_resident_newest_first(engine: Engine) -> None:
    _append(
        engine,
        make_entry(resident="ps-a"),
        make_entry(resident="ps-b"),
        make_entry(resident="ps-a"),
        make_entry(resident="ps-a"),
    )
    with Session(engine) as session:
        assert [r.seq for r in store.for_resident(session, "ps-a")] == [4, 3, 1]
        assert [r.seq for r in store.for_resident(session, "ps-a", limit=2)] == [4, 3]
        assert store.for_resident(session, "ps-nobody") == []


def test_a_refused_write_raises_audit_write_failed(engine: Engine) -> None:
    """A failure to write is an AuditError, which the enforcement point turns into a refusal."""
    read_only = (
        "SET TRANSACTION READ ONLY"
        if engine.dialect.name == "postgresql"
        else "PRAGMA query_only = ON"
    )
    with engine.connect() as conn:
        conn.execute(text(read_only))
        with Session(bind=conn) as session, pytest.raises(AuditWriteFailed) as caught:
            store.append(session, [make_entry()])
        conn.rollback()
        conn.invalidate()  # a read-only connection must not go back to the pool
    assert isinstance(caught.value, AuditError)
    assert _count(engine, "audit_records") == 0


def test_a_second_write_at_the_same_seq_fails(engine: Engine) -> None:
    (first,) = _append(engine)
    twin = AuditRecord.model_validate(
        {**first.model_dump(), "hash": "e" * 64, "subject_id": "someone-else"}
    )
    with Session(engine) as session:
        session.add(twin)
        with pytest.raises(IntegrityError):
            session.flush()


# --- append-only: the database says no -----------------------------------------------------------


def _seed_append_only_tables(engine: Engine, register: Register) -> None:
    with session_scope(engine) as session:
        consent = give_consent(session, register, "ps-a", make_consent_request(), NOW)
        withdraw_consent(session, "ps-a", consent.id, NOW + 1)
        store.append(session, [make_entry(), make_entry()])


def _snapshot(engine: Engine) -> dict[str, list[Any]]:
    with engine.connect() as conn:
        return {
            t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]  # noqa: S608
            for t in APPEND_ONLY_TABLES
        }


_CHANGES = {
    "audit_records": ("seq", "subject_id = 'intruder'"),
    "consents": ("id", "valid_until_ns = 1"),
    "consent_events": ("id", "event = 'given'"),
}


def _attempts(dialect: str, table: str) -> dict[str, str]:
    """Every way to change or remove existing rows, as plain SQL anyone with the URL could send."""
    key, change = _CHANGES[table]
    # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT (a parser ambiguity).
    where = " WHERE true" if dialect == "sqlite" else ""
    # PostgreSQL: TRUNCATE … CASCADE, so the foreign key from consent_events is not what stops
    # it. SQLite has no TRUNCATE; an unqualified DELETE is its truncate optimisation.
    empty = f"TRUNCATE {table} CASCADE" if dialect == "postgresql" else f"DELETE FROM {table}"  # noqa: S608
    return {
        "update": f"UPDATE {table} SET {change}",  # noqa: S608  (constants only, here and below)
        "delete": f"DELETE FROM {table} WHERE 1 = 1",  # noqa: S608
        "empty": empty,
        "upsert": f"INSERT INTO {table} SELECT * FROM {table}{where} "  # noqa: S608
        f"ON CONFLICT ({key}) DO UPDATE SET {change}",
    }


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_changing_an_append_only_table_is_refused_by_the_database(
    engine: Engine, register: Register, table: str
) -> None:
    _seed_append_only_tables(engine, register)
    before = _snapshot(engine)

    for attempt, sql in _attempts(engine.dialect.name, table).items():
        with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
        assert _snapshot(engine) == before, attempt


def test_the_orm_cannot_update_or_delete_an_audit_record_either(engine: Engine) -> None:
    _append(engine)
    with Session(engine) as session:
        record = session.get_one(AuditRecord, 1)
        record.allowed = False
        with pytest.raises(IntegrityError, match="append-only"):
            session.flush()
        session.rollback()
        session.delete(session.get_one(AuditRecord, 1))
        with pytest.raises(IntegrityError, match="append-only"):
            session.flush()
    assert _verify(engine).ok


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    from gateway.db import make_engine

    path = tmp_path / "replace.db"
    shutil.copyfile(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.mark.parametrize("table", ["audit_records", "consents"])
def test_insert_or_replace_cannot_overwrite_on_sqlite(
    sqlite_engine: Engine, register: Register, table: str
) -> None:
    _seed_append_only_tables(sqlite_engine, register)
    with pytest.raises(IntegrityError, match="append-only"), sqlite_engine.begin() as conn:
        conn.execute(text(f"INSERT OR REPLACE INTO {table} SELECT * FROM {table}"))  # noqa: S608


# --- an operator with DDL rights -----------------------------------------------------------------


def _disable_update_guard(conn: Any) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only"))
    else:
        conn.execute(text("DROP TRIGGER audit_records_no_update"))


ALTERATIONS: dict[str, Any] = {
    "subject_id": "intruder",
    "allowed": False,
    "reason_codes": ["granted_by_admin"],
    "occurred_at": "2026-11-29T10:15:00.000001Z",
    "policy_input": {**POLICY_INPUT, "consents": ["c-forged"]},
    "policy_input_sha256": "0" * 64,
    "prev_hash": "0" * 64,
    "hash": "f" * 64,
}


def test_chain_verification_catches_an_altered_row(engine: Engine) -> None:
    """Each field in turn: altered, the chain breaks at that seq; restored, it verifies again."""
    _append(engine, make_entry(), make_entry(), make_entry())
    original = _rows(engine)[1]
    table = SQLModel.metadata.tables["audit_records"]
    with engine.begin() as conn:
        _disable_update_guard(conn)

    for field, value in ALTERATIONS.items():
        assert value != original[field], field
        with engine.begin() as conn:
            conn.execute(update(table).where(table.c.seq == 2).values({field: value}))
        report = _verify(engine)
        assert (report.ok, report.first_bad_seq, report.checked) == (False, 2, 1), field

        with engine.begin() as conn:
            conn.execute(update(table).where(table.c.seq == 2).values({field: original[field]}))
        assert _verify(engine).ok, field


def test_rehashing_an_altered_row_moves_the_break_to_the_next_row(engine: Engine) -> None:
    _append(engine, make_entry(), make_entry(), make_entry())
    row = _rows(engine)[1]
    row["allowed"] = False
    table = SQLModel.metadata.tables["audit_records"]
    forged = {
        "hash": record_hash(payload_of(row)),
        "leaf_hash": leaf_hash(canonical(payload_of(row))).hex(),
    }

    with engine.begin() as conn:
        _disable_update_guard(conn)
        conn.execute(update(table).where(table.c.seq == 2).values(allowed=False, **forged))

    report = _verify(engine)
    assert (report.ok, report.first_bad_seq, report.problem) == (
        False,
        3,
        "prev_hash does not match",
    )


# --- one order under concurrency ------------------------------------------------------------------

WRITERS = 4
PROCESSES = 3  # each spawned child pays ~1 s of imports
APPENDS = 5


def test_concurrent_threads_append_in_one_gapless_order(engine: Engine) -> None:
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(APPENDS):
                with session_scope(engine) as session:
                    # Two entries per transaction: they must stay adjacent.
                    store.append(
                        session,
                        [make_entry(request_id=f"t{w}-{i}"), make_entry(request_id=f"t{w}-{i}")],
                    )
        except BaseException as exc:  # noqa: BLE001  (re-raised in the main thread below)
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    rows = _rows(engine)
    assert len(rows) == WRITERS * APPENDS * 2
    _assert_one_gapless_chain(rows)
    ids = [r["request_id"] for r in rows]
    assert all(ids[k] == ids[k + 1] for k in range(0, len(ids), 2))
    for w in range(WRITERS):
        mine = [i for i in ids[::2] if i.startswith(f"t{w}-")]
        assert mine == [f"t{w}-{i}" for i in range(APPENDS)]
    assert _verify(engine).ok


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_concurrent_processes_append_in_one_gapless_order(
    database_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Separate processes, each with its own engine and pool: the lock must live in PostgreSQL.

    (On SQLite the threads above already write through separate connections, and its lock is
    the database file's, so processes would add start-up time but no new case.)
    """
    # A spawned child imports `tests.factories` by name; it inherits the parent's sys.path.
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    procs = [
        ctx.Process(target=append_in_process, args=(database_url, w, APPENDS, barrier))
        for w in range(PROCESSES)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)

    assert [p.exitcode for p in procs] == [0] * PROCESSES
    rows = _rows(engine)
    assert len(rows) == PROCESSES * APPENDS
    _assert_one_gapless_chain(rows)
    for w in range(PROCESSES):
        mine = [r["request_id"] for r in rows if r["request_id"].startswith(f"p{w}-")]
        assert mine == [f"p{w}-{i}" for i in range(APPENDS)]
    assert _verify(engine).ok


# --- deleting a case never deletes its log --------------------------------------------------------


def test_deleting_a_case_record_keeps_its_audit_records(engine: Engine) -> None:
    with session_scope(engine) as session:
        record = create_record(session, make_record())
        store.append(
            session,
            [
                make_entry(record_id=record.id, event_type="record.create"),
                make_entry(record_id=record.id),
            ],
        )
        record_id = record.id

    with session_scope(engine) as session:
        session.execute(delete(CaseRecord).where(col(CaseRecord.id) == record_id))

    with Session(engine) as session:
        assert session.get(CaseRecord, record_id) is None
        kept = session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(col(AuditRecord.record_id) == record_id)
        )
    assert kept == 2
    assert _verify(engine).ok


def test_sqlite_appends_on_the_driver_store_what_the_core_insert_stores(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """On SQLite, `append_rows` writes through sqlite3's cursor (audit/store.py); every stored
    value, and its SQLite type, is the one the Core INSERT (the PostgreSQL path) binds."""
    from audit import store as store_module
    from audit.store import chain_rows

    entries = [
        make_entry(),
        make_entry(allowed=False, policy_input=None, resident=None, details={"ë": "ü"}),
        make_entry(subject_teams=[], redacted=["content"], reason_codes=[], basis_type=None),
        make_entry(policy_input={"b": [1, 2.5, None, True], "a": {"z": "é", "y": ""}}),
    ]
    stored = []
    for name in ("driver", "core"):
        path = tmp_path / f"{name}.db"
        shutil.copyfile(sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        with session_scope(engine) as s:
            if name == "driver":
                AuditStore().append_rows(s, entries)
            else:
                s.execute(store_module._INSERT, chain_rows(entries, 0, GENESIS_HASH))
        with engine.connect() as conn:
            names = [c.name for c in AuditRecord.__table__.columns]  # type: ignore[attr-defined]
            select_all = ", ".join(f"{n}, typeof({n})" for n in names)
            query = f"SELECT {select_all} FROM audit_records"  # noqa: S608 - column names
            stored.append(conn.exec_driver_sql(query).all())
        engine.dispose()
    assert len(stored[0]) == len(entries)
    assert stored[0] == stored[1]
