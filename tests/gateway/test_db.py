"""gateway/db.py on SQLite: every transaction takes the write lock at BEGIN (BEGIN IMMEDIATE),
and a BEGIN that cannot get it fails as SQLAlchemy's error (the gateway's 503), not the
driver's. PostgreSQL needs neither (an advisory lock serialises the audit appends)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from gateway.db import make_engine, session_scope
from gateway.errors import to_response


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "lock.db"


@pytest.fixture
def engine(db_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{db_path}")

    @event.listens_for(eng, "connect")
    def _no_wait(dbapi_conn: Any, _record: Any) -> None:  # after make_engine's 30 s
        dbapi_conn.execute("PRAGMA busy_timeout=0")

    yield eng
    eng.dispose()


def _other(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=0")
    return conn


def test_a_transaction_holds_the_write_lock_from_its_begin(engine: Engine, db_path: Path) -> None:
    other = _other(db_path)
    try:
        with session_scope(engine) as session:
            session.connection()  # BEGIN, no statement yet
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # committed: free again
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_begin_that_cannot_get_the_lock_fails_closed_as_a_database_error(
    engine: Engine, db_path: Path
) -> None:
    with session_scope(engine) as session:  # connected (the PRAGMAs need no lock later)
        session.connection()
    other = _other(db_path)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError) as caught, session_scope(engine) as session:
            session.connection()
        assert isinstance(caught.value.orig, sqlite3.OperationalError)
        assert to_response(caught.value).status_code == 503
        other.execute("ROLLBACK")
        with session_scope(engine) as session:  # the pooled connection is usable again
            assert session.connection().exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        other.close()
