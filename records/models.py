"""The case record table. Content is personal data: it never reaches a log or an audit record."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Text
from sqlmodel import Field, SQLModel


class CaseRecord(SQLModel, table=True):
    __tablename__ = "case_records"

    id: str = Field(sa_column=Column(String(40), primary_key=True))
    resident: str = Field(
        sa_column=Column(String(64), nullable=False),
        description="The case system's resident identifier (e.g. a BSN).",
    )
    resident_pseudonym: str = Field(sa_column=Column(String(80), nullable=False, index=True))
    category: str = Field(sa_column=Column(String(80), nullable=False))
    team: str = Field(sa_column=Column(String(80), nullable=False))
    municipality: str = Field(sa_column=Column(String(80), nullable=False))
    content: str = Field(sa_column=Column(Text, nullable=False))
    created_at_ns: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_by: str = Field(sa_column=Column(String(200), nullable=False))
