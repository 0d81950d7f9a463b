"""Database engine and sessions, built from the URL in the settings.

SQLite is the embedded default, PostgreSQL (psycopg 3) the production database. On SQLite every
transaction starts with `BEGIN IMMEDIATE`: each governed request appends to the audit chain,
and a deferred transaction that reads the chain head and then upgrades to a writer would fail
with SQLITE_BUSY under concurrency instead of waiting its turn.
See https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session


def make_engine(url: str, *, pre_ping: bool = False) -> Engine:
    """An engine for `url`, configured for its dialect.

    PostgreSQL without `pre_ping` handles a dropped connection optimistically: the statement
    that meets it fails (the request fails closed), SQLAlchemy sees a disconnect and discards
    every pooled connection, and the next checkout connects anew. See
    https://docs.sqlalchemy.org/en/20/core/pooling.html#disconnect-handling-optimistic
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=pre_ping, pool_size=10, max_overflow=10)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN (see the module docstring).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the answer leaves (append first, answer after).
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # On the driver's connection: `conn.exec_driver_sql` builds an execution context for
        # this one fixed statement (~20 us of a governed read). A driver error is raised as
        # SQLAlchemy's, as exec_driver_sql raised it (the request fails closed: 503).
        try:
            conn.connection.driver_connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise DBAPIError.instance("BEGIN IMMEDIATE", (), exc, sqlite3.Error) from exc


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A session for a governed read: it reads, and its audit records go through group commit.

    On PostgreSQL it runs in autocommit (no BEGIN, no COMMIT: two round trips fewer per
    request); the enforcement point refuses to append audit records inside such a session,
    so the only writes a read makes are the group-commit writer's own transactions. On SQLite
    it is `session_scope`: the audit record is appended in the request's transaction.
    """
    if not is_postgres(engine):
        with session_scope(engine) as session:
            yield session
        return
    reads = _autocommit.get(engine)
    if reads is None:  # one option engine per engine: it shares the engine's pool
        reads = _autocommit[engine] = engine.execution_options(isolation_level=AUTOCOMMIT)
    with Session(reads, expire_on_commit=False) as session:
        yield session


AUTOCOMMIT = "AUTOCOMMIT"
_autocommit: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def is_autocommit(session: Session) -> bool:
    """Whether `session` runs without a transaction (`read_scope` on PostgreSQL)."""
    bind = session.get_bind()
    return bool(bind.get_execution_options().get("isolation_level") == AUTOCOMMIT)
