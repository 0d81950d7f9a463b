"""`audit verify`: recompute the chain, the tree and every checkpoint signature.

Full: every record from seq 1, every checkpoint. Incremental (`since`): trust a checkpoint
verified before, rebuild the tree's right edge from the stored heads (and check that they make
that checkpoint's root), check each later checkpoint's consistency proof from it, and
recompute the chain and the leaves after it only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from audit.checkpoint import BadNote, VerifierKey, open_note_any
from audit.merkle import Frontier, verify_consistency
from audit.models import GENESIS_HASH, AuditCheckpoint
from audit.scan import spans
from audit.tree import consistency_proof, hash_at, load_nodes


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    checkpoints: int
    first_bad_seq: int | None = None
    problem: str | None = None
    tree_size: int = 0
    root_hash: str = ""
    tombstones: int = 0


def _checkpoints(session: Session, after: int) -> Iterator[AuditCheckpoint]:
    yield from session.scalars(
        select(AuditCheckpoint)
        .where(col(AuditCheckpoint.tree_size) > after)
        .order_by(col(AuditCheckpoint.tree_size))
    )


def verify_log(
    session: Session,
    key_name: str,
    public_key: bytes,
    origin: str,
    *,
    since: int | None = None,
    workers: int = 1,
    previous_keys: Sequence[VerifierKey] = (),
) -> VerifyReport:
    """`previous_keys`: keys that signed earlier checkpoints (before a rotation); a checkpoint
    signed by any of them or by (`key_name`, `public_key`) is accepted."""
    keys = [VerifierKey(key_name, public_key), *previous_keys]
    start, prev, frontier = 0, GENESIS_HASH, Frontier()
    base: AuditCheckpoint | None = None
    if since:
        base = session.get(AuditCheckpoint, since)
        if base is None:
            return VerifyReport(False, 0, 0, since, f"no checkpoint at tree size {since}")
        bad = _bad_checkpoint(base, keys, origin)
        if bad:
            return VerifyReport(False, 0, 0, since, bad)
        frontier = Frontier.from_nodes(
            since, load_nodes(session, Frontier.nodes_for(since)).__getitem__
        )
        if frontier.root().hex() != base.root_hash:
            return VerifyReport(False, 0, 0, since, "stored tree nodes do not make its root")
        start = since
        prev = hash_at(session, since)

    cps = _checkpoints(session, start)
    pending = next(cps, None)
    checked = seen = tombstones = 0
    last_good = start
    for span in spans(session, start, workers):
        if span.after != start + checked and (span.count or span.problem):
            at = start + checked + 1
            return VerifyReport(False, checked, seen, at, f"gap: expected seq {at}")
        if span.first_prev is not None and span.first_prev != prev:
            return VerifyReport(False, checked, seen, span.after + 1, "prev_hash does not match")
        leaves = span.leaves
        for at in range(0, len(leaves), 32):
            frontier.push(bytes(leaves[at : at + 32]))
            checked += 1
            while pending is not None and pending.tree_size == frontier.size:
                bad = _bad_checkpoint(pending, keys, origin)
                if bad is None and frontier.root().hex() != pending.root_hash:
                    bad = "the records do not make this checkpoint's root"
                if bad is None and base is not None:
                    path = consistency_proof(session, base.tree_size, pending.tree_size)
                    if not verify_consistency(
                        base.tree_size,
                        pending.tree_size,
                        bytes.fromhex(base.root_hash),
                        bytes.fromhex(pending.root_hash),
                        path,
                    ):
                        bad = f"no consistency with the checkpoint at {base.tree_size}"
                if bad is not None:
                    return VerifyReport(
                        False,
                        checked,
                        seen,
                        last_good + 1,
                        f"checkpoint {pending.tree_size}: {bad} (altered between seq "
                        f"{last_good + 1} and {pending.tree_size})",
                    )
                seen += 1
                last_good = pending.tree_size
                pending = next(cps, None)
        if span.problem is not None:
            return VerifyReport(False, checked, seen, *span.problem)
        tombstones += span.tombstones
        if span.count:
            prev = span.last_hash
    if pending is not None:
        return VerifyReport(
            False,
            checked,
            seen,
            start + checked + 1,
            f"a checkpoint covers {pending.tree_size} records but the log ends at "
            f"{start + checked}: records were removed",
        )
    return VerifyReport(
        True,
        checked,
        seen,
        tree_size=frontier.size,
        root_hash=frontier.root().hex(),
        tombstones=tombstones,
    )


def _bad_checkpoint(cp: AuditCheckpoint, keys: Sequence[VerifierKey], origin: str) -> str | None:
    try:
        signed = open_note_any(cp.note, keys)
    except BadNote as exc:
        return f"signature: {exc}"
    if signed.origin != origin:
        return "signed for another origin"
    if signed.tree_size != cp.tree_size or signed.root_hash.hex() != cp.root_hash:
        return "the stored size or root differs from the signed note"
    return None
