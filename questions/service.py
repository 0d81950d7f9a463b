"""Questions as plain functions over a session: ask, answer, list. Who may do which is the
policy's decision (the gateway asks it first); this module only keeps the questions and
checks that they are well formed.

A question is bounded text about one entry of the resident's own access log; the service
refuses control characters and text outside MIN_TEXT..MAX_TEXT. Nothing is updated: a
question is a row, each answer an appended row, and the status is derived from them.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from questions.errors import QuestionNotFound, QuestionValidationError
from questions.models import Question, QuestionAnswer, QuestionKind

#: Bounds of a question's or an answer's text, in characters.
MIN_TEXT = 5
MAX_TEXT = 2000


@dataclass(frozen=True)
class QuestionView:
    question: Question
    answers: tuple[QuestionAnswer, ...]

    @property
    def status(self) -> str:
        return "answered" if self.answers else "open"


def clean_text(field: str, text: str) -> str:
    """The text, stripped; refused when too short, too long or holding control characters
    (a newline or tab is fine)."""
    text = text.strip()
    if len(text) < MIN_TEXT:
        raise QuestionValidationError(field, f"at least {MIN_TEXT} characters")
    if len(text) > MAX_TEXT:
        raise QuestionValidationError(field, f"at most {MAX_TEXT} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\r\t" for ch in text):
        raise QuestionValidationError(field, "control characters are not allowed")
    return text


def ask_question(
    session: Session,
    *,
    resident_pseudonym: str,
    municipality: str,
    entry_seq: int,
    kind: str,
    text: str,
    now_ns: int,
) -> QuestionView:
    """Store a question about entry `entry_seq`. The caller has checked that the entry is one
    the resident sees in their own access log."""
    try:
        kind = QuestionKind(kind).value
    except ValueError:
        raise QuestionValidationError("kind", "question or objection") from None
    if entry_seq <= 0:
        raise QuestionValidationError("entry_seq", "a positive entry number")
    q = Question(
        id=f"q-{uuid.uuid4().hex[:20]}",
        resident_pseudonym=resident_pseudonym,
        municipality=municipality,
        entry_seq=entry_seq,
        kind=kind,
        text=clean_text("text", text),
        asked_at_ns=now_ns,
    )
    session.add(q)
    session.flush()
    return QuestionView(q, ())


def answer_question(
    session: Session, question_id: str, *, officer: str, text: str, now_ns: int
) -> QuestionView:
    """Append an answer to a question (the policy decided that `officer` may)."""
    view = get_question(session, question_id)
    answer = QuestionAnswer(
        question_id=view.question.id,
        text=clean_text("text", text),
        answered_by=officer,
        answered_at_ns=now_ns,
    )
    session.add(answer)
    session.flush()
    return QuestionView(view.question, (*view.answers, answer))


def _answers(session: Session, ids: list[str]) -> dict[str, tuple[QuestionAnswer, ...]]:
    out: dict[str, list[QuestionAnswer]] = {}
    if ids:
        rows = session.exec(
            select(QuestionAnswer)
            .where(col(QuestionAnswer.question_id).in_(ids))
            .order_by(col(QuestionAnswer.id))
        )
        for a in rows:
            out.setdefault(a.question_id, []).append(a)
    return {k: tuple(v) for k, v in out.items()}


def _views(session: Session, questions: list[Question]) -> list[QuestionView]:
    answers = _answers(session, [q.id for q in questions])
    return [QuestionView(q, answers.get(q.id, ())) for q in questions]


def get_question(session: Session, question_id: str) -> QuestionView:
    q = session.get(Question, question_id[:40])
    if q is None:
        raise QuestionNotFound(question_id)
    return _views(session, [q])[0]


def resident_questions(session: Session, resident_pseudonym: str) -> list[QuestionView]:
    """A resident's questions, newest first, with their answers."""
    rows = session.exec(
        select(Question)
        .where(col(Question.resident_pseudonym) == resident_pseudonym)
        .order_by(col(Question.asked_at_ns).desc(), col(Question.id))
    ).all()
    return _views(session, list(rows))


def municipality_questions(
    session: Session, municipality: str, *, open_only: bool = False, limit: int = 200
) -> list[QuestionView]:
    """The questions a municipality's privacy officer answers: open ones first, oldest first
    (the answer term runs from the asking)."""
    rows = session.exec(
        select(Question)
        .where(col(Question.municipality) == municipality)
        .order_by(col(Question.asked_at_ns), col(Question.id))
    ).all()
    views = _views(session, list(rows))
    if open_only:
        views = [v for v in views if not v.answers]
    views.sort(key=lambda v: v.status != "open")
    return views[:limit]
