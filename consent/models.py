"""Consent tables. A consent row is never edited; what happens to it is an appended event."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel


class ConsentStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"


class ConsentEventType(StrEnum):
    GIVEN = "given"
    WITHDRAWN = "withdrawn"


class Consent(SQLModel, table=True):
    __tablename__ = "consents"

    id: str = Field(sa_column=Column(String(40), primary_key=True))
    resident_pseudonym: str = Field(sa_column=Column(String(80), nullable=False, index=True))
    categories: list[str] = Field(sa_column=Column(JSON, nullable=False))
    processing_activities: list[str] = Field(sa_column=Column(JSON, nullable=False))
    recipients: list[str] = Field(sa_column=Column(JSON, nullable=False))
    valid_from_ns: int = Field(sa_column=Column(BigInteger, nullable=False))
    valid_until_ns: int | None = Field(default=None, sa_column=Column(BigInteger))
    given_at_ns: int = Field(sa_column=Column(BigInteger, nullable=False))
    given_by: str = Field(
        sa_column=Column(String(200), nullable=False),
        description="`resident`, or the id of the professional who recorded it.",
    )


class ConsentEvent(SQLModel, table=True):
    __tablename__ = "consent_events"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    consent_id: str = Field(
        sa_column=Column(String(40), ForeignKey("consents.id"), nullable=False, index=True)
    )
    event: str = Field(sa_column=Column(String(20), nullable=False))
    at_ns: int = Field(sa_column=Column(BigInteger, nullable=False))
    actor: str = Field(sa_column=Column(String(200), nullable=False))
