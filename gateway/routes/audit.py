"""The audit trail from outside: signed checkpoints, proofs, entries, standard exports.

Checkpoints, the public key and proofs are public (hashes only, nothing personal): anyone can
check that the log only grows. Entries and exports are decided by the enforcement point and the
policy (resource type `audit_log`): the privacy officer of the entry's municipality reads it
whole; a resident reads her own through the access log's allow-list (no employee id, EU Court
C-579/21), held-back entries held back.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from audit import (
    AuditRecord,
    TreeSizeUnavailable,
    consistency_proof,
    inclusion_proof,
    latest_checkpoint,
    supervising_municipality,
    vkey,
)
from audit.chain import canonical, payload_of
from audit.export import to_adl, to_ldv
from gateway.db import session_scope
from gateway.deps import ContextDep, PrincipalDep, ServicesDep
from gateway.errors import NotFound
from gateway.pep import NO_ACTIVITY, ResourceFacts
from gateway.routes.me import is_held_back, to_entry
from gateway.schemas import (
    MAX_SEQ,
    AuditEntryPublic,
    AuditExport,
    AuditKeyPublic,
    AuditKeysPublic,
    CheckpointPublic,
    ConsistencyProofPublic,
    InclusionProofPublic,
    PublicKeyPublic,
)
from gateway.services import verifier_keys

router = APIRouter(prefix="/v1/audit", tags=["audit"])

OWN_ACCESS = "own-access"
_DENIED: dict[int | str, dict[str, Any]] = {
    403: {"description": "Refused by policy: `{reasons: [{code, message}]}`."}
}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@contextmanager
def _proofs_available() -> Iterator[None]:
    """A proof nobody can give yet (no checkpoint covers it) is a 404, not a failure."""
    try:
        yield
    except TreeSizeUnavailable as exc:
        raise NotFound(exc.detail) from exc


@router.get("/checkpoint", response_model=CheckpointPublic)
def get_checkpoint(services: ServicesDep) -> CheckpointPublic:
    """The latest signed checkpoint (C2SP checkpoint in a C2SP signed note)."""
    with session_scope(services.db) as session:
        cp = latest_checkpoint(session)
    if cp is None:
        raise NotFound("no checkpoint yet")
    return CheckpointPublic(
        tree_size=cp.tree_size,
        root_hash=b64(bytes.fromhex(cp.root_hash)),
        note=cp.note,
        timestamp=cp.created_at,
    )


@router.get("/public-key", response_model=PublicKeyPublic)
def get_public_key(services: ServicesDep) -> PublicKeyPublic:
    """The Ed25519 key that signs the checkpoints."""
    cp = services.checkpointer
    if cp is None:
        raise NotFound("no checkpoint signer configured")
    return PublicKeyPublic(
        public_key=b64(cp.signer.public_key),
        key_name=cp.signer.name,
        origin=cp.origin,
        vkey=vkey(cp.signer.name, cp.signer.public_key),
    )


@router.get("/keys", response_model=AuditKeysPublic)
def get_keys(services: ServicesDep) -> AuditKeysPublic:
    """Every key whose checkpoints are the log's: the current signing key first, then the
    keys it replaced (a rotation keeps them published under their key id)."""
    cp = services.checkpointer
    if cp is None:
        raise NotFound("no checkpoint signer configured")
    keys = verifier_keys(services.settings, cp.signer)
    return AuditKeysPublic(
        origin=cp.origin,
        keys=[
            AuditKeyPublic(
                key_name=k.name,
                key_id=k.key_id.hex(),
                public_key=b64(k.public_key),
                vkey=k.vkey,
                current=n == 0,
            )
            for n, k in enumerate(keys)
        ],
    )


@router.get("/proofs/inclusion", response_model=InclusionProofPublic)
def get_inclusion_proof(
    services: ServicesDep,
    seq: Annotated[int, Query(gt=0, le=MAX_SEQ)],
    tree_size: Annotated[int | None, Query(gt=0, le=MAX_SEQ)] = None,
) -> InclusionProofPublic:
    """The audit path of entry `seq` (leaf index seq - 1) in the tree of `tree_size`
    (default: the latest checkpoint), RFC 9162 §2.1.3."""
    with _proofs_available(), session_scope(services.db) as session:
        p = inclusion_proof(session, seq, tree_size)
    return InclusionProofPublic(
        leaf_index=p.leaf_index,
        tree_size=p.tree_size,
        leaf_hash=b64(p.leaf_hash),
        path=[b64(h) for h in p.path],
        root_hash=b64(p.root_hash),
    )


@router.get("/proofs/consistency", response_model=ConsistencyProofPublic)
def get_consistency_proof(
    services: ServicesDep,
    first: Annotated[int, Query(gt=0, le=MAX_SEQ)],
    second: Annotated[int, Query(gt=0, le=MAX_SEQ)],
) -> ConsistencyProofPublic:
    """The proof that the tree of `second` entries extends that of `first`, RFC 9162 §2.1.4."""
    with _proofs_available(), session_scope(services.db) as session:
        path = consistency_proof(session, first, second)
    return ConsistencyProofPublic(first=first, second=second, path=[b64(h) for h in path])


def _entry_facts(record: AuditRecord) -> ResourceFacts:
    """An audit entry as the policy sees it: whose log (the resident it is about) and whose
    supervision (the municipality of the data it is about)."""
    return ResourceFacts(
        type="audit_log",
        id=str(record.seq),
        category="",
        team="",
        municipality=supervising_municipality(record),
        resident=record.resident,
    )


@router.get("/entries/{seq}", response_model=AuditEntryPublic, responses=_DENIED)
def get_entry(
    seq: Annotated[int, Path(gt=0, le=MAX_SEQ)],
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
) -> AuditEntryPublic:
    """One audit entry, decided by the policy like every other access (resource type
    `audit_log`): the privacy officer of the entry's municipality reads it whole, with its
    leaf; a resident reads her own through the same allow-list as her access log, unless it
    is held back (then it answers as missing, and the holding back is audited)."""
    reg = services.register
    held_back = False
    with session_scope(services.db) as session:
        record = session.get(AuditRecord, seq)
        if record is None:
            raise NotFound(f"no audit entry {seq} for you")
        activity = OWN_ACCESS if principal.is_resident else NO_ACTIVITY
        outcome = services.pep.decide(
            session, principal, activity, "read", [_entry_facts(record)], ctx
        )
        if outcome.allowed and principal.is_resident and is_held_back(reg, session, record):
            held_back = True
            services.pep.record_event(
                session,
                principal,
                "access_log.held_back",
                record.resident or "",
                ctx,
                activity=OWN_ACCESS,
                details={"held_back": "1"},
            )
    if held_back or (principal.is_resident and not outcome.allowed):
        # Someone else's entry, a held-back one and a missing one look the same.
        raise NotFound(f"no audit entry {seq} for you")
    outcome.raise_if_refused()
    leaf_hash = b64(bytes.fromhex(record.leaf_hash or ""))
    if principal.is_resident:
        view = to_entry(reg, record).model_dump(mode="json")
        return AuditEntryPublic(seq=seq, leaf=None, leaf_hash=leaf_hash, entry=view)
    row = record.model_dump()
    leaf: bytes | None = None if record.erased_at else canonical(payload_of(row))
    entry: dict[str, Any] = {k: v for k, v in row.items() if k not in ("leaf_hash",)}
    return AuditEntryPublic(
        seq=seq,
        leaf=b64(leaf) if leaf is not None else None,
        leaf_hash=leaf_hash,
        entry=entry,
    )


class ExportFormat(StrEnum):
    LDV = "ldv"
    ADL = "adl"


@router.get("/export", response_model=AuditExport, responses=_DENIED)
def export(
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    fmt: Annotated[ExportFormat, Query(alias="format", description="ldv or adl")],
    after_seq: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Annotated[int, Query(gt=0, le=5000)] = 1000,
    municipality: Annotated[
        str | None, Query(max_length=100, description="Default: your own municipality.")
    ] = None,
) -> AuditExport:
    """Logboek Dataverwerkingen (`ldv`) or Authorization Decision Log (`adl`) records of one
    municipality's entries (those its privacy officer supervises), in seq order, a page at a
    time. Decided by the policy (resource type `audit_log`): the privacy officer of that
    municipality."""
    wanted = municipality or principal.municipality
    facts = ResourceFacts(
        type="audit_log", category="", team="", municipality=wanted, resident=None
    )
    with session_scope(services.db) as session:
        outcome = services.pep.decide(session, principal, NO_ACTIVITY, "read", [facts], ctx)
    outcome.raise_if_refused()
    convert = to_ldv if fmt is ExportFormat.LDV else to_adl
    records: list[dict[str, Any]] = []
    last = after_seq
    n = 0
    with session_scope(services.db) as session:
        rows = services.audit.iter_rows(session, batch=limit, after=after_seq, municipality=wanted)
        for n, row in enumerate(rows, start=1):
            last = row["seq"]
            out = convert(row)
            if out is not None:
                records.append(out)
            if n >= limit:
                break
    more = n >= limit  # a full page: there may be more
    return AuditExport(format=fmt.value, records=records, next_after_seq=last if more else None)
