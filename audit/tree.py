"""The Merkle tree in the database: signed checkpoints, and proofs read from stored heads.

    audit_records.leaf_hash    level 0 (leaf index = seq - 1), written with the record
    audit_tree_nodes           level >= 1: each perfect subtree's head, written by `checkpoint`
    audit_checkpoints          one signed note per tree size

`checkpoint` extends the tree from the last checkpoint to the newest record. Before it signs,
it re-checks the chain and recomputes the leaf hash of every new record from its content, so a
record altered before its first checkpoint is refused (ChainBroken), never signed. It checks
each record as `audit verify` does (`scan.check_span`): the stored bytes are hashed where that
is sound, and a record they do not fit is rebuilt and checked the slow way, which decides.
(The stored policy input is not part of the leaf, only its digest is, and is not read here;
`audit verify` compares the two.)
One writer at a time: a PostgreSQL advisory lock of its own (not the append lock, so appends
go on); on SQLite the engine's BEGIN IMMEDIATE. A second checkpointer that loses the race finds
nothing new to sign.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, text, tuple_
from sqlmodel import Session, col

from audit import scan
from audit.checkpoint import Checkpoint, NoteSigner
from audit.errors import ChainBroken, TreeSizeUnavailable
from audit.merkle import (
    Frontier,
    Node,
    consistency_ranges,
    inclusion_ranges,
    needed_nodes,
    proof,
    range_hash,
)
from audit.models import GENESIS_HASH, AuditCheckpoint, AuditRecord, AuditTreeNode

PG_CHECKPOINT_LOCK = 0x74726565  # "tree"


def load_nodes(session: Session, keys: Iterable[Node]) -> dict[Node, bytes]:
    """Stored heads by (level, index); level 0 comes from the records' leaf hashes."""
    keys = set(keys)
    out: dict[Node, bytes] = {}
    leaves = sorted(i + 1 for lvl, i in keys if lvl == 0)
    for start in range(0, len(leaves), 500):
        chunk = leaves[start : start + 500]
        for seq, lh in session.execute(
            select(col(AuditRecord.seq), col(AuditRecord.leaf_hash)).where(
                col(AuditRecord.seq).in_(chunk)
            )
        ):
            if lh:
                out[(0, seq - 1)] = bytes.fromhex(lh)
    inner = sorted(k for k in keys if k[0] > 0)
    for start in range(0, len(inner), 500):
        pairs = inner[start : start + 500]
        for level, idx, h in session.execute(
            select(col(AuditTreeNode.level), col(AuditTreeNode.idx), col(AuditTreeNode.hash)).where(
                tuple_(col(AuditTreeNode.level), col(AuditTreeNode.idx)).in_(pairs)
            )
        ):
            out[(level, idx)] = bytes.fromhex(h)
    missing = keys - out.keys()
    if missing:
        raise TreeSizeUnavailable(f"{len(missing)} tree nodes are not stored")
    return out


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalars(
        select(AuditCheckpoint).order_by(col(AuditCheckpoint.tree_size).desc()).limit(1)
    ).first()


def hash_at(session: Session, seq: int) -> str:
    """The chain hash of record `seq` ("" if there is none)."""
    return session.scalar(select(col(AuditRecord.hash)).where(col(AuditRecord.seq) == seq)) or ""


def head_seq(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(AuditRecord.seq), 0))) or 0)


def checkpoint(
    session: Session,
    signer: NoteSigner,
    origin: str,
    now: str,
    *,
    unless_signed_after: str | None = None,
) -> AuditCheckpoint | None:
    """Extend the tree to the newest record and sign it; None when nothing is new, or when
    the last checkpoint was signed after `unless_signed_after` (an RFC 3339 time in the
    same format as `now`): several processes each run a checkpointer, and this keeps them
    to one checkpoint per interval for the log, whoever signs it, also when the last one
    was signed after `now` by a process that won the lock while this one waited for it. (A
    clock that stands still, as a test's may, is never throttled.)

    Runs in the caller's transaction; the caller commits.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_CHECKPOINT_LOCK})
    last = latest_checkpoint(session)
    if (
        last is not None
        and unless_signed_after is not None
        and unless_signed_after < last.created_at != now
    ):
        return None
    size = last.tree_size if last else 0
    head = head_seq(session)
    if head <= size:
        return None
    frontier = Frontier.from_nodes(size, load_nodes(session, Frontier.nodes_for(size)).__getitem__)
    if last is not None and frontier.root().hex() != last.root_hash:
        raise ChainBroken(size, "stored tree does not match the last checkpoint")
    prev = GENESIS_HASH
    if size:
        prev = (
            session.scalar(select(col(AuditRecord.hash)).where(col(AuditRecord.seq) == size)) or ""
        )
    new_nodes: list[dict[str, Any]] = []
    seq = size
    # Each new record is checked as `audit verify` checks it (audit/scan.py: its stored bytes
    # hashed where that is sound, the slow check where not, which decides), a span at a time,
    # without the stored policy inputs (the largest column): what is signed is the leaf, and
    # the leaf covers an input through its digest; `audit verify` compares the two.
    while seq < head:
        until = min(seq + scan.SPAN, head)
        span = scan.check_span(session, seq, until, prev=prev, check_input=False)
        if span.problem is not None:
            raise ChainBroken(*span.problem)
        leaves = span.leaves
        for at in range(0, len(leaves), 32):
            new_nodes.extend(
                {"level": lvl, "idx": idx, "hash": h.hex()}
                for (lvl, idx), h in frontier.push(bytes(leaves[at : at + 32]))
            )
        seq += span.count
        if seq != until:
            break
        prev = span.last_hash
    if seq != head:
        raise ChainBroken(seq + 1, "gap: a record is missing")
    if new_nodes:  # Core executemany: a node per entry, no ORM objects
        session.execute(insert(AuditTreeNode), new_nodes)
    note = signer.sign(Checkpoint(origin=origin, tree_size=head, root_hash=frontier.root()))
    cp = AuditCheckpoint(tree_size=head, root_hash=frontier.root().hex(), created_at=now, note=note)
    session.add(cp)
    session.flush()
    return cp


def _checked_size(session: Session, tree_size: int | None) -> int:
    last = latest_checkpoint(session)
    if last is None:
        raise TreeSizeUnavailable("no checkpoint yet")
    if tree_size is None:
        return last.tree_size
    if not 0 < tree_size <= last.tree_size:
        raise TreeSizeUnavailable(f"tree size must be between 1 and {last.tree_size}")
    return tree_size


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    path: list[bytes]
    root_hash: bytes


def inclusion_proof(session: Session, seq: int, tree_size: int | None = None) -> InclusionProof:
    """The audit path of record `seq` in the tree of `tree_size` (default: latest checkpoint)."""
    size = _checked_size(session, tree_size)
    if not 0 < seq <= size:
        raise TreeSizeUnavailable(f"seq {seq} is not in the tree of size {size} (yet)")
    index = seq - 1
    ranges = inclusion_ranges(index, size)
    nodes = load_nodes(session, needed_nodes([*ranges, (0, size), (index, index + 1)]))
    return InclusionProof(
        leaf_index=index,
        tree_size=size,
        leaf_hash=nodes[(0, index)],
        path=proof(ranges, nodes),
        root_hash=range_hash(0, size, nodes),
    )


def consistency_proof(session: Session, first: int, second: int) -> list[bytes]:
    """The proof that the tree of `second` entries extends the tree of `first`."""
    _checked_size(session, second)
    if not 0 < first <= second:
        raise TreeSizeUnavailable("need 0 < first <= second")
    ranges = consistency_ranges(first, second)
    return proof(ranges, load_nodes(session, needed_nodes(ranges)))


def root_at(session: Session, tree_size: int) -> bytes:
    size = _checked_size(session, tree_size)
    return range_hash(0, size, load_nodes(session, needed_nodes([(0, size)])))
