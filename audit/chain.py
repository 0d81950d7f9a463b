"""The hash chain: pure functions, no database.

Each record's `hash` is SHA-256 over the RFC 8785 canonical JSON of its payload: every field
except `hash` itself and the stored policy input, which the payload covers through
`policy_input_sha256` (the input holds nanosecond integers, which RFC 8785 cannot represent).
The payload includes `seq` and `prev_hash`, so a record cannot move or be dropped unnoticed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785

from audit.merkle import leaf_hash
from audit.models import GENESIS_HASH, SORTED_COMPACT

#: Fields that are not part of the hashed payload.
_NOT_HASHED = frozenset({"hash", "policy_input", "leaf_hash", "erased_at"})
#: Fields added after the first release: hashed when set, left out when null, so that every
#: record written before them hashes as it did.
_HASHED_WHEN_SET = frozenset({"resource_municipality"})


def input_digest(policy_input: Mapping[str, Any] | None) -> str | None:
    """SHA-256 of the stored policy input, in a stable serialisation."""
    if policy_input is None:
        return None
    raw = SORTED_COMPACT.encode(policy_input)  # json.dumps(sort_keys, compact, non-ASCII as is)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def payload_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed part of a record."""
    return {
        k: v
        for k, v in row.items()
        if k not in _NOT_HASHED and not (v is None and k in _HASHED_WHEN_SET)
    }


_SAFE_INT = 2**53 - 1


def _plain(value: Any) -> bool:
    """True when `json.dumps(sort_keys=True)` already writes RFC 8785: no floats (number
    formatting differs), integers within 2**53, ASCII keys (code-point order = UTF-16 order).
    String escaping is the same in both: `"`, `\\`, the short forms and `\\u00xx` (lowercase).
    Loops, not generators: this runs for every record `audit verify` reads."""
    t = type(value)
    if t is str or t is bool or value is None:
        return True
    if t is int:
        return bool(-_SAFE_INT <= value <= _SAFE_INT)
    if t is list:
        for v in value:  # noqa: SIM110  (a loop: see the docstring)
            if not _plain(v):
                return False
        return True
    if t is dict:
        for k, v in value.items():
            if type(k) is not str or not k.isascii() or not _plain(v):
                return False
        return True
    return False


def canonical(payload: Mapping[str, Any]) -> bytes:
    """RFC 8785 canonical JSON bytes.

    Audit payloads take a fast path through the standard library (seven times faster than the
    pure-Python `rfc8785`, which matters to `audit verify` over millions of rows); anything
    outside it goes through `rfc8785`. tests/audit/test_chain.py checks both agree.
    """
    data = dict(payload)
    if _plain(data):
        try:
            return SORTED_COMPACT.encode(data).encode()
        except UnicodeEncodeError:  # a lone surrogate: let rfc8785 refuse it
            pass
    return bytes(rfc8785.dumps(data))


def record_hash(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None


def check_row(
    row: Mapping[str, Any], prev: str, expected_seq: int, *, check_input: bool = True
) -> tuple[str | None, bytes]:
    """(problem or None, the row's RFC 9162 leaf hash) for one row that should follow `prev`.

    A tombstone (`erased_at` set) no longer holds the bytes its hashes were made from: its link
    to the previous row and its stored leaf hash are all that is left to check here; the signed
    checkpoints cover the leaf hash.

    `check_input=False` skips comparing the stored policy input with its digest (the row may
    then leave the input out): the leaf and the chain hash cover the digest, not the input, so
    what they prove does not depend on it. `audit verify` always checks it.
    """
    seq = int(row["seq"])
    if seq != expected_seq:
        return f"gap: expected seq {expected_seq}", b""
    if row["prev_hash"] != prev:
        return "prev_hash does not match", b""
    if row.get("erased_at"):
        stored = row.get("leaf_hash")
        if not stored or len(stored) != 64:
            return "tombstone without a leaf hash", b""
        return None, bytes.fromhex(stored)
    if check_input and row.get("policy_input_sha256") != input_digest(row.get("policy_input")):
        return "stored policy input was altered", b""
    try:
        data = canonical(payload_of(row))
    except rfc8785.CanonicalizationError:  # e.g. an integer beyond 2**53 put in a column
        return "hash does not match the record", b""
    if hashlib.sha256(data).hexdigest() != row["hash"]:
        return "hash does not match the record", b""
    leaf = leaf_hash(data)
    stored = row.get("leaf_hash")
    if stored is not None and stored != leaf.hex():
        return "stored leaf hash does not match the record", b""
    return None, leaf


def verify_rows(rows: Iterable[Mapping[str, Any]]) -> ChainReport:
    """Recompute the chain over rows ordered by `seq`; stop at the first break."""
    prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for row in rows:
        problem, _ = check_row(row, prev, expected_seq)
        if problem is not None:
            seq = expected_seq if problem.startswith("gap") else int(row["seq"])
            return ChainReport(False, checked, seq, problem)
        prev = str(row["hash"])
        expected_seq += 1
        checked += 1
    return ChainReport(True, checked)
