"""Has the log only grown since a checkpoint someone saw? Rollback and fork detection.

A checkpoint once seen (signed by the gateway, fetched by a monitor, checked by a resident's
browser) is a promise: every later tree extends it. Restoring an old backup breaks that
promise in one of two ways, both of which this module names:

    ROLLED_BACK   the log is now smaller than the checkpoint seen
    FORKED        the log is as large or larger, but its first `size` entries are not the ones
                  seen (an old backup that grew again, or entries rewritten)

`compare` judges two checkpoints and the RFC 9162 consistency proof between them (for a
monitor that only has the public endpoints); `check_database` judges a checkpoint seen before
against the tree stored in the database (for the gateway itself, before it serves).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from sqlmodel import Session

from audit.checkpoint import Checkpoint
from audit.errors import TreeSizeUnavailable
from audit.merkle import needed_nodes, range_hash, verify_consistency
from audit.tree import latest_checkpoint, load_nodes


class Growth(StrEnum):
    SAME = "same"
    GREW = "grew"
    ROLLED_BACK = "rolled_back"
    FORKED = "forked"

    @property
    def ok(self) -> bool:
        return self in (Growth.SAME, Growth.GREW)


def compare(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> Growth:
    """Does `new` extend `old`? `proof`: the consistency proof from old.tree_size to
    new.tree_size (ignored when the sizes say rollback or are equal)."""
    if new.tree_size < old.tree_size:
        return Growth.ROLLED_BACK
    if new.tree_size == old.tree_size:
        return Growth.SAME if new.root_hash == old.root_hash else Growth.FORKED
    if old.tree_size == 0:
        return Growth.GREW
    ok = verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, proof)
    return Growth.GREW if ok else Growth.FORKED


def check_database(session: Session, seen: Checkpoint) -> tuple[Growth, int]:
    """Judge the database's tree against a checkpoint seen before: (growth, its tree size).

    The stored heads give the root of the first `seen.tree_size` entries directly; the
    gateway's checkpointer and `audit verify` check that the heads fit the records."""
    last = latest_checkpoint(session)
    now = last.tree_size if last is not None else 0
    if now < seen.tree_size:
        return Growth.ROLLED_BACK, now
    if seen.tree_size == 0:
        return Growth.GREW, now
    try:
        nodes = load_nodes(session, needed_nodes([(0, seen.tree_size)]))
    except TreeSizeUnavailable:
        return Growth.FORKED, now
    if range_hash(0, seen.tree_size, nodes) != seen.root_hash:
        return Growth.FORKED, now
    return (Growth.SAME if now == seen.tree_size else Growth.GREW), now
