"""Retention on SQLite and PostgreSQL: erasure leaves tombstones the tree still proves, and the
database allows that one update and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from audit import (
    PERSONAL_FIELDS,
    AuditStore,
    NoteSigner,
    checkpoint,
    erase_expired,
    inclusion_proof,
    verify_log,
)
from audit.merkle import verify_inclusion
from gateway.db import session_scope
from tests.factories import make_entry

ORIGIN = "doelbinding.test/audit"
OLD, NEW = "2020-01-01T00:00:00.000000Z", "2026-11-01T00:00:00.000000Z"
OLDEST = "2010-01-01T00:00:00.000000Z"
NOW = "2026-11-29T00:00:00.000000Z"
RETENTION = {"wmo-support": 365, "pw-enforcement": 3000}
store = AuditStore()


@pytest.fixture(scope="module")
def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


def _seed(engine: Engine, signer: NoteSigner) -> None:
    with session_scope(engine) as s:
        store.append(
            s,
            [
                make_entry(occurred_at=OLD, processing_activity="wmo-support"),
                make_entry(occurred_at=OLD, processing_activity="pw-enforcement"),
                make_entry(occurred_at=NEW, processing_activity="wmo-support"),
                make_entry(occurred_at=OLDEST, processing_activity="", consent_id="c-1"),
            ],
        )
        checkpoint(s, signer, ORIGIN, NOW)


def _rows(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as s:
        return list(store.iter_rows(s))


def test_erasure_leaves_tombstones_that_still_verify(engine: Engine, signer: NoteSigner) -> None:
    _seed(engine, signer)
    before = _rows(engine)

    with session_scope(engine) as s:
        assert erase_expired(s, RETENTION, NOW) == 2  # seq 1 (365 days) and 4 (longest)
    with session_scope(engine) as s:
        assert erase_expired(s, RETENTION, NOW) == 0  # once only

    rows = _rows(engine)
    assert [bool(r["erased_at"]) for r in rows] == [True, False, False, True]
    for field in PERSONAL_FIELDS:
        assert rows[0][field] in ("", None), field
    for field in ("seq", "hash", "prev_hash", "leaf_hash", "allowed", "processing_activity"):
        assert rows[0][field] == before[0][field], field
    with Session(engine) as s:
        report = verify_log(s, ORIGIN, signer.public_key, ORIGIN)
        assert (report.ok, report.tombstones, report.checkpoints) == (True, 2, 1)
        p = inclusion_proof(s, 1)
        assert verify_inclusion(0, 4, p.leaf_hash, p.path, p.root_hash)
        assert p.leaf_hash.hex() == before[0]["leaf_hash"]


_ERASE = (
    "UPDATE audit_records SET subject_id = '', request_id = '', resident = NULL, "
    "record_id = NULL, consent_id = NULL, basis_ref = NULL, policy_input = NULL, "
    "erased_at = '2026-11-29T00:00:00.000000Z'{extra} WHERE seq = {seq}"
)


@pytest.mark.parametrize(
    ("name", "sql"),
    [
        ("plain update", "UPDATE audit_records SET subject_id = 'x' WHERE seq = 2"),
        ("erasure that also flips the decision", _ERASE.format(extra=", allowed = false", seq=2)),
        ("erasure that rewrites the hash", _ERASE.format(extra=", hash = 'f'", seq=2)),
        (
            "erasure that keeps a personal field",
            _ERASE.format(extra="", seq=2).replace("resident = NULL", "resident = 'p'"),
        ),
        ("erasing a tombstone again", _ERASE.format(extra="", seq=1)),
        ("undoing an erasure", "UPDATE audit_records SET erased_at = NULL WHERE seq = 1"),
        ("deleting a tombstone", "DELETE FROM audit_records WHERE seq = 1"),
    ],
)
def test_the_database_allows_only_the_erasure(
    engine: Engine, signer: NoteSigner, name: str, sql: str
) -> None:
    _seed(engine, signer)
    with session_scope(engine) as s:
        erase_expired(s, RETENTION, NOW)
    before = _rows(engine)
    with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
        conn.execute(text(sql))
    assert _rows(engine) == before, name


def test_the_erasure_itself_passes_the_guard_as_plain_sql(engine: Engine, signer: NoteSigner):
    _seed(engine, signer)
    with engine.begin() as conn:
        conn.execute(text(_ERASE.format(extra="", seq=2)))
    assert _rows(engine)[1]["erased_at"] is not None
