"""The checkpointer checks new records through `audit verify`'s fast path (audit/scan.py) and
decides exactly as it did when it rebuilt every record (`chain.check_row`): the same root
signed, the same record refused with the same problem, on SQLite and PostgreSQL.

Each test compares `tree.checkpoint` with `_slow_checkpoint`, the checkpointer as it was: the
records read through `AuditStore.iter_rows` and checked by `chain.check_row`."""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, text, update
from sqlmodel import Session, SQLModel

from audit import AuditStore, ChainBroken, NoteSigner, checkpoint, scan
from audit.chain import canonical, check_row, payload_of
from audit.merkle import Frontier, leaf_hash
from audit.models import GENESIS_HASH
from audit.tree import hash_at, latest_checkpoint, load_nodes
from gateway.db import session_scope
from tests.factories import make_entry

ORIGIN = "doelbinding.test/audit"
_TABLE = SQLModel.metadata.tables["audit_records"]


@pytest.fixture(scope="module")
def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


def _slow_checkpoint(engine: Engine) -> tuple[str, Any]:
    """What the checkpointer decided before the fast path: ("signed", root) or ("refused",
    (seq, problem)). Reads only; signs nothing."""
    with Session(engine) as s:
        last = latest_checkpoint(s)
        size = last.tree_size if last else 0
        frontier = Frontier.from_nodes(size, load_nodes(s, Frontier.nodes_for(size)).__getitem__)
        prev = hash_at(s, size) if size else GENESIS_HASH
        seq = size
        for row in AuditStore().iter_rows(s, after=size, with_policy_input=False):
            problem, leaf = check_row(row, prev, seq + 1, check_input=False)
            if problem is not None:
                return "refused", (seq + 1, problem)
            frontier.push(leaf)
            prev = row["hash"]
            seq += 1
        return "signed", frontier.root().hex()


def _checkpoint(engine: Engine, signer: NoteSigner) -> tuple[str, Any]:
    try:
        with session_scope(engine) as s:
            cp = checkpoint(s, signer, ORIGIN, "2026-12-06T10:00:00Z")
            assert cp is not None
            return "signed", cp.root_hash
    except ChainBroken as exc:
        return "refused", (exc.seq, exc.problem)


def _rows_agree(engine: Engine) -> None:
    """Row by row, the fast check (as the checkpointer reads rows) and the slow one agree."""
    with Session(engine) as s:
        stored = list(scan.stored_rows(s, 0, 10**9, with_policy_input=False))
        slow = list(AuditStore().iter_rows(s, with_policy_input=False))
    prev = GENESIS_HASH
    for seq, (row, record) in enumerate(zip(stored, slow, strict=True), start=1):
        assert row[scan._AT["policy_input"]] is None  # not read
        fast = scan.check_stored(row, prev, seq, check_input=False)
        assert fast == check_row(record, prev, seq, check_input=False), seq
        prev = record["hash"]


def _append(engine: Engine, entries: list[Any]) -> None:
    with session_scope(engine) as s:
        AuditStore().append(s, entries)


def _unguard(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only"))
    else:
        conn.execute(text("DROP TRIGGER IF EXISTS audit_records_no_update"))


def _set_text(engine: Engine, seq: int, column: str, value: str) -> None:
    """Store `value` as a JSON column's text exactly as given (the store would re-spell it)."""
    assert column in scan._JSON_COLUMNS
    with engine.begin() as conn:
        _unguard(conn)
        param = "CAST(:v AS json)" if conn.dialect.name == "postgresql" else ":v"
        conn.execute(
            text(f"UPDATE audit_records SET {column} = {param} WHERE seq = :s"),  # noqa: S608
            {"v": value, "s": seq},
        )


def _set(engine: Engine, seq: int, **values: Any) -> None:
    with engine.begin() as conn:
        _unguard(conn)
        conn.execute(update(_TABLE).where(_TABLE.c.seq == seq).values(**values))


_CHARS = 'aZ09 "\\/\n\t\x01\x1f\x7fü€\u2028\U0001f600'


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_CHARS) for _ in range(rng.randint(0, 8)))


def _generated(rng: random.Random, n: int) -> list[Any]:
    out = []
    for _ in range(n):
        out.append(
            make_entry(
                subject_id=_text(rng) or "x",
                subject_roles=[_text(rng) for _ in range(rng.randint(0, 3))],
                subject_teams=[_text(rng) for _ in range(rng.randint(0, 2))],
                reason_codes=[_text(rng) for _ in range(rng.randint(0, 2))],
                details={_text(rng): _text(rng) for _ in range(rng.randint(0, 3))},
                resource_municipality=rng.choice([None, "zaanstad", _text(rng)]),
                allowed=rng.random() < 0.5,
                resident=rng.choice([None, _text(rng)]),
                policy_input=rng.choice([None, {"n": rng.randint(0, 2**62), "s": _text(rng)}]),
            )
        )
    return out


def test_the_same_root_is_signed_over_generated_records(engine: Engine, signer: NoteSigner) -> None:
    rng = random.Random(16)
    for n in (1, 37, 5, 60):
        _append(engine, _generated(rng, n))
        slow = _slow_checkpoint(engine)
        assert slow[0] == "signed"
        assert _checkpoint(engine, signer) == slow
    _rows_agree(engine)
    with Session(engine) as s:  # and it is the root of the leaves written with the records
        leaves = [bytes.fromhex(r["leaf_hash"]) for r in AuditStore().iter_rows(s)]
    frontier = Frontier()
    for leaf in leaves:
        frontier.push(leaf)
    assert slow[1] == frontier.root().hex()

    # and a generated record altered before its checkpoint is refused by both, at its seq
    _append(engine, _generated(rng, 10))
    _set(engine, 110, subject_id="emp-8")
    assert _slow_checkpoint(engine) == ("refused", (110, "hash does not match the record"))
    assert _checkpoint(engine, signer) == _slow_checkpoint(engine)
    _rows_agree(engine)


def _respelled_and_rehashed(engine: Engine, seq: int, column: str, spelling: str) -> None:
    """Store `spelling` (the column's value, spelled otherwise) and rehash the record over the
    bytes that splicing it gives, as a forger who knows the fast path would: the slow check,
    which hashes the canonical spelling, refuses the record."""
    with Session(engine) as s:
        (record,) = (r for r in AuditStore().iter_rows(s, after=seq - 1) if r["seq"] == seq)
    assert json.loads(spelling) == record[column]
    data = canonical(payload_of(record))
    canonical_text = json.dumps(
        record[column], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    old = f'"{column}":{canonical_text}'.encode()
    assert data.count(old) == 1
    forged = data.replace(old, f'"{column}":{spelling}'.encode())
    _set_text(engine, seq, column, spelling)
    _set(engine, seq, hash=hashlib.sha256(forged).hexdigest(), leaf_hash=leaf_hash(forged).hex())


# (what is done to record 5 of 5, after a checkpoint of 2, and what both checks decide)
_ALTERATIONS: dict[str, tuple[Any, str]] = {
    "hash": (lambda e: _set(e, 5, hash="0" * 64), "refused"),
    "leaf hash": (lambda e: _set(e, 5, leaf_hash="1" * 64), "refused"),
    "no leaf hash": (lambda e: _set(e, 5, leaf_hash=None), "signed"),
    "payload field": (lambda e: _set(e, 5, allowed=False), "refused"),
    "string field": (lambda e: _set(e, 5, subject_id="emp-8"), "refused"),
    "dropped field": (lambda e: _set(e, 5, resource_municipality=None), "refused"),
    "seq link": (lambda e: _set(e, 5, prev_hash="f" * 64), "refused"),
    "json changed": (lambda e: _set_text(e, 5, "details", '{"k":"w"}'), "refused"),
    "json appended": (lambda e: _set_text(e, 5, "subject_roles", '["a","b","c"]'), "refused"),
    "json with spaces": (lambda e: _set_text(e, 5, "subject_roles", '["a", "b"]'), "signed"),
    "json key order": (lambda e: _set_text(e, 5, "details", '{"k":"v","a":"b"}'), "signed"),
    "json escapes": (lambda e: _set_text(e, 5, "details", '{"a":"\\u0062","k":"v"}'), "signed"),
    "json duplicate key": (
        lambda e: _set_text(e, 5, "details", '{"a":"b","k":"x","k":"v"}'),
        "signed",
    ),
    "spaces, rehashed": (
        lambda e: _respelled_and_rehashed(e, 5, "subject_roles", '["a", "b"]'),
        "refused",
    ),
    "key order, rehashed": (
        lambda e: _respelled_and_rehashed(e, 5, "details", '{"k":"v","a":"b"}'),
        "refused",
    ),
    "escapes, rehashed": (
        lambda e: _respelled_and_rehashed(e, 5, "reason_codes", '["\\u0072"]'),
        "refused",
    ),
    "duplicate key, rehashed": (
        lambda e: _respelled_and_rehashed(e, 5, "details", '{"a":"b","k":"x","k":"v"}'),
        "refused",
    ),
}


@pytest.mark.parametrize("alteration", sorted(_ALTERATIONS))
def test_an_altered_record_gets_the_verdict_it_got_before(
    engine: Engine, signer: NoteSigner, alteration: str
) -> None:
    alter, verdict = _ALTERATIONS[alteration]
    entry = {"subject_roles": ["a", "b"], "details": {"a": "b", "k": "v"}, "reason_codes": ["r"]}
    _append(engine, [make_entry(**entry) for _ in range(2)])
    assert _checkpoint(engine, signer)[0] == "signed"
    _append(engine, [make_entry(**entry, resource_municipality="zaanstad") for _ in range(3)])
    before = _slow_checkpoint(engine)
    alter(engine)

    slow = _slow_checkpoint(engine)
    assert slow[0] == verdict
    if verdict == "refused":
        assert slow[1][0] == 5
    else:  # equal content: the same root as before the alteration
        assert slow == before
    assert _checkpoint(engine, signer) == slow
    if verdict == "refused":  # nothing was signed or stored for the refused record
        with Session(engine) as s:
            assert latest_checkpoint(s).tree_size == 2  # type: ignore[union-attr]
    _rows_agree(engine)


def test_records_stored_before_stored_json_checkpoint_through_the_slow_check(
    engine: Engine, signer: NoteSigner
) -> None:
    """Records written when JSON columns were stored in json.dumps's default spelling (", "
    and ": "): not spliceable, so each is rebuilt and checked the old way, and signed."""
    _append(engine, [make_entry(details={"z": "ü", "a": "b"}, subject_roles=["a", "b"])] * 4)
    before = _slow_checkpoint(engine)
    with Session(engine) as s:
        records = list(AuditStore().iter_rows(s))
    for record in records:
        for column in ("details", "subject_roles"):
            _set_text(engine, record["seq"], column, json.dumps(record[column]))
    with Session(engine) as s:
        stored = list(scan.stored_rows(s, 0, 4, with_policy_input=False))
    assert all(scan.spliced_payload(row) is None for row in stored)  # the fallback decides
    assert _slow_checkpoint(engine) == before
    assert _checkpoint(engine, signer) == before
    _rows_agree(engine)
