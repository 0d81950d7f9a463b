"""The hash chain: pure functions, no database.

Each record's `hash` is SHA-256 over the RFC 8785 canonical JSON of its payload: every field
except `hash` itself and the stored policy input, which the payload covers through
`policy_input_sha256` (the input holds nanosecond integers, which RFC 8785 cannot represent).
The payload includes `seq` and `prev_hash`, so a record cannot move or be dropped unnoticed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785

from audit.models import GENESIS_HASH

#: Fields that are not part of the hashed payload.
_NOT_HASHED = frozenset({"hash", "policy_input"})


def input_digest(policy_input: Mapping[str, Any] | None) -> str | None:
    """SHA-256 of the stored policy input, in a stable serialisation."""
    if policy_input is None:
        return None
    raw = json.dumps(policy_input, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def payload_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed part of a record."""
    return {k: v for k, v in row.items() if k not in _NOT_HASHED}


def canonical(payload: Mapping[str, Any]) -> bytes:
    """RFC 8785 canonical JSON bytes."""
    return bytes(rfc8785.dumps(dict(payload)))


def record_hash(payload: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None


def verify_rows(rows: Iterable[Mapping[str, Any]]) -> ChainReport:
    """Recompute the chain over rows ordered by `seq`; stop at the first break."""
    prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for row in rows:
        seq = int(row["seq"])
        if seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"gap: expected seq {expected_seq}")
        if row["prev_hash"] != prev:
            return ChainReport(False, checked, seq, "prev_hash does not match")
        if row.get("policy_input_sha256") != input_digest(row.get("policy_input")):
            return ChainReport(False, checked, seq, "stored policy input was altered")
        if record_hash(payload_of(row)) != row["hash"]:
            return ChainReport(False, checked, seq, "hash does not match the record")
        prev = str(row["hash"])
        expected_seq += 1
        checked += 1
    return ChainReport(True, checked)
