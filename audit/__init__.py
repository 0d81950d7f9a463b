"""The audit trail: append first, answer after. Append-only, hash-chained, verifiable."""

from audit.chain import ChainReport, canonical, record_hash, verify_rows
from audit.checkpoint import (
    BadNote,
    Checkpoint,
    NoteSigner,
    VerifierKey,
    open_note,
    open_note_any,
    parse_vkey,
    vkey,
)
from audit.errors import (
    AuditEntryInvalid,
    AuditError,
    AuditWriteFailed,
    ChainBroken,
    LogRolledBack,
    TreeSizeUnavailable,
)
from audit.models import (
    GENESIS_HASH,
    PERSONAL_FIELDS,
    AuditCheckpoint,
    AuditEntry,
    AuditRecord,
    AuditTreeNode,
)
from audit.retention import erase_expired
from audit.store import AuditStore
from audit.tree import (
    InclusionProof,
    checkpoint,
    consistency_proof,
    inclusion_proof,
    latest_checkpoint,
    root_at,
)
from audit.verify import VerifyReport, verify_log
from audit.writer import GroupCommitWriter

__all__ = [
    "GENESIS_HASH",
    "PERSONAL_FIELDS",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditEntryInvalid",
    "AuditError",
    "AuditRecord",
    "AuditStore",
    "AuditTreeNode",
    "AuditWriteFailed",
    "BadNote",
    "ChainBroken",
    "ChainReport",
    "Checkpoint",
    "GroupCommitWriter",
    "InclusionProof",
    "LogRolledBack",
    "NoteSigner",
    "TreeSizeUnavailable",
    "VerifierKey",
    "VerifyReport",
    "canonical",
    "checkpoint",
    "consistency_proof",
    "erase_expired",
    "inclusion_proof",
    "latest_checkpoint",
    "open_note",
    "open_note_any",
    "parse_vkey",
    "record_hash",
    "root_at",
    "verify_log",
    "verify_rows",
    "vkey",
]
