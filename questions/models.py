"""Question tables. A question is never edited; an answer is an appended row.

    resident_questions         the resident's question or objection about one entry (`seq`)
                               of their own access log, in their own words
    resident_question_answers  the privacy officer's answers, appended (a later answer adds
                               to an earlier one, never replaces it)

Status (open, answered) is derived from the answers. Both tables are append-only: database
triggers refuse UPDATE and DELETE (migration 0006r), as for the audit and consent tables.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel


class QuestionKind(StrEnum):
    QUESTION = "question"  # "Ik begrijp dit niet"
    OBJECTION = "objection"  # "Ik vind dat dit niet mocht" (AVG art. 21, 77)


class Question(SQLModel, table=True):
    __tablename__ = "resident_questions"

    id: str = Field(sa_column=Column(String(40), primary_key=True))
    resident_pseudonym: str = Field(sa_column=Column(String(80), nullable=False, index=True))
    municipality: str = Field(
        sa_column=Column(String(80), nullable=False, index=True),
        description="Whose privacy officer answers: the resident's municipality.",
    )
    entry_seq: int = Field(
        sa_column=Column(BigInteger, nullable=False),
        description="The access-log entry (audit `seq`) the question is about.",
    )
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    asked_at_ns: int = Field(sa_column=Column(BigInteger, nullable=False))


class QuestionAnswer(SQLModel, table=True):
    __tablename__ = "resident_question_answers"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    question_id: str = Field(
        sa_column=Column(
            String(40), ForeignKey("resident_questions.id"), nullable=False, index=True
        )
    )
    text: str = Field(sa_column=Column(Text, nullable=False))
    answered_by: str = Field(
        sa_column=Column(String(200), nullable=False),
        description="The officer's id: for the audit, never shown to the resident.",
    )
    answered_at_ns: int = Field(sa_column=Column(BigInteger, nullable=False))
