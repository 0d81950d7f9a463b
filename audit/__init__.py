"""The audit trail: append first, answer after. Append-only, hash-chained, verifiable."""

from audit.chain import ChainReport, canonical, record_hash, verify_rows
from audit.errors import AuditError, AuditWriteFailed, ChainBroken
from audit.models import GENESIS_HASH, AuditEntry, AuditRecord
from audit.store import AuditStore

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "AuditError",
    "AuditRecord",
    "AuditStore",
    "AuditWriteFailed",
    "ChainBroken",
    "ChainReport",
    "canonical",
    "record_hash",
    "verify_rows",
]
