"""The RFC 9162 Merkle tree over the audit log: pure functions, no database.

    leaf hash   SHA-256(0x00 || leaf bytes)       (leaf bytes: the record's RFC 8785 JSON)
    node hash   SHA-256(0x01 || left || right)
    MTH(D[n])   split at k, the largest power of two smaller than n (RFC 9162 §2.1.1)

Every hash a proof needs is the head of a range of leaves that the RFC's recursion visits, and
every such range is a run of *perfect* subtrees, aligned at a multiple of their size. A perfect
subtree is named by `(level, index)`: it covers leaves `[index * 2**level, (index + 1) *
2**level)`. The store keeps those heads once written, so a proof at a million entries is a
handful of lookups: `inclusion_ranges` / `consistency_ranges` say which ranges a proof needs,
`perfect_pieces` which stored heads make up a range, and `range_hash` folds them.

`Frontier` extends the tree one leaf at a time (the checkpointer and `audit verify` stream the
log through it) and reports each perfect subtree it completes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence

Node = tuple[int, int]  # (level, index) of a perfect, aligned subtree

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_pieces(start: int, end: int) -> list[Node]:
    """The perfect subtrees that make up the range [start, end), largest first.

    Valid for the ranges the RFC recursion visits (start aligned to a power of two not smaller
    than the range), which is every range this module asks for.
    """
    pieces: list[Node] = []
    pos = start
    while pos < end:
        level = (end - pos).bit_length() - 1
        # Keep pieces aligned: never larger than the alignment of `pos`.
        if pos:
            level = min(level, (pos & -pos).bit_length() - 1)
        pieces.append((level, pos >> level))
        pos += 1 << level
    return pieces


def fold(pieces: Sequence[bytes]) -> bytes:
    """The head of a run of perfect subtrees (largest first), combined right to left."""
    acc = pieces[-1]
    for h in reversed(pieces[:-1]):
        acc = node_hash(h, acc)
    return acc


def range_hash(start: int, end: int, nodes: Mapping[Node, bytes]) -> bytes:
    """MTH(D[start:end]) from the heads of its perfect pieces."""
    if start == end:
        return EMPTY_ROOT
    return fold([nodes[p] for p in perfect_pieces(start, end)])


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose heads form the audit path of leaf `index` in a tree of `size` (§2.1.3.1),
    leaf side first."""
    if not 0 <= index < size:
        raise ValueError("leaf index outside the tree")
    out: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo = lo + k
    out.reverse()
    return out


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The ranges whose heads form the consistency proof from `first` to `second` (§2.1.4.1)."""
    if not 0 < first <= second:
        raise ValueError("need 0 < first <= second")
    out: list[tuple[int, int]] = []
    m, lo, hi, whole = first, 0, second, True
    while True:
        n = hi - lo
        if m == n:
            if not whole:
                out.append((lo, hi))
            break
        k = _split(n)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo, m = lo + k, m - k
            whole = False
    out.reverse()
    return out


def needed_nodes(ranges: Sequence[tuple[int, int]]) -> set[Node]:
    return {p for a, b in ranges for p in perfect_pieces(a, b)}


def proof(ranges: Sequence[tuple[int, int]], nodes: Mapping[Node, bytes]) -> list[bytes]:
    return [range_hash(a, b, nodes) for a, b in ranges]


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ------------------------------------------------


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root that `path` proves `leaf` (a leaf hash) into; raises ValueError if malformed."""
    if not 0 <= index < size:
        raise ValueError("leaf index outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ValueError("path too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("path too short")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    try:
        return root_from_inclusion(index, size, leaf, path) == root
    except ValueError:
        return False


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> bool:
    """True when `path` proves the tree of size `second` extends the tree of size `first`."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    items = list(path)
    if first & (first - 1) == 0:  # a power of two: the first root is the first item
        items.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = items[0]
    for c in items[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


# --- growing the tree ----------------------------------------------------------------------------


class Frontier:
    """The right edge of the tree: one head per set bit of `size`, largest first.

    `push` appends a leaf hash and returns the perfect subtrees it completed (level >= 1), so a
    store can keep them for proofs.
    """

    def __init__(self, size: int = 0, heads: Sequence[bytes] = ()) -> None:
        if len(heads) != size.bit_count():
            raise ValueError("a frontier needs one head per set bit of its size")
        self.size = size
        self._heads = list(heads)

    @classmethod
    def nodes_for(cls, size: int) -> list[Node]:
        """The stored heads a frontier of `size` is rebuilt from."""
        return perfect_pieces(0, size)

    @classmethod
    def from_nodes(cls, size: int, get: Callable[[Node], bytes]) -> Frontier:
        return cls(size, [get(n) for n in cls.nodes_for(size)])

    def push(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        completed: list[tuple[Node, bytes]] = []
        h, level, idx = leaf, 0, self.size
        while idx & 1:
            h = node_hash(self._heads.pop(), h)
            level += 1
            idx >>= 1
            completed.append(((level, idx), h))
        self._heads.append(h)
        self.size += 1
        return completed

    def root(self) -> bytes:
        return fold(self._heads) if self._heads else EMPTY_ROOT


def root_of(leaves: Iterator[bytes] | Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, streamed."""
    f = Frontier()
    for leaf in leaves:
        f.push(leaf)
    return f.root()
