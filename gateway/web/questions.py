"""The resident's questions under /mijn: "Klopt er iets niet?" from any timeline entry, and
"Mijn vragen" with the privacy officer's answers. The pages call the JSON routes' own
functions (`gateway.routes.questions`), so the policy decides and the audit records each step
in one place. Every POST carries the session's CSRF token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from gateway.db import session_scope
from gateway.deps import ContextDep, ServicesDep
from gateway.errors import NotFound
from gateway.routes import questions as questions_api
from gateway.routes.me import to_entry, visible_entry
from gateway.schemas import QuestionCreate
from gateway.services import Services
from gateway.web.routes import CsrfDep, ResidentDep, SessionDep, _wording
from gateway.web.session import WebSession
from gateway.web.site import Web, WebDep
from gateway.web.views import when
from questions import MAX_TEXT, MIN_TEXT, QuestionValidationError

router = APIRouter(prefix="/mijn", include_in_schema=False)

KINDS = {
    "question": "Ik heb een vraag over deze regel",
    "objection": "Ik vind dat dit niet mocht",
}


def _entry(services: Services, web: Web, principal_sub: str, seq: int) -> object:
    pseudonym = services.pseudonymize(principal_sub)
    with session_scope(services.db) as s:
        rec = visible_entry(services, s, pseudonym, seq)
        return _wording(services, web).entry(to_entry(services.register, rec)) if rec else None


def _form(
    request: Request,
    web: Web,
    session: WebSession,
    services: Services,
    entry: object,
    seq: int,
    *,
    status: int = 200,
    kind: str = "question",
    text: str = "",
    error: str | None = None,
) -> Response:
    return web.render(
        request,
        session,
        "resident/question_new.html",
        status=status,
        nav="vragen",
        e=entry,
        seq=seq,
        kinds=KINDS,
        kind=kind,
        text=text,
        error=error,
        contact=questions_api.contact(services),
        min_text=MIN_TEXT,
        max_text=MAX_TEXT,
    )


@router.get("/vragen/nieuw", response_class=HTMLResponse)
def question_new(
    request: Request,
    web: WebDep,
    session: SessionDep,
    services: ServicesDep,
    principal: ResidentDep,
    regel: Annotated[int, Query(gt=0, lt=2**62)],
) -> Response:
    entry = _entry(services, web, principal.sub, regel)
    if entry is None:
        return web.render(request, session, "resident/error.html", status=404, code="not_found")
    return _form(request, web, session, services, entry, regel)


@router.post("/vragen", dependencies=[CsrfDep])
def question_ask(
    request: Request,
    web: WebDep,
    session: SessionDep,
    services: ServicesDep,
    principal: ResidentDep,
    ctx: ContextDep,
    regel: Annotated[int, Form(gt=0, lt=2**62)],
    soort: Annotated[str, Form(max_length=20)] = "question",
    tekst: Annotated[str, Form(max_length=4 * MAX_TEXT)] = "",
) -> Response:
    entry = _entry(services, web, principal.sub, regel)
    if entry is None:
        return web.render(request, session, "resident/error.html", status=404, code="not_found")
    error = None
    try:
        body = QuestionCreate(entry_seq=regel, kind=soort, text=tekst)
        created = questions_api.ask(body, services, principal, ctx)
    except (ValidationError, QuestionValidationError):
        error = (
            f"Schrijf uw vraag in {MIN_TEXT} tot {MAX_TEXT} tekens, en kies wat u wilt: een "
            "vraag stellen of bezwaar maken."
        )
    except NotFound:
        return web.render(request, session, "resident/error.html", status=404, code="not_found")
    if error is not None:
        return _form(
            request, web, session, services, entry, regel, status=422,
            kind=soort if soort in KINDS else "question", text=tekst[:MAX_TEXT], error=error,
        )  # fmt: skip
    session.flash("Uw vraag is verstuurd. U krijgt antwoord op deze pagina.")
    return web.redirect(session, f"/mijn/vragen#vraag-{created.id}")


@router.get("/vragen", response_class=HTMLResponse)
def questions_page(
    request: Request,
    web: WebDep,
    session: SessionDep,
    services: ServicesDep,
    principal: ResidentDep,
    ctx: ContextDep,
) -> Response:
    listed = questions_api.mine(services, principal, ctx)
    items = [
        {
            "q": q,
            "kind": KINDS.get(q.kind, q.kind),
            "asked": when(q.asked_at),
            "due": when(q.answer_due)[1].split(" om ")[0],
            "answers": [(a, when(a.answered_at)) for a in q.answers],
        }
        for q in listed.questions
    ]
    return web.render(
        request,
        session,
        "resident/questions.html",
        nav="vragen",
        items=items,
        contact=listed.contact,
    )
