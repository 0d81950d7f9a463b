"""`audit verify`'s fast row check (audit/scan.py) decides exactly as the slow one, and
verifying with worker processes reports exactly what one process reports."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text, update
from sqlmodel import Session, SQLModel

from audit import AuditStore, NoteSigner, checkpoint, scan, verify_log
from audit.chain import check_row
from audit.merkle import leaf_hash
from audit.models import GENESIS_HASH, stored_json
from audit.store import chain_rows
from gateway.db import session_scope
from tests.factories import make_entry

ORIGIN = "doelbinding.test/audit"

# --- the row check, without a database ------------------------------------------------------

_text = st.text(st.characters(codec="utf-8"), max_size=12)
_details = st.dictionaries(st.text(max_size=6), _text, max_size=3)


def _stored(row: dict[str, Any]) -> tuple[Any, ...]:
    """A row as `scan.stored_rows` reads it: JSON columns as their stored text."""
    return tuple(
        stored_json(row[name]) if name in scan._JSON_COLUMNS else row.get(name)
        for name in scan._NAMES
    )


def _both(row: tuple[Any, ...], prev: str, seq: int) -> tuple[Any, Any]:
    fast = scan.check_stored(row, prev, seq)
    slow = check_row(scan._as_record(row), prev, seq)
    return fast, slow


@settings(max_examples=150, deadline=None)
@given(
    details=_details,
    roles=st.lists(_text, max_size=3),
    subject=_text,
    n=st.integers(0, 2**62),
)
def test_the_fast_check_accepts_what_the_slow_one_accepts(
    details: dict[str, Any], roles: list[str], subject: str, n: int
) -> None:
    entry = make_entry(
        details=details,
        subject_roles=roles,
        subject_id=subject or "x",
        policy_input={"n": n, "s": subject, "nested": {"b": [1, 2], "a": None}},
    )
    (row,) = chain_rows([entry], 0, GENESIS_HASH)
    stored = _stored(row)
    fast, slow = _both(stored, GENESIS_HASH, 1)
    assert fast == slow
    assert fast[0] is None, fast[0]
    assert fast[1].hex() == row["leaf_hash"]


_COLUMN = st.sampled_from(sorted(set(scan._NAMES) - {"seq", "prev_hash", "erased_at"}))
_ALTERATIONS = st.one_of(
    st.just("respelled"),  # the same JSON value, spelled with spaces
    st.just("appended"),  # a JSON column's text with more after it
    st.just("invalid"),  # not JSON
    _text,  # another string
    st.integers(-5, 2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(column=_COLUMN, alteration=_ALTERATIONS)
def test_an_altered_column_gets_the_same_verdict_from_both(column: str, alteration: Any) -> None:
    entries = [make_entry(details={"k": "v"}), make_entry()]
    rows = chain_rows(entries, 0, GENESIS_HASH)
    stored = list(_stored(rows[1]))
    at = scan._AT[column]
    value = stored[at]
    if alteration == "respelled" and column in scan._JSON_COLUMNS and value is not None:
        stored[at] = json.dumps(json.loads(value), indent=1)
    elif alteration == "appended" and column in scan._JSON_COLUMNS:
        stored[at] = f'{value},"subject_id":"emp-7"'
    elif alteration == "invalid" and column in scan._JSON_COLUMNS:
        stored[at] = "[not json"
    elif alteration not in ("respelled", "appended", "invalid"):
        stored[at] = stored_json(alteration) if column in scan._JSON_COLUMNS else alteration
    fast, slow = _both(tuple(stored), rows[0]["hash"], 2)
    assert fast == slow


def test_a_json_column_cannot_smuggle_the_next_column() -> None:
    """A spliced text that ends in more JSON than one value is refused by the fast path (and
    the slow path, parsing it, refuses it too), even when the bytes would line up."""
    (row,) = chain_rows([make_entry(details={})], 0, GENESIS_HASH)
    stored = list(_stored(row))
    stored[scan._AT["details"]] = '{},"event_type":"record.read"'
    assert scan.spliced_payload(tuple(stored)) is None


@pytest.mark.parametrize("check_input", [True, False])
@pytest.mark.parametrize(
    ("column", "spelling"),
    [
        ("subject_roles", '["a", "b"]'),
        ("details", '{"k":"v","a":"b"}'),
        ("details", '{"a":"\\u0062","k":"v"}'),
        ("details", '{"a":"b","k":"x","k":"v"}'),
    ],
)
def test_a_row_rehashed_over_another_spelling_is_refused_by_both(
    column: str, spelling: str, check_input: bool
) -> None:
    """A JSON column spelled otherwise than RFC 8785 (the same value) with the record rehashed
    over the bytes its splice gives: the slow check hashes the canonical spelling and refuses
    it, so the fast path must not accept it (it is not spliced at all)."""
    entry = make_entry(subject_roles=["a", "b"], details={"a": "b", "k": "v"})
    (row,) = chain_rows([entry], 0, GENESIS_HASH)
    stored = list(_stored(row))
    assert json.loads(spelling) == json.loads(stored[scan._AT[column]])
    old = f'"{column}":{stored[scan._AT[column]]}'.encode()
    forged = scan.spliced_payload(tuple(stored))
    assert forged is not None
    assert forged.count(old) == 1
    forged = forged.replace(old, f'"{column}":{spelling}'.encode())
    stored[scan._AT[column]] = spelling
    stored[scan._HASH] = hashlib.sha256(forged).hexdigest()
    stored[scan._LEAF] = leaf_hash(forged).hex()
    assert scan.spliced_payload(tuple(stored)) is None
    fast = scan.check_stored(tuple(stored), GENESIS_HASH, 1, check_input=check_input)
    slow = check_row(scan._as_record(tuple(stored)), GENESIS_HASH, 1, check_input=check_input)
    assert fast == slow == ("hash does not match the record", b"")


# --- stored rows, on both databases -----------------------------------------------------------


@pytest.fixture(scope="module")
def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


def _append(engine: Engine, n: int, **overrides: Any) -> None:
    with session_scope(engine) as s:
        AuditStore().append(s, [make_entry(**overrides) for _ in range(n)])


def test_stored_rows_take_the_fast_path(engine: Engine) -> None:
    """What the store writes comes back in the spelling the fast path hashes, on SQLite and on
    PostgreSQL (a `json`, not `jsonb`, column keeps the text as written)."""
    _append(engine, 3, details={"z": "ü", "a": "\n"}, policy_input={"b": 1, "a": [2]})
    with Session(engine) as s:
        rows = list(scan.stored_rows(s, 0, 3))
    assert len(rows) == 3
    for row in rows:
        data = scan.spliced_payload(row)
        assert data is not None
        assert scan._input_intact(row) is True
        assert hashlib.sha256(data).hexdigest() == row[scan._HASH]


def _disable_guard(conn: Any) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only"))
    else:
        conn.execute(text("DROP TRIGGER audit_records_no_update"))


def _reports(engine: Engine, signer: NoteSigner, since: int | None = None) -> list[Any]:
    out = []
    for workers in (1, 2):
        with Session(engine) as s:
            out.append(
                verify_log(s, ORIGIN, signer.public_key, ORIGIN, since=since, workers=workers)
            )
    return out


@pytest.fixture
def small_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "SPAN", 4)
    monkeypatch.setattr(scan, "SPAWN_FROM_SPANS", 2)  # the workers check even this small log


@pytest.mark.usefixtures("small_spans")
def test_workers_report_what_one_process_reports(engine: Engine, signer: NoteSigner) -> None:
    _append(engine, 6)
    with session_scope(engine) as s:
        checkpoint(s, signer, ORIGIN, "2026-12-06T10:00:00Z")
    _append(engine, 9)
    with session_scope(engine) as s:
        checkpoint(s, signer, ORIGIN, "2026-12-06T10:00:01Z")
    _append(engine, 2)

    one, two = _reports(engine, signer)
    assert one.ok
    assert one == two
    assert (one.checked, one.checkpoints) == (17, 2)
    one, two = _reports(engine, signer, since=6)
    assert one.ok
    assert one == two
    assert one.checked == 11

    table = SQLModel.metadata.tables["audit_records"]
    with engine.begin() as conn:
        _disable_guard(conn)
        conn.execute(update(table).where(table.c.seq == 10).values(allowed=False))
    one, two = _reports(engine, signer)
    assert one == two
    assert (one.ok, one.first_bad_seq) == (False, 10)
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.seq == 5).values(prev_hash="f" * 64))
    one, two = _reports(engine, signer)
    assert one == two
    assert (one.ok, one.first_bad_seq, one.problem) == (False, 5, "prev_hash does not match")


def test_a_small_log_is_not_handed_to_started_processes(
    engine: Engine, signer: NoteSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a process with several threads (a server), workers would be started afresh, which
    costs more than a log of fewer than SPAWN_FROM_SPANS spans takes to check here; forked
    (a single-threaded CLI), they are used from two spans on."""
    monkeypatch.setattr(scan, "SPAN", 4)
    _append(engine, 9)  # three spans
    started: list[str] = []

    class Refused:
        def __init__(self, *_args: Any, mp_context: Any, **_kw: Any) -> None:
            started.append(mp_context.get_start_method())
            raise RuntimeError("no pool expected")

    monkeypatch.setattr(scan, "ProcessPoolExecutor", Refused)
    monkeypatch.setattr(threading, "active_count", lambda: 3)  # as in a server process
    with session_scope(engine) as s:
        report = verify_log(s, ORIGIN, signer.public_key, ORIGIN, workers=2)
    assert (report.ok, report.checked, started) == (True, 9, [])

    monkeypatch.setattr(scan, "SPAWN_FROM_SPANS", 3)  # now the log is large enough
    with session_scope(engine) as s, pytest.raises(RuntimeError, match="no pool expected"):
        verify_log(s, ORIGIN, signer.public_key, ORIGIN, workers=2)
    assert started == ["spawn"]
