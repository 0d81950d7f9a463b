"""Policy version tables. A version is never edited; what happens to it is an event.

    policy_versions        the content: Rego modules and the register with every profile,
                           named by its content hash (`revision`), with author, message, parent
    policy_version_events  tested, simulated, approved, activated, rollback_requested,
                           rolled_back: each with its actor, time and report

The state of a version (draft, tested, approved, active, retired) is derived from the events,
never stored. Both tables are append-only: database triggers refuse UPDATE and DELETE.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel


class VersionState(StrEnum):
    """Derived from the events, never stored."""

    DRAFT = "draft"
    TESTED = "tested"  # the latest test run passed
    APPROVED = "approved"  # a second privacy officer approved it after that
    ACTIVE = "active"  # the gateway decides with it now
    RETIRED = "retired"  # was active once; a rollback may bring it back


class VersionEvent(StrEnum):
    DRAFTED = "drafted"
    TESTED = "tested"  # details: the test report (passed or not)
    SIMULATED = "simulated"  # details: the simulation report
    APPROVED = "approved"
    ACTIVATED = "activated"
    ROLLBACK_REQUESTED = "rollback_requested"
    ROLLED_BACK = "rolled_back"


#: The events that make a version the active one (the latest of them wins).
ACTIVATING = (VersionEvent.ACTIVATED.value, VersionEvent.ROLLED_BACK.value)


class PolicyVersion(SQLModel, table=True):
    __tablename__ = "policy_versions"

    revision: str = Field(
        sa_column=Column(String(80), primary_key=True),
        description="Content hash of the modules and the data (`policy.revision`).",
    )
    parent: str | None = Field(default=None, sa_column=Column(String(80)))
    author: str = Field(sa_column=Column(String(200), nullable=False))
    message: str = Field(sa_column=Column(Text, nullable=False))
    modules: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    data: dict[str, Any] = Field(
        sa_column=Column(JSON, nullable=False),
        description="`{register: {...}, profiles: {name: {...}}}`: registry/ as data.",
    )
    created_at_ns: int = Field(sa_column=Column(BigInteger, nullable=False))


class PolicyVersionEvent(SQLModel, table=True):
    __tablename__ = "policy_version_events"
    __table_args__ = (Index("ix_policy_version_events_event_id", "event", "id"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    revision: str = Field(
        sa_column=Column(
            String(80), ForeignKey("policy_versions.revision"), nullable=False, index=True
        )
    )
    event: str = Field(sa_column=Column(String(40), nullable=False))
    actor: str = Field(sa_column=Column(String(200), nullable=False))
    at_ns: int = Field(sa_column=Column(BigInteger, nullable=False))
    details: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
