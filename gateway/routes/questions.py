"""Residents' questions and objections about their own access log ("Klopt er iets niet?"),
answered by the privacy officer of their municipality.

One door: every ask, read and answer is a decision of the enforcement point on a resource of
type `question` under the `own-access` activity, and audited (`question.create`,
`question.read`, `question.answer`); the policy lets a resident ask about and read only their
own questions, and the privacy officer of the resident's municipality read and answer them
(AVG art. 38 lid 4). A question is about an entry the resident sees in their own access log
(not one held back). Residents never see an officer's id; officers never see case content.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlmodel import Session

from audit import AuditRecord
from gateway.auth import Principal
from gateway.clock import rfc3339
from gateway.db import read_scope, session_scope
from gateway.deps import ContextDep, PrincipalDep, ServicesDep
from gateway.errors import NotFound
from gateway.pep import RequestContext, ResourceFacts
from gateway.routes.me import to_entry, visible_entry
from gateway.schemas import (
    AnswerCreate,
    AnswerPublic,
    ContactPublic,
    QuestionCreate,
    QuestionDetail,
    QuestionList,
    QuestionPublic,
    QuestionQueue,
    QuestionSummaryPublic,
)
from gateway.services import Services
from questions import (
    QuestionView,
    answer_question,
    ask_question,
    get_question,
    municipality_questions,
    resident_questions,
)

router = APIRouter(tags=["questions"])

#: Residents ask and read under their own-access activity; the officer answers under it too
#: (answering is part of the resident's right of access, AVG art. 12 and 15).
ACTIVITY = "own-access"
DAY_NS = 86_400 * 1_000_000_000
OFFICER_LABEL = "de privacy officer"


def _facts(municipality: str, resident: str | None, question_id: str | None) -> ResourceFacts:
    return ResourceFacts(
        type="question",
        category="",
        team="",
        municipality=municipality,
        resident=resident,
        id=question_id,
    )


def _due_ns(services: Services, asked_at_ns: int) -> int:
    contact = services.register.contact
    return asked_at_ns + (contact.answer_days if contact else 30) * DAY_NS


def contact(services: Services) -> ContactPublic | None:
    c = services.register.contact
    if c is None:
        return None
    return ContactPublic(
        privacy_officer=c.privacy_officer,
        email=c.email,
        phone=c.phone,
        url=c.url,
        answer_days=c.answer_days,
    )


def _public(services: Services, view: QuestionView) -> QuestionPublic:
    q = view.question
    return QuestionPublic(
        id=q.id,
        entry_seq=q.entry_seq,
        kind=q.kind,
        text=q.text,
        asked_at=rfc3339(q.asked_at_ns),
        answer_due=rfc3339(_due_ns(services, q.asked_at_ns)),
        status=view.status,
        answers=[
            AnswerPublic(
                text=a.text, answered_at=rfc3339(a.answered_at_ns), answered_by=OFFICER_LABEL
            )
            for a in view.answers
        ],
    )


def _detail(
    services: Services, session: Session, view: QuestionView, officer_view: bool = True
) -> QuestionDetail:
    q = view.question
    rec = session.get(AuditRecord, q.entry_seq)
    base = _public(services, view).model_dump()
    if officer_view:  # colleagues' ids are audit metadata the officer may read
        for out, a in zip(base["answers"], view.answers, strict=True):
            out["answered_by"] = a.answered_by
    return QuestionDetail(
        **base,
        resident_pseudonym=q.resident_pseudonym,
        municipality=q.municipality,
        entry=to_entry(services.register, rec) if rec is not None else None,
    )


# --- the resident -------------------------------------------------------------------------------


def ask(
    body: QuestionCreate, services: Services, principal: Principal, ctx: RequestContext
) -> QuestionPublic:
    """Decide, check the entry, store and audit, in one transaction."""
    pseudonym = services.pseudonymize(principal.sub)
    with session_scope(services.db) as session:
        outcome = services.pep.decide(
            session,
            principal,
            ACTIVITY,
            "create",
            [_facts(principal.municipality, pseudonym, None)],
            ctx,
        )
        view = None
        if outcome.allowed:
            if visible_entry(services, session, pseudonym, body.entry_seq) is None:
                # Not an entry of this resident's access log (or one held back): as unknown.
                raise NotFound("no such entry in your access log")
            view = ask_question(
                session,
                resident_pseudonym=pseudonym,
                municipality=principal.municipality,
                entry_seq=body.entry_seq,
                kind=body.kind,
                text=body.text,
                now_ns=ctx.now_ns,
            )
    outcome.raise_if_refused()
    assert view is not None
    return _public(services, view)


def mine(services: Services, principal: Principal, ctx: RequestContext) -> QuestionList:
    """The resident's own questions (decided and audited as one read of their questions)."""
    pseudonym = services.pseudonymize(principal.sub)
    with read_scope(services.db) as session:
        outcome = services.pep.decide(
            session,
            principal,
            ACTIVITY,
            "read",
            [_facts(principal.municipality, pseudonym, None)],
            ctx,
        )
        views = resident_questions(session, pseudonym) if outcome.allowed else []
    outcome.raise_if_refused()
    return QuestionList(questions=[_public(services, v) for v in views], contact=contact(services))


@router.post("/v1/me/questions", status_code=status.HTTP_201_CREATED, response_model=QuestionPublic)
def post_question(
    body: QuestionCreate, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> QuestionPublic:
    """Ask a question about, or object to, an entry of your own access log (`entry_seq`). The
    privacy officer of your municipality answers within the term `GET /v1/me/questions` names.
    Write no more personal data than needed."""
    return ask(body, services, principal, ctx)


@router.get("/v1/me/questions", response_model=QuestionList)
def get_my_questions(
    services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> QuestionList:
    """Your questions with their answers, and who answers within what term."""
    return mine(services, principal, ctx)


# --- the privacy officer ------------------------------------------------------------------------


def queue(
    services: Services, principal: Principal, ctx: RequestContext, *, open_only: bool = False
) -> QuestionQueue:
    """The municipality's questions, open first, without their text (one decision: the queue)."""
    with read_scope(services.db) as session:
        outcome = services.pep.decide(
            session, principal, ACTIVITY, "read", [_facts(principal.municipality, None, None)], ctx
        )
        views = (
            municipality_questions(session, principal.municipality, open_only=open_only)
            if outcome.allowed
            else []
        )
    outcome.raise_if_refused()
    return QuestionQueue(
        questions=[
            QuestionSummaryPublic(
                id=v.question.id,
                kind=v.question.kind,
                asked_at=rfc3339(v.question.asked_at_ns),
                answer_due=rfc3339(due := _due_ns(services, v.question.asked_at_ns)),
                overdue=v.status == "open" and ctx.now_ns > due,
                status=v.status,
            )
            for v in views
        ]
    )


def read_one(
    question_id: str, services: Services, principal: Principal, ctx: RequestContext
) -> QuestionDetail:
    """One question with its entry; the read is decided on the question's own resident and
    municipality (an officer of another municipality is refused), so the resident sees it."""
    with read_scope(services.db) as session:
        view = get_question(session, question_id)
        q = view.question
        outcome = services.pep.decide(
            session,
            principal,
            ACTIVITY,
            "read",
            [_facts(q.municipality, q.resident_pseudonym, q.id)],
            ctx,
        )
        detail = _detail(services, session, view) if outcome.allowed else None
    outcome.raise_if_refused()
    assert detail is not None
    return detail


def answer(
    question_id: str,
    body: AnswerCreate,
    services: Services,
    principal: Principal,
    ctx: RequestContext,
) -> QuestionDetail:
    with session_scope(services.db) as session:
        q = get_question(session, question_id).question
        outcome = services.pep.decide(
            session,
            principal,
            ACTIVITY,
            "answer",
            [_facts(q.municipality, q.resident_pseudonym, q.id)],
            ctx,
        )
        detail = None
        if outcome.allowed:
            view = answer_question(
                session, q.id, officer=principal.sub, text=body.text, now_ns=ctx.now_ns
            )
            detail = _detail(services, session, view)
    outcome.raise_if_refused()
    assert detail is not None
    return detail


@router.get("/v1/questions", response_model=QuestionQueue)
def get_queue(
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
    open_only: Annotated[bool, Query(alias="open", description="Only unanswered ones.")] = False,
) -> QuestionQueue:
    """Privacy officers: the residents' questions of your municipality, open first, oldest
    first, with the answer term; open one to read it."""
    return queue(services, principal, ctx, open_only=open_only)


@router.get("/v1/questions/{question_id}", response_model=QuestionDetail)
def get_one(
    question_id: str, services: ServicesDep, principal: PrincipalDep, ctx: ContextDep
) -> QuestionDetail:
    """Privacy officers: one question, with the access-log entry it is about."""
    return read_one(question_id, services, principal, ctx)


@router.post("/v1/questions/{question_id}/answer", response_model=QuestionDetail)
def post_answer(
    question_id: str,
    body: AnswerCreate,
    services: ServicesDep,
    principal: PrincipalDep,
    ctx: ContextDep,
) -> QuestionDetail:
    """Privacy officers: answer a question (appended; the resident sees it at once)."""
    return answer(question_id, body, services, principal, ctx)
