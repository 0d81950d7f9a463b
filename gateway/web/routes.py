"""The resident's pages under /mijn: login, "Wie bekeek mijn gegevens", "Mijn toestemmingen".

Server-rendered, plain Dutch (B1), no JavaScript needed except for the proof check. Every page
calls the same functions as the JSON API (`gateway.routes.me`, `gateway.routes.consents`), so
what a resident sees, and what is audited when they look, is decided in one place.
Every POST carries the session's CSRF token; state never changes on a GET.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from consent import (
    ConsentNotFound,
    ConsentValidationError,
    admissible_choices,
    get_consent,
    list_consents,
)
from gateway.auth import Principal
from gateway.db import session_scope
from gateway.demo import DEMO_RESIDENTS
from gateway.deps import ContextDep, ServicesDep
from gateway.routes import consents as consent_api
from gateway.routes import me as me_api
from gateway.routes import questions as questions_api
from gateway.schemas import ConsentCreate
from gateway.services import Services
from gateway.web.oidc import OidcError
from gateway.web.session import CSRF_FIELD, WebSession
from gateway.web.site import CsrfRejected, LoginRequired, Web, WebDep
from gateway.web.views import Wording

router = APIRouter(prefix="/mijn", include_in_schema=False)

PAGE_SIZE = 25

_FIELD_HELP = {
    "categories": "Deze gegevens passen niet bij waarvoor u toestemming geeft. Kies andere "
    "gegevens, of kies iets anders bij 'Waarvoor'.",
    "processing_activities": "Hiervoor kunt u geen toestemming geven.",
    "recipients": "Kies een team of organisatie uit de lijst.",
    "text_sha256": "De tekst is intussen veranderd. Lees hem opnieuw en bevestig dan.",
    "supersedes": "Deze toestemming bestaat niet meer.",
}


# --- dependencies ---------------------------------------------------------------------------


def get_session(request: Request, web: WebDep) -> WebSession:
    session = web.codec.load(request)
    request.state.web_session = session
    return session


SessionDep = Annotated[WebSession, Depends(get_session)]


def get_resident(request: Request, session: SessionDep) -> Principal:
    principal = session.principal()
    if principal is None:
        raise LoginRequired(request.url.path)
    return principal


ResidentDep = Annotated[Principal, Depends(get_resident)]


def check_csrf(
    session: SessionDep, csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None
) -> None:
    if not session.csrf_ok(csrf_token):
        raise CsrfRejected()


CsrfDep = Depends(check_csrf)


def _wording(services: Services, web: Web) -> Wording:
    return Wording(services.register, web.reason_texts(services))


# --- login ------------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only our own pages: never an absolute URL or `//host` (open redirect)."""
    if target and target.startswith("/mijn/") and not target.startswith("//"):
        return target
    return "/mijn/inzage"


@router.get("", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/mijn/inzage", status_code=303)


@router.get("/inloggen", response_class=HTMLResponse)
def login_page(
    request: Request,
    web: WebDep,
    session: SessionDep,
    services: ServicesDep,
    terug: str | None = None,
) -> Response:
    return web.render(
        request,
        session,
        "resident/login.html",
        demo=web.demo_residents(services) if web.demo_login else [],
        oidc=web.oidc.enabled,
        next=_safe_next(terug),
    )


@router.post("/inloggen", dependencies=[CsrfDep])
def demo_login(
    request: Request,
    web: WebDep,
    session: SessionDep,
    services: ServicesDep,
    inwoner: Annotated[str, Form()] = "",
    terug: Annotated[str, Form()] = "",
) -> Response:
    if not web.demo_login:
        return web.render(request, session, "resident/error.html", status=404, code="not_found")
    found = {d["key"]: d for d in web.demo_residents(services)}.get(inwoner)
    if found is None:
        return web.render(
            request,
            session,
            "resident/login.html",
            status=422,
            demo=web.demo_residents(services),
            oidc=web.oidc.enabled,
            next=_safe_next(terug),
            error="Kies een van de inwoners.",
        )
    session.login(DEMO_RESIDENTS[inwoner], found["municipality"], "demo", found["name"])
    return web.redirect(session, _safe_next(terug))


@router.get("/inloggen/oidc")
def oidc_start(request: Request, web: WebDep, session: SessionDep) -> Response:
    if not web.oidc.enabled:
        return web.render(request, session, "resident/error.html", status=404, code="not_found")
    try:
        start = web.oidc.start()
    except OidcError:
        return web.render(request, session, "resident/error.html", status=502, code="oidc")
    session.oidc = start.state
    session.changed = True
    return web.redirect(session, start.url)


@router.get("/inloggen/terug")
def oidc_callback(
    request: Request,
    web: WebDep,
    session: SessionDep,
    services: ServicesDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    pending, session.oidc, session.changed = session.oidc, None, True
    if error is not None or not web.oidc.enabled:
        return web.render(request, session, "resident/error.html", status=400, code="oidc")
    try:
        resident = web.oidc.finish(pending, code, state)
    except OidcError as exc:
        web.log.info("oidc_login_failed", reason=exc.reason)
        return web.render(request, session, "resident/error.html", status=400, code="oidc")
    session.login(resident, web.municipality(services), "oidc")
    return web.redirect(session, "/mijn/inzage")


@router.post("/uitloggen", dependencies=[CsrfDep])
def logout(web: WebDep, session: SessionDep) -> Response:
    session.logout()
    session.flash("U bent uitgelogd.")
    return web.redirect(session, "/mijn/inloggen")


# --- Wie bekeek mijn gegevens -------------------------------------------------------------------


def _date(value: str | None) -> tuple[date | None, bool]:
    if not value:
        return None, True
    try:
        return date.fromisoformat(value), True
    except ValueError:
        return None, False


@router.get("/inzage", response_class=HTMLResponse)
def timeline(
    request: Request,
    web: WebDep,
    session: SessionDep,
    services: ServicesDep,
    principal: ResidentDep,
    ctx: ContextDep,
    van: str | None = None,
    tot: str | None = None,
    categorie: str | None = None,
    voor: Annotated[int | None, Query(gt=0)] = None,
    regel: Annotated[int | None, Query(gt=0, lt=2**62)] = None,
) -> Response:
    """`?regel=N` opens the page that holds entry N (links from other pages use it, so an
    older entry is found too)."""
    if regel is not None and voor is None:
        voor = regel + 1
    since, since_ok = _date(van)
    until, until_ok = _date(tot)
    errors: dict[str, str] = {}
    if not since_ok:
        errors["van"] = "Vul een datum in, bijvoorbeeld 2026-01-31."
    if not until_ok:
        errors["tot"] = "Vul een datum in, bijvoorbeeld 2026-12-31."
    if since and until and until < since:
        errors["tot"] = "Deze datum ligt vóór de begindatum."
    reg = services.register
    if categorie and categorie not in reg.categories:
        errors["categorie"] = "Kies een soort gegevens uit de lijst."
    log = None
    if not errors:
        log = me_api.access_log(
            services,
            principal,
            ctx,
            since=since,
            until=until,
            category=categorie or None,
            limit=PAGE_SIZE,
            before_seq=voor,
        )
    wording = _wording(services, web)
    entries = [wording.entry(e) for e in log.entries] if log else []
    asked: dict[int, list[Any]] = {}
    if entries:  # the resident's own questions, shown on the entry they are about
        for q in questions_api.mine(services, principal, ctx).questions:
            asked.setdefault(q.entry_seq, []).append(q)
    filters = {"van": van or "", "tot": tot or "", "categorie": categorie or ""}
    older = None
    if log and log.next_before_seq:
        query = "&".join(f"{k}={quote(v)}" for k, v in filters.items() if v)
        older = f"/mijn/inzage?{query}{'&' if query else ''}voor={log.next_before_seq}"
    return web.render(
        request,
        session,
        "resident/timeline.html",
        status=422 if errors else 200,
        nav="inzage",
        entries=entries,
        asked=asked,
        held_back=log.held_back if log else 0,
        held_back_message=log.held_back_message if log else None,
        held_back_ended_message=log.held_back_ended_message if log else None,
        categories=sorted(
            ((cid, c.label) for cid, c in reg.categories.items()), key=lambda x: x[1]
        ),
        filters=filters,
        filtered=any(filters.values()),
        errors=errors,
        older=older,
        paged=voor is not None,
    )


# --- Mijn toestemmingen -------------------------------------------------------------------------


def _texts(services: Services, principal: Principal, now_ns: int) -> dict[str, str]:
    """The exact text of each consent, as stored with it."""
    pseudonym = services.pseudonymize(principal.sub)
    with session_scope(services.db) as s:
        views = list_consents(s, pseudonym, now_ns)
    return {v.consent.id: v.evidence.text for v in views if v.evidence is not None}


@router.get("/toestemmingen", response_class=HTMLResponse)
def consents_page(
    request: Request,
    web: WebDep,
    session: SessionDep,
    services: ServicesDep,
    principal: ResidentDep,
    ctx: ContextDep,
) -> Response:
    listed = consent_api.my_consents(services, principal, ctx).consents
    texts = _texts(services, principal, ctx.now_ns)
    wording = _wording(services, web)
    items = [
        {"c": c, "scope": wording.consent_scope(c), "text": texts.get(c.id)}
        for c in sorted(listed, key=lambda c: (c.status != "active", c.given_at), reverse=False)
    ]
    return web.render(request, session, "resident/consents.html", nav="toestemmingen", items=items)


def _choices(services: Services, municipality: str) -> list[dict[str, Any]]:
    """The consents the register admits, as questions a resident understands: one form per
    activity and recipient, one yes per category ("Mag W&I Zaanstad uw gegevens over
    gezondheid gebruiken voor begeleiding naar werk?"). Derived from the register through
    the consent service's own rules, never written out here."""
    reg = services.register
    wording = Wording(reg, {})
    out = []
    for choice in admissible_choices(reg, municipality):
        act = reg.activities[choice.activity]
        who = wording.recipient(choice.recipient)
        why = act.label[0].lower() + act.label[1:]
        out.append(
            {
                "activity": choice.activity,
                "label": act.label,
                "purpose": reg.purposes[act.purpose].label,
                "recipient": choice.recipient,
                "recipient_label": who,
                "questions": [
                    (
                        c,
                        f"Mag {who} uw gegevens over "
                        f"'{(wording.category(c) or c).lower()}' gebruiken voor {why}?",
                    )
                    for c in choice.categories
                ],
            }
        )
    return out


def _new_form(
    request: Request,
    web: WebDep,
    session: WebSession,
    services: Services,
    *,
    status: int = 200,
    chosen: dict[str, list[str]] | None = None,
    error: str | None = None,
) -> Response:
    return web.render(
        request,
        session,
        "resident/consent_new.html",
        status=status,
        nav="toestemmingen",
        choices=_choices(services, session.municipality or web.municipality(services)),
        chosen=chosen or {"categories": [], "activities": [], "recipients": []},
        error=error,
    )


@router.get("/toestemmingen/nieuw", response_class=HTMLResponse)
def consent_new(
    request: Request,
    web: WebDep,
    session: SessionDep,
    services: ServicesDep,
    _principal: ResidentDep,
) -> Response:
    return _new_form(request, web, session, services)


def _body(
    categories: list[str], activities: list[str], recipients: list[str], sha: str | None = None
) -> ConsentCreate | None:
    if not (categories and activities and recipients):
        return None
    return ConsentCreate(
        categories=categories,
        processing_activities=activities,
        recipients=recipients,
        language="nl",
        text_sha256=sha,
    )


def _validation_message(
    exc: ConsentValidationError, services: Services, municipality: str, activities: list[str]
) -> str:
    """What went wrong, and what would fit (from the register)."""
    message = _FIELD_HELP.get(exc.field, "Dit kan zo niet. Controleer uw keuzes.")
    wording = Wording(services.register, {})
    fits = [
        c for c in admissible_choices(services.register, municipality) if c.activity in activities
    ]
    if fits:
        message += (
            " Wel mogelijk: "
            + "; ".join(
                f"{wording.recipient(c.recipient)} voor "
                f"{wording.activity(c.activity).lower()}, met "
                + ", ".join((wording.category(x) or x).lower() for x in c.categories)
                for c in fits
            )
            + "."
        )
    else:
        message += " Kies een van de vragen hieronder."
    return message


@router.post("/toestemmingen/nieuw", response_class=HTMLResponse, dependencies=[CsrfDep])
def consent_review(
    request: Request,
    web: WebDep,
    session: SessionDep,
    services: ServicesDep,
    principal: ResidentDep,
    ctx: ContextDep,
    gegevens: Annotated[list[str] | None, Form()] = None,
    waarvoor: Annotated[list[str] | None, Form()] = None,
    wie: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Step 2: the exact text the resident agrees to, before anything is stored."""
    chosen = {
        "categories": gegevens or [],
        "activities": waarvoor or [],
        "recipients": wie or [],
    }
    body = _body(chosen["categories"], chosen["activities"], chosen["recipients"])
    if body is None:
        return _new_form(
            request, web, session, services, status=422, chosen=chosen,
            error="Zeg bij minstens één vraag 'ja'.",
        )  # fmt: skip
    try:
        text = consent_api.preview(body, services, principal, ctx)
    except ConsentValidationError as exc:
        return _new_form(
            request, web, session, services, status=422, chosen=chosen,
            error=_validation_message(
                exc,
                services,
                session.municipality or web.municipality(services),
                chosen["activities"],
            ),
        )  # fmt: skip
    wording = _wording(services, web)
    return web.render(
        request,
        session,
        "resident/consent_review.html",
        nav="toestemmingen",
        chosen=chosen,
        text=text,
        scope={
            "categories": ", ".join(wording.category(c) or c for c in chosen["categories"]),
            "activities": ", ".join(wording.activity(a) for a in chosen["activities"]),
            "recipients": ", ".join(wording.recipient(r) for r in chosen["recipients"]),
        },
    )


@router.post("/toestemmingen", dependencies=[CsrfDep])
def consent_give(
    request: Request,
    web: WebDep,
    session: SessionDep,
    services: ServicesDep,
    principal: ResidentDep,
    ctx: ContextDep,
    text_sha256: Annotated[str, Form()],
    gegevens: Annotated[list[str] | None, Form()] = None,
    waarvoor: Annotated[list[str] | None, Form()] = None,
    wie: Annotated[list[str] | None, Form()] = None,
) -> Response:
    chosen = {"categories": gegevens or [], "activities": waarvoor or [], "recipients": wie or []}
    try:
        body = _body(chosen["categories"], chosen["activities"], chosen["recipients"], text_sha256)
    except ValueError:  # a malformed hash
        body = None
    if body is None:
        return _new_form(
            request, web, session, services, status=422, chosen=chosen,
            error="Zeg bij minstens één vraag 'ja'.",
        )  # fmt: skip
    try:
        created = consent_api.give(body, services, principal, ctx)
    except ConsentValidationError as exc:
        return _new_form(
            request, web, session, services, status=422, chosen=chosen,
            error=_validation_message(
                exc,
                services,
                session.municipality or web.municipality(services),
                chosen["activities"],
            ),
        )  # fmt: skip
    session.flash("Uw toestemming is vastgelegd en geldt vanaf nu.")
    return web.redirect(session, f"/mijn/toestemmingen#toestemming-{created.id}")


def _own_consent(
    services: Services, principal: Principal, consent_id: str, now_ns: int
) -> tuple[Any, str | None] | None:
    pseudonym = services.pseudonymize(principal.sub)
    try:
        with session_scope(services.db) as s:
            view = get_consent(s, pseudonym, consent_id, now_ns)
    except (ConsentNotFound, ConsentValidationError):
        return None
    return view, view.evidence.text if view.evidence else None


@router.get("/toestemmingen/{consent_id}/intrekken", response_class=HTMLResponse)
def withdraw_confirm(
    consent_id: str,
    request: Request,
    web: WebDep,
    session: SessionDep,
    services: ServicesDep,
    principal: ResidentDep,
    ctx: ContextDep,
) -> Response:
    """Asks once: are you sure? Nothing changes until the resident presses the button."""
    listed = {c.id: c for c in consent_api.my_consents(services, principal, ctx).consents}
    c = listed.get(consent_id)
    if c is None:
        return web.render(request, session, "resident/error.html", status=404, code="not_found")
    found = _own_consent(services, principal, consent_id, ctx.now_ns)
    return web.render(
        request,
        session,
        "resident/consent_withdraw.html",
        nav="toestemmingen",
        c=c,
        scope=_wording(services, web).consent_scope(c),
        text=found[1] if found else None,
    )


@router.post("/toestemmingen/{consent_id}/intrekken", dependencies=[CsrfDep])
def withdraw(
    consent_id: str,
    request: Request,
    web: WebDep,
    session: SessionDep,
    services: ServicesDep,
    principal: ResidentDep,
    ctx: ContextDep,
) -> Response:
    try:
        consent_api.withdraw(consent_id, services, principal, ctx)
    except (ConsentNotFound, ConsentValidationError):
        return web.render(request, session, "resident/error.html", status=404, code="not_found")
    session.flash(
        "Uw toestemming is ingetrokken. Vanaf nu gebruikt niemand uw gegevens nog op grond "
        "van deze toestemming."
    )
    return web.redirect(session, f"/mijn/toestemmingen#toestemming-{consent_id}")


@router.get("/toestemmingen/{consent_id}/bewijs")
def receipt_download(
    consent_id: str,
    request: Request,
    web: WebDep,
    session: SessionDep,
    services: ServicesDep,
    principal: ResidentDep,
    ctx: ContextDep,
) -> Response:
    """The consent receipt (Kantara v1.1 field names) as a JSON file to keep."""
    try:
        body = consent_api.receipt(consent_id, request, services, principal, ctx)
    except (ConsentNotFound, ConsentValidationError):
        return web.render(request, session, "resident/error.html", status=404, code="not_found")
    safe_id = "".join(ch for ch in consent_id if ch.isalnum() or ch in "-_")[:40]
    response = JSONResponse(
        body,
        headers={"Content-Disposition": f'attachment; filename="toestemming-{safe_id}.json"'},
    )
    web.codec.save(response, session)
    return response
