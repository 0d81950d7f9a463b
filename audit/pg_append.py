"""The group-commit writer's append on PostgreSQL, over a psycopg connection of its own.

Every batch holds the chain's lock from its first statement to its COMMIT, so its round trips
and the Python around them are the log's serial section: at a thousand appends a second the
ORM session's bookkeeping was most of it. This path sends three messages per batch:

    BEGIN; SELECT pg_advisory_xact_lock(k); SELECT the head   one simple query
    COPY audit_records (…) FROM STDIN                          the batch's rows
    COMMIT

COPY, not INSERT: for the batches group commit makes (a few rows) it costs the client half of
a pipelined `executemany` and a third of one INSERT per row.

The head is read by its own statement after the lock is granted: under READ COMMITTED each
statement of a simple query takes its own snapshot, so it sees the last holder's commit. The
rows are the ones `AuditStore.append_rows` writes (`chain_rows`), with the same JSON values:
`audit verify` cannot tell the two paths apart (tests/audit/test_writer.py checks it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import Engine

from audit.models import GENESIS_HASH, AuditEntry, AuditRecord, StoredJSON, stored_json
from audit.store import PG_APPEND_LOCK, chain_rows

_TABLE = AuditRecord.__table__  # type: ignore[attr-defined]
#: Every column an appended row sets (`erased_at` stays NULL until retention erases it).
_COLUMNS = tuple(c.name for c in _TABLE.columns if c.name != "erased_at")
_JSON = frozenset(c.name for c in _TABLE.columns if isinstance(c.type, StoredJSON))
# Composed once, rendered once: psycopg would otherwise re-render a `Composed` (every
# identifier quoted anew) on each execution.
_LOCK_AND_HEAD = (
    sql.SQL(
        "BEGIN; SELECT pg_advisory_xact_lock({}); "
        "SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1"
    )
    .format(sql.Literal(PG_APPEND_LOCK))
    .as_bytes(None)
)
_COPY = (
    sql.SQL("COPY audit_records ({}) FROM STDIN")
    .format(sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)))
    .as_bytes(None)
)


class NothingSent(psycopg.OperationalError):
    """The connection was gone before the batch's first statement ran: nothing was written,
    so the batch may be retried on a new connection."""


def connect(engine: Engine) -> psycopg.Connection[Any]:
    """A connection with the engine's own connect arguments, outside its pool, in autocommit
    mode: the transactions are the ones written out above."""
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    conn: psycopg.Connection[Any] = engine.dialect.loaded_dbapi.connect(*cargs, **cparams)
    conn.autocommit = True
    return conn


def append(conn: psycopg.Connection[Any], entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
    """Append `entries` in one transaction and commit; the written rows, once durable.

    Any error leaves the transaction open: the caller closes the connection, and the server
    rolls the batch back.
    """
    # Before the lock: each policy input spelled once, the stored text its digest is made of.
    inputs = [stored_json(entry.policy_input) for entry in entries]
    with conn.cursor() as cur:
        try:
            cur.execute(_LOCK_AND_HEAD)
        except psycopg.OperationalError as exc:
            if conn.broken or conn.closed:  # the connection, not the batch, failed
                raise NothingSent(type(exc).__name__) from exc
            raise
        cur.nextset()  # the lock's row
        cur.nextset()  # the head
        head = cur.fetchone()
        rows = chain_rows(
            entries, *((int(head[0]), head[1]) if head else (0, GENESIS_HASH)), input_texts=inputs
        )
        with cur.copy(_COPY) as copy:
            for r, text in zip(rows, inputs, strict=True):
                # JSON columns as the store spells them (models.stored_json).
                copy.write_row(
                    tuple(
                        text if c == "policy_input" else stored_json(r[c]) if c in _JSON else r[c]
                        for c in _COLUMNS
                    )
                )
        cur.execute("COMMIT")
    return rows
