"""Consent tables. A consent row is never edited; what happens to it is an appended event.

    consents           the scope: categories x activities x recipients (units or
                       organisations; before 0006c: domains), and its window
    consent_evidence   how it was given (digitally, or recorded by a professional with the hash
                       of the signed form), the exact text and language the resident saw, the
                       named organisations it is limited to, and the consent it replaces
    consent_events     given, withdrawn, superseded, lapsed (expiry is a fact of time: derived, not
                       written, so it needs no background job)

All three are append-only: database triggers refuse UPDATE and DELETE.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel


class ConsentStatus(StrEnum):
    """Derived at the moment of asking from the window and the events; never stored."""

    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    #: Ended by the gateway, not the resident: it named no specific recipient (a domain such
    #: as "the wijkteams") and could not be narrowed to a unit or organisation (0006c).
    LAPSED = "lapsed"


class ConsentEventType(StrEnum):
    GIVEN = "given"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"
    LAPSED = "lapsed"  # it named no specific recipient and could not be narrowed (0006c)
    EXPIRED = "expired"  # derived from `valid_until_ns` when the history is read; never stored


class ConsentMethod(StrEnum):
    """How a consent was given."""

    DIGITAL = "digital"  # by the resident, with their own token
    RECORDED = "recorded"  # by a professional, from a conversation, with evidence


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


class ConsentEvidence(SQLModel, table=True):
    """How a consent was given and what the resident saw. One row per consent, written with it.

    Consents given before this table existed have no row; they read as given digitally, with
    no stored text.
    """

    __tablename__ = "consent_evidence"

    consent_id: str = Field(
        sa_column=Column(String(40), ForeignKey("consents.id"), primary_key=True)
    )
    method: str = Field(sa_column=Column(String(20), nullable=False))
    recorded_by: str | None = Field(
        default=None,
        sa_column=Column(String(200)),
        description="The professional who recorded it; never shown to the resident.",
    )
    recorded_by_team: str | None = Field(default=None, sa_column=Column(String(80)))
    form_sha256: str | None = Field(
        default=None,
        sa_column=Column(String(64)),
        description="SHA-256 of the signed consent form, for a recorded consent.",
    )
    controller: str = Field(
        sa_column=Column(String(200), nullable=False),
        description="The organisation responsible (the municipality), e.g. gemeente-zaanstad.",
    )
    language: str = Field(sa_column=Column(String(8), nullable=False))
    text_version: str = Field(sa_column=Column(String(40), nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    text_sha256: str = Field(sa_column=Column(String(64), nullable=False))
    recipient_organisations: list[str] = Field(sa_column=Column(JSON, nullable=False))
    supersedes: str | None = Field(
        default=None, sa_column=Column(String(40), ForeignKey("consents.id"), index=True)
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
