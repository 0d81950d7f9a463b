"""The investigation register's one table, append-only.

    investigation_events  `opened` and `closed` events of an investigation into one resident
                          (by pseudonym), by an enforcement officer of a municipality

An investigation's state (running, closed) is derived from its events. Database triggers
refuse UPDATE and DELETE (migration 0009i), as for the audit, consent and question tables.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, Column, Integer, String
from sqlmodel import Field, SQLModel


class EventKind(StrEnum):
    OPENED = "opened"
    CLOSED = "closed"


class InvestigationEvent(SQLModel, table=True):
    __tablename__ = "investigation_events"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    investigation_id: str = Field(sa_column=Column(String(40), nullable=False, index=True))
    resident_pseudonym: str = Field(sa_column=Column(String(80), nullable=False, index=True))
    municipality: str = Field(
        sa_column=Column(String(80), nullable=False),
        description="The municipality whose enforcement unit runs the investigation.",
    )
    kind: str = Field(sa_column=Column(String(10), nullable=False))
    by: str = Field(
        sa_column=Column(String(200), nullable=False),
        description="The officer's id: for the audit, never shown to the resident.",
    )
    at_ns: int = Field(sa_column=Column(BigInteger, nullable=False))
