"""Anonymous counts: what a no-dossier unit (Hilversum's work-experience company) keeps instead
of files. No resident, no pseudonym, no free text: a unit, what was counted, a period, a
number. Append-only (database triggers refuse UPDATE and DELETE): a correction is a new row,
and the statistics read the latest row per unit, subject and period.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String
from sqlmodel import Field, SQLModel


class AggregateCount(SQLModel, table=True):
    __tablename__ = "aggregate_counts"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    municipality: str = Field(sa_column=Column(String(80), nullable=False, index=True))
    unit: str = Field(sa_column=Column(String(80), nullable=False))
    category: str | None = Field(default=None, sa_column=Column(String(80)))
    processing_activity: str | None = Field(default=None, sa_column=Column(String(80)))
    period: str = Field(
        sa_column=Column(String(10), nullable=False),
        description="`YYYY`, `YYYY-MM`, `YYYY-Qn` or `YYYY-Www`.",
    )
    count: int = Field(sa_column=Column(Integer, nullable=False))
    recorded_by: str = Field(sa_column=Column(String(200), nullable=False))
    recorded_at_ns: int = Field(sa_column=Column(BigInteger, nullable=False))
