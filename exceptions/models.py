"""Four-eyes exception tables. A request row is never edited; what happens to it is an event.

    access_exceptions        the request: who asks, for whom (an employee id), which resident,
                             which categories under which activities, why, and for how long
    access_exception_events  requested, approved (with the window's end), revoked

Status (pending, active, expired, revoked) is derived from the events and the time at the
moment of asking. Both tables are append-only: database triggers refuse UPDATE and DELETE.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel


class ExceptionStatus(StrEnum):
    """Derived, never stored."""

    PENDING = "pending"  # requested, waiting for a second person
    ACTIVE = "active"  # approved, and now < valid_until
    EXPIRED = "expired"  # approved and ended, or never approved in time
    REVOKED = "revoked"


class ExceptionEventType(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REVOKED = "revoked"


class AccessException(SQLModel, table=True):
    __tablename__ = "access_exceptions"

    id: str = Field(sa_column=Column(String(40), primary_key=True))
    resident_pseudonym: str = Field(sa_column=Column(String(80), nullable=False, index=True))
    municipality: str = Field(sa_column=Column(String(80), nullable=False))
    subject: str = Field(
        sa_column=Column(String(200), nullable=False, index=True),
        description="The employee id the exception is granted to.",
    )
    categories: list[str] = Field(sa_column=Column(JSON, nullable=False))
    processing_activities: list[str] = Field(sa_column=Column(JSON, nullable=False))
    justification: str = Field(sa_column=Column(Text, nullable=False))
    valid_days: int = Field(
        sa_column=Column(Integer, nullable=False),
        description="How long it holds from approval (at most MAX_VALID_DAYS).",
    )
    requested_by: str = Field(sa_column=Column(String(200), nullable=False))
    requested_at_ns: int = Field(sa_column=Column(BigInteger, nullable=False))


class AccessExceptionEvent(SQLModel, table=True):
    __tablename__ = "access_exception_events"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    exception_id: str = Field(
        sa_column=Column(String(40), ForeignKey("access_exceptions.id"), nullable=False, index=True)
    )
    event: str = Field(sa_column=Column(String(20), nullable=False))
    at_ns: int = Field(sa_column=Column(BigInteger, nullable=False))
    actor: str = Field(sa_column=Column(String(200), nullable=False))
    valid_until_ns: int | None = Field(
        default=None,
        sa_column=Column(BigInteger),
        description="On `approved`: the end of the window (approval + valid_days).",
    )
    note: str | None = Field(
        default=None, sa_column=Column(Text), description="A revocation's reason."
    )
