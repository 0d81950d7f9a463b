"""The Merkle tree, pure: every function against a naive transcription of RFC 9162 §2.1."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import merkle

# --- RFC 9162 §2.1, written out as literally as possible -----------------------------------------


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return _h(b"")
    if n == 1:
        return _h(b"\x00" + d[0])
    k = _k(n)
    return _h(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = _k(n)
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def proof(m: int, d: list[bytes]) -> list[bytes]:
    return subproof(m, d, True)


# --- the tree as the store builds it ---------------------------------------------------------


def _nodes(leaves: list[bytes]) -> dict[merkle.Node, bytes]:
    """Every perfect subtree head, as the store keeps them (level 0: leaf hashes)."""
    f = merkle.Frontier()
    nodes: dict[merkle.Node, bytes] = {}
    for i, leaf in enumerate(leaves):
        lh = merkle.leaf_hash(leaf)
        nodes[(0, i)] = lh
        nodes.update(f.push(lh))
    return nodes


_budget = settings(max_examples=60, deadline=None)
trees = st.lists(st.binary(max_size=4), min_size=1, max_size=70)


@_budget
@given(trees)
def test_root_matches_the_rfc(leaves: list[bytes]) -> None:
    assert merkle.root_of([merkle.leaf_hash(x) for x in leaves]) == mth(leaves)
    nodes = _nodes(leaves)
    assert merkle.range_hash(0, len(leaves), nodes) == mth(leaves)


@_budget
@given(trees)
def test_frontier_reports_exactly_the_perfect_subtrees(leaves: list[bytes]) -> None:
    nodes = _nodes(leaves)
    for (level, idx), h in nodes.items():
        size = 1 << level
        assert (idx + 1) * size <= len(leaves)
        assert h == mth(leaves[idx * size : (idx + 1) * size])
    expected = sum(len(leaves) >> level for level in range(len(leaves).bit_length()))
    assert len(nodes) == expected


@_budget
@given(trees, st.data())
def test_inclusion_proofs_match_the_rfc_and_verify(
    leaves: list[bytes], data: st.DataObject
) -> None:
    n = data.draw(st.integers(1, len(leaves)), label="tree size")
    m = data.draw(st.integers(0, n - 1), label="leaf index")
    nodes = _nodes(leaves)

    got = merkle.proof(merkle.inclusion_ranges(m, n), nodes)

    assert got == path(m, leaves[:n])
    root = mth(leaves[:n])
    lh = merkle.leaf_hash(leaves[m])
    assert merkle.verify_inclusion(m, n, lh, got, root)
    assert not merkle.verify_inclusion(m, n, merkle.leaf_hash(leaves[m] + b"x"), got, root)
    if got:
        k = data.draw(st.integers(0, len(got) - 1), label="tampered step")
        bad = [*got[:k], bytes(32), *got[k + 1 :]]
        assert not merkle.verify_inclusion(m, n, lh, bad, root)
        assert not merkle.verify_inclusion(m, n, lh, got[:-1], root)
    assert not merkle.verify_inclusion(m, n, lh, [*got, bytes(32)], root)
    if n > 1:
        assert (
            not merkle.verify_inclusion((m + 1) % n, n, lh, got, root)
            or leaves[(m + 1) % n] == leaves[m]
        )


@_budget
@given(trees, st.data())
def test_consistency_proofs_match_the_rfc_and_verify(
    leaves: list[bytes], data: st.DataObject
) -> None:
    second = data.draw(st.integers(1, len(leaves)), label="second")
    first = data.draw(st.integers(1, second), label="first")
    nodes = _nodes(leaves)

    got = merkle.proof(merkle.consistency_ranges(first, second), nodes)

    assert got == proof(first, leaves[:second])
    r1, r2 = mth(leaves[:first]), mth(leaves[:second])
    assert merkle.verify_consistency(first, second, r1, r2, got)
    assert not merkle.verify_consistency(first, second, r1, _h(r2), got)
    if first < second:
        assert not merkle.verify_consistency(first, second, _h(r1), r2, got)
        k = data.draw(st.integers(0, len(got) - 1), label="tampered step")
        bad = [*got[:k], _h(got[k]), *got[k + 1 :]]
        assert not merkle.verify_consistency(first, second, r1, r2, bad)


@_budget
@given(trees)
def test_a_frontier_rebuilt_from_stored_heads_continues_the_same_tree(leaves: list[bytes]) -> None:
    half = len(leaves) // 2
    nodes = _nodes(leaves[:half])
    f = merkle.Frontier.from_nodes(half, nodes.__getitem__)
    for leaf in leaves[half:]:
        f.push(merkle.leaf_hash(leaf))
    assert f.root() == mth(leaves)


def test_known_vectors() -> None:
    """Pinned: the empty tree, one leaf, and the RFC 6962 reference tree of 8 leaves."""
    assert merkle.root_of([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    leaves = [
        bytes.fromhex(x)
        for x in (
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        )
    ]
    assert merkle.root_of([merkle.leaf_hash(x) for x in leaves]).hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        merkle.inclusion_ranges(3, 3)
    with pytest.raises(ValueError, match="first"):
        merkle.consistency_ranges(0, 3)
    with pytest.raises(ValueError, match="head"):
        merkle.Frontier(3, [bytes(32)])
    assert not merkle.verify_consistency(4, 3, b"", b"", [])
