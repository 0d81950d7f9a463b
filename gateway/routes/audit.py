"""The audit trail from outside: signed checkpoints, proofs, entries, standard exports.

Checkpoints, the public keys and proofs are public (hashes only, nothing personal): anyone can
check that the log only grows. Entries need a token: privacy officers read any, residents only
their own (and without the employee id, EU Court C-579/21). Exports are for privacy officers.
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
    vkey,
)
from audit.chain import canonical, payload_of
from audit.export import to_adl, to_ldv
from gateway.auth import Principal
from gateway.db import session_scope
from gateway.deps import PrincipalDep, ServicesDep
from gateway.errors import NotFound
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
from gateway.services import Services, verifier_keys

router = APIRouter(prefix="/v1/audit", tags=["audit"])

PRIVACY_OFFICER = "privacy_officer"


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


def _may_read(services: Services, principal: Principal, record: AuditRecord) -> bool:
    if PRIVACY_OFFICER in principal.roles:
        return True
    return principal.is_resident and record.resident == services.pseudonymize(principal.sub)


@router.get("/entries/{seq}", response_model=AuditEntryPublic)
def get_entry(
    seq: Annotated[int, Path(gt=0, le=MAX_SEQ)], services: ServicesDep, principal: PrincipalDep
) -> AuditEntryPublic:
    """One audit entry and its leaf bytes. Privacy officers: any; residents: their own."""
    with session_scope(services.db) as session:
        record = session.get(AuditRecord, seq)
    # Someone else's entry and a missing one look the same.
    if record is None or not _may_read(services, principal, record):
        raise NotFound(f"no audit entry {seq} for you")
    row = record.model_dump()
    leaf: bytes | None = None if record.erased_at else canonical(payload_of(row))
    entry: dict[str, Any] = {k: v for k, v in row.items() if k not in ("leaf_hash",)}
    if PRIVACY_OFFICER not in principal.roles:
        leaf = None
        for k in ("subject_id", "policy_input", "request_id"):
            entry.pop(k, None)
    return AuditEntryPublic(
        seq=seq,
        leaf=b64(leaf) if leaf is not None else None,
        leaf_hash=b64(bytes.fromhex(record.leaf_hash or "")),
        entry=entry,
    )


class ExportFormat(StrEnum):
    LDV = "ldv"
    ADL = "adl"


@router.get("/export", response_model=AuditExport)
def export(
    services: ServicesDep,
    principal: PrincipalDep,
    fmt: Annotated[ExportFormat, Query(alias="format", description="ldv or adl")],
    after_seq: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Annotated[int, Query(gt=0, le=5000)] = 1000,
) -> AuditExport:
    """Logboek Dataverwerkingen (`ldv`) or Authorization Decision Log (`adl`) records, in seq
    order, a page at a time. Privacy officers only."""
    if PRIVACY_OFFICER not in principal.roles:
        raise NotFound("the export is for privacy officers")
    convert = to_ldv if fmt is ExportFormat.LDV else to_adl
    records: list[dict[str, Any]] = []
    last = after_seq
    with session_scope(services.db) as session:
        rows = services.audit.iter_rows(session, batch=limit, after=after_seq)
        for n, row in enumerate(rows, start=1):
            last = row["seq"]
            out = convert(row)
            if out is not None:
                records.append(out)
            if n >= limit:
                break
    more = last - after_seq >= limit  # a full page: there may be more
    return AuditExport(format=fmt.value, records=records, next_after_seq=last if more else None)
