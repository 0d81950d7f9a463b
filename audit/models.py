"""The audit record: one row per decision or consent event, frozen once written.

The table is append-only: the sequence number is the primary key (a second write at the same
position fails), and triggers created by the migrations refuse UPDATE and DELETE.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ColumnElement,
    Dialect,
    Index,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

GENESIS_HASH = "0" * 64

#: What `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` uses,
#: built once: json.dumps builds an encoder per call when given options (a few calls per
#: audit record). `.encode(value)` is that call's result, errors included.
SORTED_COMPACT = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stored_json(value: Any) -> str:
    """The text an audit record's JSON column holds: compact, keys sorted, non-ASCII as is.

    For the small columns of a record that is the RFC 8785 spelling the hash was made over,
    and for the policy input the spelling its digest was made over, so `audit verify` hashes
    the stored text instead of parsing and serialising it again (audit/scan.py). Python's
    None is JSON null, as SQLAlchemy's JSON type writes it (not SQL NULL).
    """
    return SORTED_COMPACT.encode(value)


class StoredJSON(TypeDecorator[Any]):
    """A JSON column written as `stored_json` spells it; read as JSON."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], str]:  # noqa: ARG002
        return stored_json


class AuditEntry(BaseModel):
    """What the caller appends. The store adds `seq`, `prev_hash` and `hash`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: str = Field(description="Dotted code: record.read, record.create, consent.given…")
    occurred_at: str = Field(description="RFC 3339 UTC time with microseconds.")
    subject_id: str = Field(description="Employee or service id; a resident's pseudonym.")
    subject_roles: list[str] = Field(default_factory=list)
    organisation: str = ""
    subject_teams: list[str] = Field(default_factory=list)
    municipality: str = ""
    resident: str | None = Field(default=None, description="Resident pseudonym (keyed HMAC).")
    record_id: str | None = None
    category: str | None = None
    resource_team: str | None = None
    resource_municipality: str | None = Field(
        default=None,
        description="Whose data: the resource's municipality (the subject's for events about "
        "no resource). The privacy officer of that municipality supervises the entry.",
    )
    action: str = ""
    processing_activity: str = ""
    purpose: str = ""
    allowed: bool = False
    reason_codes: list[str] = Field(default_factory=list)
    basis_type: str | None = None
    basis_ref: str | None = None
    consent_id: str | None = None
    redacted: list[str] = Field(default_factory=list)
    policy_revision: str = ""
    request_id: str = ""
    trace_id: str = ""
    span_id: str = ""
    details: dict[str, str] = Field(default_factory=dict)
    policy_input: dict[str, Any] | None = Field(
        default=None,
        description="The pseudonymised policy input, kept for replay; covered by the chain "
        "through `policy_input_sha256`.",
    )


#: Fields the retention job erases (they name or link to a person); see docs/audit.md.
PERSONAL_FIELDS = (
    "subject_id",
    "resident",
    "record_id",
    "consent_id",
    "basis_ref",
    "request_id",
    "policy_input",
)


class AuditRecord(SQLModel, table=True):
    __tablename__ = "audit_records"
    # The resident's access log pages through their records by seq.
    __table_args__ = (
        Index("ix_audit_records_resident_seq", "resident", "seq"),
        # A team lead's oversight: her team's entries, newest first (migration 0010t).
        Index("ix_audit_records_resource_team_seq", "resource_team", "seq"),
    )

    seq: int = SQLField(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    event_type: str = SQLField(sa_column=Column(String(64), nullable=False))
    occurred_at: str = SQLField(sa_column=Column(String(40), nullable=False))
    subject_id: str = SQLField(sa_column=Column(String(200), nullable=False))
    subject_roles: list[str] = SQLField(sa_column=Column(StoredJSON, nullable=False))
    organisation: str = SQLField(sa_column=Column(String(200), nullable=False))
    subject_teams: list[str] = SQLField(sa_column=Column(StoredJSON, nullable=False))
    municipality: str = SQLField(sa_column=Column(String(100), nullable=False))
    resident: str | None = SQLField(default=None, sa_column=Column(String(80)))
    record_id: str | None = SQLField(default=None, sa_column=Column(String(80)))
    category: str | None = SQLField(default=None, sa_column=Column(String(80)))
    resource_team: str | None = SQLField(default=None, sa_column=Column(String(80)))
    resource_municipality: str | None = SQLField(default=None, sa_column=Column(String(100)))
    action: str = SQLField(sa_column=Column(String(40), nullable=False))
    processing_activity: str = SQLField(sa_column=Column(String(80), nullable=False))
    purpose: str = SQLField(sa_column=Column(String(80), nullable=False))
    allowed: bool = SQLField(nullable=False)
    reason_codes: list[str] = SQLField(sa_column=Column(StoredJSON, nullable=False))
    basis_type: str | None = SQLField(default=None, sa_column=Column(String(40)))
    basis_ref: str | None = SQLField(default=None, sa_column=Column(String(200)))
    consent_id: str | None = SQLField(default=None, sa_column=Column(String(80)))
    redacted: list[str] = SQLField(sa_column=Column(StoredJSON, nullable=False))
    policy_revision: str = SQLField(sa_column=Column(String(80), nullable=False))
    request_id: str = SQLField(sa_column=Column(String(80), nullable=False))
    trace_id: str = SQLField(sa_column=Column(String(40), nullable=False))
    span_id: str = SQLField(sa_column=Column(String(20), nullable=False))
    details: dict[str, str] = SQLField(sa_column=Column(StoredJSON, nullable=False))
    policy_input: dict[str, Any] | None = SQLField(default=None, sa_column=Column(StoredJSON))
    policy_input_sha256: str | None = SQLField(default=None, sa_column=Column(String(64)))
    prev_hash: str = SQLField(sa_column=Column(String(64), nullable=False))
    hash: str = SQLField(sa_column=Column(String(64), nullable=False, unique=True))
    # Not hashed: derived (the RFC 9162 leaf hash of the record's canonical JSON, kept so the
    # tree outlives erasure) and the erasure mark of a tombstone.
    leaf_hash: str | None = SQLField(default=None, sa_column=Column(String(64)))
    erased_at: str | None = SQLField(default=None, sa_column=Column(String(40)))


def supervising_municipality(rec: AuditRecord) -> str:
    """The municipality whose privacy officer supervises `rec`: the resource's, or for a
    record written before 0006d (or about no resource) the subject's."""
    return rec.resource_municipality or rec.municipality


def supervised_by(municipality: str) -> ColumnElement[bool]:
    """The records `municipality`'s privacy officer supervises (`supervising_municipality`),
    as a SQL condition."""
    table = AuditRecord.__table__  # type: ignore[attr-defined]
    return func.coalesce(table.c.resource_municipality, table.c.municipality) == municipality


class AuditTreeNode(SQLModel, table=True):
    """The head of a perfect subtree of the Merkle tree (level >= 1), written once."""

    __tablename__ = "audit_tree_nodes"

    level: int = SQLField(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    idx: int = SQLField(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: str = SQLField(sa_column=Column(String(64), nullable=False))


class AuditCheckpoint(SQLModel, table=True):
    """A signed checkpoint of the tree: one per tree size, written once."""

    __tablename__ = "audit_checkpoints"

    tree_size: int = SQLField(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root_hash: str = SQLField(sa_column=Column(String(64), nullable=False))
    created_at: str = SQLField(sa_column=Column(String(40), nullable=False))
    note: str = SQLField(sa_column=Column(Text, nullable=False))
