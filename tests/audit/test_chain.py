"""The hash chain, pure: hypothesis builds chains by the hashing rules and tampers with them.

The rules are written out again here (`_seal`), independently of `audit.chain`, so that a change
to the hashing rules fails these tests instead of silently redefining what a valid chain is:
a record's `hash` is SHA-256 over the RFC 8785 canonical JSON of every field except `hash` and
`policy_input` (and `resource_municipality` when it is null: a field added later, hashed only
when set, so older records hash as before); `policy_input_sha256` is SHA-256 over the sorted,
compact JSON of the input.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import GENESIS_HASH, AuditEntry, ChainReport, canonical, record_hash, verify_rows
from tests.factories import make_entry

# --- the hashing rules, written out independently ----------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _seal(entry: dict[str, Any], seq: int, prev_hash: str) -> dict[str, Any]:
    """A stored row for `entry` at `seq` after `prev_hash`, by the documented rules."""
    row = dict(entry, seq=seq, prev_hash=prev_hash)
    pi = row.get("policy_input")
    row["policy_input_sha256"] = (
        None
        if pi is None
        else _sha256(
            json.dumps(pi, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        )
    )
    payload = {
        k: v
        for k, v in row.items()
        if k not in ("hash", "policy_input") and not (k == "resource_municipality" and v is None)
    }
    row["hash"] = _sha256(rfc8785.dumps(payload))
    return row


def build_chain(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    prev = GENESIS_HASH
    for seq, entry in enumerate(entries, start=1):
        row = _seal(entry, seq, prev)
        rows.append(row)
        prev = row["hash"]
    return rows


# --- strategies ---------------------------------------------------------------------------------

_text = st.text(max_size=8)
_json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)  # nanoseconds exceed 2**53
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text
)
_json = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=6,
)

# A few fields of each kind (text, optional text, bool, list, map, policy input) vary; the rest
# keep make_entry's defaults. Every field is tampered with in the tests below.
entries = st.builds(
    lambda **kw: make_entry(**kw).model_dump(),
    subject_id=_text,
    resident=st.none() | _text,
    allowed=st.booleans(),
    reason_codes=st.lists(_text, max_size=2),
    details=st.dictionaries(_text, _text, max_size=2),
    policy_input=st.none() | st.dictionaries(_text, _json, max_size=3),
)
# 50 examples per property keep the module at a few seconds; under CI=true hypothesis also
# derandomizes them, so a failure there reproduces.
_budget = settings(max_examples=50, deadline=None)  # time is not under test

chains = st.lists(entries, min_size=1, max_size=5).map(build_chain)
long_chains = st.lists(entries, min_size=2, max_size=5).map(build_chain)

#: Every field of a stored row, including the ones the store adds.
ROW_FIELDS = sorted({*AuditEntry.model_fields, "seq", "prev_hash", "policy_input_sha256", "hash"})


def _changed(value: Any) -> Any:
    """A value that differs from `value` (and so from its canonical JSON)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return [*value, "x"]
    if isinstance(value, dict):
        return {**value, "\x00tampered": "x"}
    assert value is None
    return "x"


# --- properties ---------------------------------------------------------------------------------


@_budget
@given(chains)
def test_any_chain_built_by_the_rules_verifies(rows: list[dict[str, Any]]) -> None:
    assert verify_rows(rows) == ChainReport(ok=True, checked=len(rows))


_any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=6)
_any_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_any_text, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_any_text, _any_json, max_size=5))
def test_the_fast_canonical_path_is_rfc8785(payload: dict[str, Any]) -> None:
    """Control characters, quotes, astral-plane keys, floats: whichever path canonical() takes,
    the bytes are rfc8785's."""
    assert canonical(payload) == rfc8785.dumps(payload)


@_budget
@given(chains)
def test_the_rules_here_and_in_audit_chain_agree(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        payload = {
            k: v
            for k, v in row.items()
            if k not in ("hash", "policy_input")
            and not (k == "resource_municipality" and v is None)
        }
        assert canonical(payload) == rfc8785.dumps(payload)
        assert record_hash(payload) == row["hash"]


@_budget
@given(chains, st.data())
def test_flipping_any_field_is_caught_at_that_seq(
    rows: list[dict[str, Any]], data: st.DataObject
) -> None:
    k = data.draw(st.integers(0, len(rows) - 1), label="row index")
    field = data.draw(st.sampled_from(ROW_FIELDS), label="field")
    tampered = copy.deepcopy(rows)
    tampered[k][field] = _changed(tampered[k][field])

    report = verify_rows(tampered)

    assert not report.ok
    assert report.first_bad_seq == k + 1
    assert report.checked == k


@_budget
@given(chains, st.data())
def test_altered_policy_input_is_caught(rows: list[dict[str, Any]], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(rows) - 1), label="row index")
    tampered = copy.deepcopy(rows)
    tampered[k]["policy_input"] = _changed(tampered[k]["policy_input"])

    report = verify_rows(tampered)

    assert (report.ok, report.first_bad_seq) == (False, k + 1)
    assert report.problem == "stored policy input was altered"


@_budget
@given(chains, st.data())
def test_altered_policy_input_with_a_matching_digest_is_caught_by_the_hash(
    rows: list[dict[str, Any]], data: st.DataObject
) -> None:
    """Recomputing the digest does not help: the digest is part of the hashed payload."""
    k = data.draw(st.integers(0, len(rows) - 1), label="row index")
    tampered = copy.deepcopy(rows)
    forged = _seal(dict(tampered[k], policy_input={"forged": True}), k + 1, "ignored")
    tampered[k]["policy_input"] = forged["policy_input"]
    tampered[k]["policy_input_sha256"] = forged["policy_input_sha256"]

    report = verify_rows(tampered)

    assert (report.ok, report.first_bad_seq) == (False, k + 1)
    assert report.problem == "hash does not match the record"


@_budget
@given(long_chains, st.data())
def test_dropping_a_row_is_caught_at_its_seq(
    rows: list[dict[str, Any]], data: st.DataObject
) -> None:
    k = data.draw(st.integers(0, len(rows) - 2), label="dropped index")  # not the last: see below
    report = verify_rows(rows[:k] + rows[k + 1 :])
    assert (report.ok, report.first_bad_seq, report.checked) == (False, k + 1, k)


@_budget
@given(chains)
def test_a_dropped_tail_is_invisible_to_the_chain_alone(rows: list[dict[str, Any]]) -> None:
    """A prefix of a chain is a valid chain: truncation needs a signed checkpoint of the head."""
    assert verify_rows(rows[:-1]) == ChainReport(ok=True, checked=len(rows) - 1)


@_budget
@given(long_chains, st.data())
def test_reordering_rows_is_caught_at_the_first_moved_seq(
    rows: list[dict[str, Any]], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(rows) - 2), label="i")
    j = data.draw(st.integers(i + 1, len(rows) - 1), label="j")
    swapped = list(rows)
    swapped[i], swapped[j] = swapped[j], swapped[i]

    report = verify_rows(swapped)

    assert (report.ok, report.first_bad_seq) == (False, i + 1)


@_budget
@given(chains, entries, st.data())
def test_inserting_a_well_formed_row_is_caught_at_the_next_one(
    rows: list[dict[str, Any]], extra: dict[str, Any], data: st.DataObject
) -> None:
    """A forger who builds a perfect row at position k still breaks the link to the row after it.

    Without renumbering, the displaced row is a gap; renumbered (but not rehashed, which would
    need every later hash to be forged as well) its hash no longer matches.
    """
    k = data.draw(st.integers(0, len(rows) - 1), label="insert before index")
    prev = rows[k - 1]["hash"] if k else GENESIS_HASH
    forged = _seal(extra, k + 1, prev)
    renumber = data.draw(st.booleans(), label="renumber the tail")
    tail = [dict(r, seq=r["seq"] + 1) for r in rows[k:]] if renumber else rows[k:]

    report = verify_rows([*rows[:k], forged, *tail])

    assert (report.ok, report.first_bad_seq, report.checked) == (False, k + 2, k + 1)


@_budget
@given(chains)
def test_a_chain_must_start_at_seq_1_after_the_genesis_hash(rows: list[dict[str, Any]]) -> None:
    wrong_start = [_seal(rows[0], 1, "f" * 64)]
    assert verify_rows(wrong_start) == ChainReport(False, 0, 1, "prev_hash does not match")
    if len(rows) > 1:
        assert verify_rows(rows[1:]) == ChainReport(False, 0, 1, "gap: expected seq 1")


def test_an_empty_chain_is_valid() -> None:
    assert verify_rows([]) == ChainReport(ok=True, checked=0)


def test_a_repeated_row_is_caught() -> None:
    rows = build_chain([make_entry().model_dump() for _ in range(3)])
    report = verify_rows([rows[0], rows[1], rows[1], rows[2]])
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 3, "gap: expected seq 3")


def test_the_hash_of_a_known_record_is_pinned() -> None:
    """Existing logs must stay verifiable: a change to the rules changes these digests."""
    entry = AuditEntry(
        event_type="record.read",
        occurred_at="2026-11-29T10:15:00.000000Z",
        subject_id="emp-7",
        subject_roles=["team_generalist"],
        organisation="gemeente-zaanstad",
        municipality="zaanstad",
        resident="ps-é",  # non-ASCII on purpose
        record_id="r-1",
        category="debts",
        action="read",
        processing_activity="wmo-support",
        purpose="support",
        allowed=True,
        reason_codes=["support_data_stays_in_team"],
        details={"b": "2", "a": "1"},
        policy_input={"now_ns": 1_764_400_000_123_456_789, "b": [1.5, None], "a": "ë"},
    )
    (row,) = build_chain([entry.model_dump()])
    assert row["policy_input_sha256"] == PINNED_INPUT_DIGEST
    assert row["hash"] == PINNED_HASH
    assert verify_rows([row]).ok


PINNED_INPUT_DIGEST = "0d524b20eeb794cd4cebe1e512d745902b3bc5a99cfcdf62f57ddde1cc228a9d"
PINNED_HASH = "9ac7711d0aed5b91e52345cfd8980d9874ea115c312a089446a01014f2a394a2"


@pytest.mark.parametrize("bad", [2**53 + 1, float("nan")])
def test_values_rfc_8785_cannot_represent_are_refused(bad: Any) -> None:
    """Which is why the policy input (nanosecond integers) is hashed through its digest."""
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical({"x": bad})


@pytest.mark.parametrize(
    "value",
    [
        None,
        [],
        {},
        ["team_generalist", "privacy_officer"],
        {"parent_span_id": "00f067aa0ba902b7"},
        {"b": [1, 2.5, None, True, -0.0, 1e300], "a": {"z": "é €", "y": '\u2028\x01"\\/'}},
        {"resource": {"id": "r-1", "resident": None}, "consents": [{"id": "c-1"}]},
        "🏠",
    ],
)
def test_the_shared_encoder_spells_what_json_dumps_spells(value: object) -> None:
    """`stored_json` and the chain's digests use one encoder made once; its text is
    json.dumps's with the same options, byte for byte."""
    from audit.chain import input_digest
    from audit.models import stored_json

    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert stored_json(value) == expected
    if isinstance(value, dict):
        assert input_digest(value) == hashlib.sha256(expected.encode("utf-8")).hexdigest()
