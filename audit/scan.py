"""Check stored audit rows fast: hash what is stored, parse only what must be parsed.

`audit verify` recomputes every record's hash from its stored columns. Rebuilding each record
as Python objects and serialising it again (`chain.check_row`) costs ~50 µs a row; this module
checks the same things in a fraction of that, and `verify.verify_log` spreads spans of the log
over worker processes.

How a row is checked without rebuilding it:

- The row is read as stored: JSON columns as their stored text (a cast to text), no ORM.
- The hashed payload is RFC 8785 JSON with its keys sorted. Its bytes are assembled from the
  columns in key order: strings, integers, booleans and null encoded as JSON, and each JSON
  column's stored text spliced in as it is. The store writes that text compact with sorted
  keys (`models.stored_json`), so for a record written that way the splice *is* the canonical
  payload. Sound: each spliced text is first parsed as exactly one JSON value and must be
  that value's RFC 8785 spelling (`_canonical_text`), so the spliced bytes are exactly the
  bytes `chain.check_row` rebuilds from the parsed columns: equal hashes, equal verdict. (A
  text that parses but is spelled otherwise — spaces, another key order, other escapes — is
  left to the slow path, also when someone rehashed the row over that spelling.)
- If the spliced bytes do not hash to the stored hash (an older row stored in another JSON
  spelling, a float in `details`, or a row that was altered), the row is rebuilt and checked
  the slow way (`chain.check_row`), which decides. So the fast path never accepts what the
  slow path refuses, and never refuses what it accepts.
- The checkpointer (`tree.checkpoint`) checks each new record through the same function
  (`check_span`), without reading the stored policy input (`check_input=False`).
- The stored policy input: its SHA-256 is compared with `policy_input_sha256` directly when
  it is stored in the digest's own spelling (`chain.input_digest`); otherwise it is parsed and
  digested as before.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Text, cast, create_engine, func, null, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from audit.chain import _HASHED_WHEN_SET, _NOT_HASHED, _plain, check_row
from audit.merkle import leaf_hash
from audit.models import AuditRecord, StoredJSON

_TABLE = AuditRecord.__table__  # type: ignore[attr-defined]
_JSON_COLUMNS = frozenset(c.name for c in _TABLE.columns if isinstance(c.type, StoredJSON))
#: Every column, JSON ones as their stored text.
_SELECT: list[ColumnElement[Any]] = [
    cast(c, Text).label(c.name) if c.name in _JSON_COLUMNS else c for c in _TABLE.columns
]
#: The same without the stored policy input (the largest column), NULL in its place.
_SELECT_NO_INPUT: list[ColumnElement[Any]] = [
    null().label("policy_input") if c.name == "policy_input" else c for c in _SELECT
]
_NAMES = [c.name for c in _TABLE.columns]
_AT = {name: i for i, name in enumerate(_NAMES)}
#: The hashed payload's columns in RFC 8785 key order (ASCII names: code-point order),
#: as (`"name":` prefix, column index, is JSON, left out when null — `chain.payload_of`).
_PLAN = [
    (json.dumps(name) + ":", _AT[name], name in _JSON_COLUMNS, name in _HASHED_WHEN_SET)
    for name in sorted(n for n in _NAMES if n not in _NOT_HASHED)
]
_SEQ, _PREV, _HASH = _AT["seq"], _AT["prev_hash"], _AT["hash"]
_LEAF, _ERASED = _AT["leaf_hash"], _AT["erased_at"]
_INPUT, _INPUT_SHA = _AT["policy_input"], _AT["policy_input_sha256"]
_SAFE_INT = 2**53 - 1
_encode_str = json.encoder.encode_basestring  # the C encoder, as json.dumps uses it
#: The C scanner behind json.loads, without its wrapper: (value, end) of the JSON value at
#: an index; the whole text is one value when `end` is its length.
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
#: The C encoder behind json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False),
#: made once (json.dumps builds one per call): RFC 8785 for a value `chain._plain` accepts.
_encode_plain = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, None, _encode_str, None, ":", ",", True, False, True
)


def _canonical_text(text: str, value: Any) -> bool:
    """True when `text` is exactly the RFC 8785 spelling of `value` (its parse), the bytes
    `chain.canonical` writes for it; False sends the row to the slow path."""
    if text == "[]" or text == "{}":  # the common case, before any call
        return True
    return _plain(value) and "".join(_encode_plain(value, 0)) == text


@dataclass
class Span:
    """What checking the records `(after, after + count]` found.

    `leaves` holds the leaf hash of every good row in order (32 bytes each); a problem stops
    the span at the row it names, so the leaves are those of the rows before it.
    """

    after: int
    first_prev: str | None = None
    last_hash: str = ""
    count: int = 0
    tombstones: int = 0
    leaves: bytearray = field(default_factory=bytearray)
    problem: tuple[int, str] | None = None


def spliced_payload(row: Sequence[Any]) -> bytes | None:
    """The payload's canonical bytes assembled from a row read by `_SELECT`, or None when a
    column cannot be spliced (not one JSON value or not in RFC 8785 spelling, an integer
    beyond 2**53, a lone surrogate)."""
    parts = []
    for prefix, i, is_json, only_when_set in _PLAN:
        v = row[i]
        if v is None and only_when_set:
            continue
        if is_json:
            try:
                value, end = _scan_json(v, 0)
            except (StopIteration, ValueError, TypeError):  # not one JSON value, or NULL
                return None
            if end != len(v) or not _canonical_text(v, value):
                return None
            parts.append(prefix + v)
        elif v is None:
            parts.append(prefix + "null")
        elif v is True:
            parts.append(prefix + "true")
        elif v is False:
            parts.append(prefix + "false")
        elif type(v) is int:
            if not -_SAFE_INT <= v <= _SAFE_INT:
                return None
            parts.append(prefix + str(v))
        elif type(v) is str:
            parts.append(prefix + _encode_str(v))
        else:
            return None
    try:
        return ("{" + ",".join(parts) + "}").encode()
    except UnicodeEncodeError:
        return None


def _input_intact(row: Sequence[Any]) -> bool | None:
    """True when the stored input hashes to its digest as stored; None when undecided here."""
    digest, text = row[_INPUT_SHA], row[_INPUT]
    if digest is None:
        return None if text not in (None, "null") else True
    if text is None:
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() == digest or None


def _as_record(row: Sequence[Any]) -> dict[str, Any]:
    """The row as `AuditStore.iter_rows` gives it: JSON columns parsed."""
    out = dict(zip(_NAMES, row, strict=True))
    for name in _JSON_COLUMNS:
        text = out[name]
        try:
            out[name] = None if text is None else json.loads(text)
        except ValueError:
            out[name] = text  # not JSON: the slow check refuses the row
    return out


def check_stored(
    row: Sequence[Any], prev: str, seq: int, *, check_input: bool = True
) -> tuple[str | None, bytes]:
    """`chain.check_row(row, prev, seq, check_input=…)` for a row read by `_SELECT` (or, with
    `check_input=False`, by `_SELECT_NO_INPUT`), with the fast path described above."""
    if row[_SEQ] == seq and row[_PREV] == prev and not row[_ERASED]:
        data = spliced_payload(row)
        if (
            data is not None
            and (not check_input or _input_intact(row))
            and hashlib.sha256(data).hexdigest() == row[_HASH]
        ):
            leaf = leaf_hash(data)
            stored = row[_LEAF]
            if stored is None or stored == leaf.hex():
                return None, leaf
    return check_row(_as_record(row), prev, seq, check_input=check_input)


def stored_rows(
    session: Session, after: int, until: int, batch: int = 5000, *, with_policy_input: bool = True
) -> Iterator[Any]:
    """The records `(after, until]` as stored, in `seq` order, fetched in batches; without
    `with_policy_input`, NULL in place of the stored policy input."""
    seq = _TABLE.c.seq
    columns = _SELECT if with_policy_input else _SELECT_NO_INPUT
    last = after
    while last < until:
        stmt = select(*columns).where(seq > last, seq <= until).order_by(seq).limit(batch)
        rows = session.execute(stmt).all()
        if not rows:
            return
        yield from rows
        last = rows[-1][_SEQ]


def check_span(
    session: Session, after: int, until: int, *, prev: str | None = None, check_input: bool = True
) -> Span:
    """Check the records `(after, until]`: each one's seq, its link to the row before it in the
    span, its input digest (unless not `check_input`: then the input is not even read), its
    hash and its leaf hash. Given `prev`, the first row must link to it; otherwise the caller
    checks the first row's link to the record at `after`. The caller checks that no record is
    missing at the span's end (`count`)."""
    span = Span(after=after, first_prev=prev)
    seq = after
    for row in stored_rows(session, after, until, with_policy_input=check_input):
        seq += 1
        if prev is None:
            span.first_prev = prev = row[_PREV]
        problem, leaf = check_stored(row, prev, seq, check_input=check_input)
        if problem is not None:
            span.problem = (seq, problem)
            return span
        span.leaves += leaf
        span.tombstones += bool(row[_ERASED])
        span.last_hash = prev = row[_HASH]
        span.count += 1
    return span


#: Records checked per span: one unit of work for a worker process.
SPAN = 20_000

#: Spans below which started (not forked) worker processes do not pay: each imports the
#: gateway anew (~1 s before its first span), while this process checks a span in ~0.4 s.
#: (`make bench`: 21,600 entries, 2 spans, checked at ~42,000 entries/s in this process and
#: at ~13,000/s by two started processes.) A forked worker starts in milliseconds.
SPAWN_FROM_SPANS = 10

_worker_engine: Engine | None = None


def _start_worker(url: str) -> None:
    global _worker_engine  # one engine per worker process
    _worker_engine = create_engine(url)


def _check_in_worker(after: int, until: int) -> Span:
    assert _worker_engine is not None
    with Session(_worker_engine) as session:
        return check_span(session, after, until)


def spans(session: Session, after: int, workers: int = 1) -> Iterator[Span]:
    """`check_span` over every record after `after`, in order, `SPAN` records at a time.

    With `workers` > 1 and a database other processes can open, the spans are checked by
    that many worker processes (each with its own connection), and yielded in order. Forked
    when this process runs one thread (the CLI), started afresh otherwise (a server process:
    forking it would copy locks other threads hold); started processes only for a log of at
    least `SPAWN_FROM_SPANS` spans, where they pay for their start.
    """
    end = session.scalar(select(func.max(_TABLE.c.seq))) or 0
    lows = list(range(after, end, SPAN))
    highs = [min(low + SPAN, end) for low in lows]
    url = session.get_bind().engine.url
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    method = "fork" if threading.active_count() == 1 else "spawn"
    enough = len(lows) >= (2 if method == "fork" else max(2, SPAWN_FROM_SPANS))
    if workers <= 1 or not enough or in_memory:
        for low, high in zip(lows, highs, strict=True):
            yield check_span(session, low, high)
        return
    pool = ProcessPoolExecutor(
        min(workers, len(lows)),
        mp_context=multiprocessing.get_context(method),
        initializer=_start_worker,
        initargs=(url.render_as_string(hide_password=False),),
    )
    try:
        yield from pool.map(_check_in_worker, lows, highs)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
