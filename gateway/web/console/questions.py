"""Residents' questions in the console: the queue (`/console/vragen`), one question with the
entry it is about, and the answer form. The pages call the JSON routes' own functions
(`gateway.routes.questions`), so the policy decides every opening and answer (the officer's
municipality) and the audit records it, in one place."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from gateway.deps import ContextDep, ServicesDep
from gateway.errors import Denied
from gateway.pep import RequestContext
from gateway.routes import questions as questions_api
from gateway.schemas import AnswerCreate
from gateway.services import Services
from gateway.web.console.routes import (
    Console,
    ConsoleDep,
    CsrfDep,
    OfficerDep,
    SessionDep,
)
from gateway.web.console.session import ConsoleSession
from questions import MAX_TEXT, QuestionNotFound, QuestionValidationError

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/vragen", response_class=HTMLResponse)
def queue_page(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
) -> Response:
    listed = questions_api.queue(services, officer, ctx).questions
    return console.render(
        request,
        session,
        "console/questions.html",
        nav="questions",
        open=[q for q in listed if q.status == "open"],
        done=[q for q in listed if q.status != "open"],
    )


def _question_page(
    request: Request,
    console: Console,
    session: ConsoleSession,
    services: Services,
    officer: OfficerDep,
    ctx: RequestContext,
    question_id: str,
    *,
    status: int = 200,
    error: str | None = None,
    text: str = "",
) -> Response:
    try:
        q = questions_api.read_one(question_id, services, officer, ctx)
    except QuestionNotFound:
        return console.render(
            request, session, "console/error.html", status=404, message="question_not_found"
        )
    except Denied:
        return console.render(
            request, session, "console/error.html", status=403, message="question_refused"
        )
    return console.render(
        request,
        session,
        "console/question.html",
        status=status,
        nav="questions",
        q=q,
        error=error,
        text=text,
        max_text=MAX_TEXT,
    )


@router.get("/vragen/{question_id}", response_class=HTMLResponse)
def question_page(
    question_id: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
) -> Response:
    return _question_page(request, console, session, services, officer, ctx, question_id)


@router.post("/vragen/{question_id}/antwoord", dependencies=[CsrfDep])
def answer(
    question_id: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    antwoord: Annotated[str, Form(max_length=4 * MAX_TEXT)] = "",
) -> Response:
    try:
        questions_api.answer(question_id, AnswerCreate(text=antwoord), services, officer, ctx)
    except (ValidationError, QuestionValidationError):
        return _question_page(
            request, console, session, services, officer, ctx, question_id,
            status=422, error="answer_invalid", text=antwoord[:MAX_TEXT],
        )  # fmt: skip
    except QuestionNotFound:
        return console.render(
            request, session, "console/error.html", status=404, message="question_not_found"
        )
    except Denied:
        return console.render(
            request, session, "console/error.html", status=403, message="question_refused"
        )
    session.flash("answer_saved")
    return console.redirect(session, f"/console/vragen/{question_id}")
