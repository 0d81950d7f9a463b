"""The tree in the database, on SQLite and PostgreSQL: checkpoints, proofs, verification."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text, update
from sqlmodel import Session, SQLModel

from audit import (
    AuditStore,
    ChainBroken,
    NoteSigner,
    TreeSizeUnavailable,
    checkpoint,
    consistency_proof,
    inclusion_proof,
    open_note,
    verify_log,
)
from audit.merkle import verify_consistency, verify_inclusion
from gateway.db import session_scope
from tests.factories import make_entry

ORIGIN = "doelbinding.test/audit"
store = AuditStore()


@pytest.fixture(scope="module")
def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


def _append(engine: Engine, n: int) -> None:
    with session_scope(engine) as s:
        store.append(s, [make_entry() for _ in range(n)])


def _checkpoint(engine: Engine, signer: NoteSigner) -> int | None:
    with session_scope(engine) as s:
        cp = checkpoint(s, signer, ORIGIN, "2026-11-29T10:00:00Z")
        return cp.tree_size if cp else None


def _verify(engine: Engine, signer: NoteSigner, since: int | None = None):
    with Session(engine) as s:
        return verify_log(s, ORIGIN, signer.public_key, ORIGIN, since=since)


def test_checkpoints_proofs_and_verification(engine: Engine, signer: NoteSigner) -> None:
    _append(engine, 5)
    _append(engine, 8)
    assert _checkpoint(engine, signer) == 13
    assert _checkpoint(engine, signer) is None  # nothing new: no checkpoint
    _append(engine, 6)
    assert _checkpoint(engine, signer) == 19

    with Session(engine) as s:
        for size in (13, 19):
            for seq in range(1, size + 1):
                p = inclusion_proof(s, seq, size)
                assert verify_inclusion(p.leaf_index, size, p.leaf_hash, p.path, p.root_hash)
        first = inclusion_proof(s, 1, 13).root_hash
        latest = inclusion_proof(s, 1).root_hash
        assert verify_consistency(13, 19, first, latest, consistency_proof(s, 13, 19))
        with pytest.raises(TreeSizeUnavailable):
            inclusion_proof(s, 20)
        with pytest.raises(TreeSizeUnavailable):
            inclusion_proof(s, 1, 25)

    report = _verify(engine, signer)
    assert (report.ok, report.checked, report.checkpoints, report.tree_size) == (True, 19, 2, 19)
    assert _verify(engine, signer, since=13).ok
    assert not _verify(engine, signer, since=12).ok  # no checkpoint there


def test_the_note_is_a_c2sp_signed_checkpoint(engine: Engine, signer: NoteSigner) -> None:
    _append(engine, 3)
    _checkpoint(engine, signer)
    with Session(engine) as s:
        note = s.execute(text("SELECT note FROM audit_checkpoints")).scalar_one()
        root = inclusion_proof(s, 1).root_hash
    body, sig_line = note.split("\n\n")
    assert body == f"{ORIGIN}\n3\n{base64.b64encode(root).decode()}"
    assert sig_line.startswith(f"\u2014 {ORIGIN} ")
    assert len(base64.b64decode(sig_line.split()[-1])) == 4 + 64
    assert open_note(note, ORIGIN, signer.public_key).tree_size == 3
    other = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(ValueError, match="signature"):
        open_note(note, ORIGIN, other.public_key)


def _disable_guard(conn) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only"))
    else:
        conn.execute(text("DROP TRIGGER audit_records_no_update"))


def test_verify_names_the_altered_seq_and_checkpoints_refuse_it(
    engine: Engine, signer: NoteSigner
) -> None:
    _append(engine, 4)
    _checkpoint(engine, signer)
    _append(engine, 4)
    table = SQLModel.metadata.tables["audit_records"]
    with engine.begin() as conn:
        _disable_guard(conn)
        conn.execute(update(table).where(table.c.seq == 6).values(allowed=False))

    report = _verify(engine, signer)
    assert (report.ok, report.first_bad_seq) == (False, 6)
    with pytest.raises(ChainBroken) as caught:
        _checkpoint(engine, signer)
    assert caught.value.seq == 6


def test_an_altered_policy_input_is_signed_over_but_verify_names_it(
    engine: Engine, signer: NoteSigner
) -> None:
    """The checkpointer does not read stored policy inputs: a leaf covers an input through
    its digest only, so what it signs does not depend on the input. `audit verify` compares
    the input with its digest and names the record."""
    with session_scope(engine) as s:
        store.append(s, [make_entry(policy_input={"action": "read", "n": i}) for i in range(4)])
    table = SQLModel.metadata.tables["audit_records"]
    with engine.begin() as conn:
        _disable_guard(conn)
        conn.execute(
            update(table).where(table.c.seq == 3).values(policy_input={"action": "handover"})
        )

    assert _checkpoint(engine, signer) == 4
    report = _verify(engine, signer)
    assert (report.ok, report.first_bad_seq) == (False, 3)
    assert "policy input" in (report.problem or "")


def test_a_rewritten_history_fails_at_the_signed_checkpoint(
    engine: Engine, signer: NoteSigner
) -> None:
    """A forger who rewrites row 2 and rehashes every row after it keeps the chain intact, and
    the leaf hashes too; the signed root is what they cannot forge."""
    from audit.chain import canonical, payload_of
    from audit.merkle import leaf_hash

    _append(engine, 4)
    _checkpoint(engine, signer)
    with Session(engine) as s:
        rows = list(store.iter_rows(s))
    table = SQLModel.metadata.tables["audit_records"]
    prev = rows[0]["hash"]
    with engine.begin() as conn:
        _disable_guard(conn)
        for row in rows[1:]:
            row["prev_hash"] = prev
            if row["seq"] == 2:
                row["allowed"] = False
            data = canonical(payload_of(row))
            import hashlib

            row["hash"] = hashlib.sha256(data).hexdigest()
            row["leaf_hash"] = leaf_hash(data).hex()
            conn.execute(
                update(table)
                .where(table.c.seq == row["seq"])
                .values(
                    allowed=row["allowed"],
                    prev_hash=row["prev_hash"],
                    hash=row["hash"],
                    leaf_hash=row["leaf_hash"],
                )
            )
            prev = row["hash"]

    report = _verify(engine, signer)
    assert not report.ok
    assert report.first_bad_seq == 1
    assert "checkpoint 4" in (report.problem or "")


def test_a_timed_checkpoint_waits_for_the_interval_whoever_signed_last(
    engine: Engine, signer: NoteSigner
) -> None:
    # Several processes each run a checkpointer (gateway/checkpointer.py): a timed turn asks
    # for no checkpoint if one was signed after `unless_signed_after` (now - interval).
    def sign(now: str, after: str | None) -> int | None:
        with session_scope(engine) as s:
            cp = checkpoint(s, signer, ORIGIN, now, unless_signed_after=after)
            return cp.tree_size if cp else None

    _append(engine, 3)
    assert sign("2026-11-29T10:00:00.000000Z", None) == 3
    _append(engine, 2)
    # Another process, 0.4 s later, interval 1 s: the last one is too recent.
    assert sign("2026-11-29T10:00:00.400000Z", "2026-11-29T09:59:59.400000Z") is None
    # A process that took its time before another won the lock and signed: not due either.
    assert sign("2026-11-29T09:59:59.990000Z", "2026-11-29T09:59:58.990000Z") is None
    # 1.1 s later: due.
    assert sign("2026-11-29T10:00:01.100000Z", "2026-11-29T10:00:00.100000Z") == 5
    _append(engine, 1)
    # A clock that stands still (a test's) is never throttled.
    assert sign("2026-11-29T10:00:01.100000Z", "2026-11-29T10:00:00.100000Z") == 6
