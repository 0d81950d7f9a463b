"""The privacy officer's console under /console: policy versions, the emergency-access review
queue, the flows dashboard and the audit trail's integrity, in English and Dutch.

Server-rendered; every POST carries the session's CSRF token; state never changes on a GET.
Lifecycle buttons call the JSON routes' own functions (`gateway.routes.policies`), so the
four-eyes rule, the audit events and the engine swap are decided in one place.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from gateway.auth import Principal
from gateway.clock import rfc3339
from gateway.db import session_scope
from gateway.deps import ContextDep, ServicesDep
from gateway.errors import Denied
from gateway.pep import NO_ACTIVITY, RequestContext, ResourceFacts
from gateway.routes import policies as policies_api
from gateway.services import Services
from gateway.settings import OidcSettings
from gateway.web.console import data
from gateway.web.console.format import iso_time, local_time, reason_texts
from gateway.web.console.i18n import t
from gateway.web.console.i18n_register import register_lines
from gateway.web.console.session import PRIVACY_OFFICER, ConsoleCodec, ConsoleSession
from gateway.web.oidc import OidcClient, OidcError
from gateway.web.session import CSRF_FIELD
from gateway.web.site import Web
from lifecycle import (
    LifecycleConflict,
    PolicyFourEyes,
    PolicyVersionError,
    VersionEvent,
    VersionState,
    service,
)
from lifecycle.register_diff import changes
from policy import load_modules

router = APIRouter(prefix="/console", include_in_schema=False)

DEMO_OFFICERS = ("u-fg-1", "u-fg-2")
DAY_NS = 86_400 * 1_000_000_000
PERIODS = (7, 30, 90, 365)


class ConsoleLoginRequired(Exception):  # answered with a redirect to the login page
    pass


class ConsoleCsrfRejected(Exception):  # answered 403, nothing changed
    pass


class ConsoleOidc(OidcClient):
    """The resident login's provider settings, with the console's redirect URI; the officer
    is the token's `sub` and the role comes from its claims."""

    def __init__(self, settings: OidcSettings, redirect_uri: str) -> None:
        super().__init__(settings.model_copy(update={"redirect_uri": redirect_uri}))
        self._local = threading.local()

    def _verify(self, id_token: str) -> dict[str, Any]:
        claims = super()._verify(id_token)
        self._local.claims = claims  # per thread: finish() runs in one
        return claims

    def claims(
        self, pending: dict[str, str] | None, code: str | None, state: str | None
    ) -> dict[str, Any]:
        self._local.claims = None
        self.finish(pending, code, state)
        claims: dict[str, Any] = self._local.claims or {}
        return claims


class Console:
    def __init__(self, web: Web) -> None:
        s = web.settings
        self.web = web
        self.codec = ConsoleCodec(s)
        self.oidc = ConsoleOidc(s.web.oidc, s.web.console_redirect_uri)
        self.role_claim = s.web.console_role_claim
        web.templates.env.filters["local_time"] = local_time
        web.templates.env.filters["iso_time"] = iso_time

    def render(
        self,
        request: Request,
        session: ConsoleSession,
        template: str,
        *,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        context.setdefault("nav", None)
        tr = t(session.lang)
        notice = session.pop_notice()
        response = self.web.templates.TemplateResponse(
            request,
            template,
            {
                "session": session,
                "csrf": session.csrf,
                "notice": tr(notice) if notice else None,
                "t": tr,
                "lang": session.lang,
                "here": request.url.path if request.method == "GET" else "/console/versions",
                **context,
            },
            status_code=status,
        )
        response.headers["Cache-Control"] = "no-store"
        self.codec.save(response, session)
        return response

    def redirect(self, session: ConsoleSession, url: str) -> RedirectResponse:
        response = RedirectResponse(url, status_code=303)
        self.codec.save(response, session)
        return response


def get_console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


ConsoleDep = Annotated[Console, Depends(get_console)]


def get_session(request: Request, console: ConsoleDep, lang: str | None = None) -> ConsoleSession:
    session = console.codec.load(request)
    session.set_lang(lang)
    request.state.console_session = session
    return session


SessionDep = Annotated[ConsoleSession, Depends(get_session)]


def get_officer(session: SessionDep) -> Principal:
    principal = session.principal()
    if principal is None:
        raise ConsoleLoginRequired()
    return principal


OfficerDep = Annotated[Principal, Depends(get_officer)]


def check_csrf(
    session: SessionDep, csrf_token: Annotated[str | None, Form(alias=CSRF_FIELD)] = None
) -> None:
    if not session.csrf_ok(csrf_token):
        raise ConsoleCsrfRejected()


CsrfDep = Depends(check_csrf)


# --- login -----------------------------------------------------------------------------------


@router.get("", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/console/versions", status_code=303)


def _login_page(
    request: Request, console: Console, session: ConsoleSession, *, status: int = 200,
    error: str | None = None,
) -> Response:  # fmt: skip
    return console.render(
        request,
        session,
        "console/login.html",
        status=status,
        demo=DEMO_OFFICERS if console.web.demo_login else (),
        oidc=console.oidc.enabled,
        error=error,
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, console: ConsoleDep, session: SessionDep) -> Response:
    return _login_page(request, console, session)


@router.post("/login", dependencies=[CsrfDep])
def demo_login(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: Annotated[str, Form()] = "",
) -> Response:
    if not console.web.demo_login:
        return _error(request, console, session, 404, "error_not_found")
    if officer not in DEMO_OFFICERS:
        return _login_page(request, console, session, status=422, error="login_pick")
    muni = console.web.municipality(services)
    org = services.register.municipalities[muni].organisation
    session.login(officer, org, muni, "demo")
    return console.redirect(session, "/console/versions")


@router.get("/login/oidc")
def oidc_start(request: Request, console: ConsoleDep, session: SessionDep) -> Response:
    if not console.oidc.enabled:
        return _error(request, console, session, 404, "error_not_found")
    try:
        start = console.oidc.start()
    except OidcError:
        return _error(request, console, session, 502, "error_oidc")
    session.oidc, session.changed = start.state, True
    return console.redirect(session, start.url)


@router.get("/login/callback")
def oidc_callback(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    pending, session.oidc, session.changed = session.oidc, None, True
    if error is not None or not console.oidc.enabled:
        return _error(request, console, session, 400, "error_oidc")
    try:
        claims = console.oidc.claims(pending, code, state)
    except OidcError as exc:
        console.web.log.info("console_oidc_login_failed", reason=exc.reason)
        return _error(request, console, session, 400, "error_oidc")
    roles = claims.get(console.role_claim)
    roles = [roles] if isinstance(roles, str) else roles if isinstance(roles, list) else []
    sub = claims.get("sub")
    if PRIVACY_OFFICER not in roles or not isinstance(sub, str):
        return _error(request, console, session, 403, "not_officer")
    muni = str(claims.get("municipality") or console.web.municipality(services))
    reg_muni = services.register.municipalities.get(muni)
    org = str(claims.get("organisation") or (reg_muni.organisation if reg_muni else ""))
    session.login(sub, org, muni, "oidc")
    return console.redirect(session, "/console/versions")


@router.post("/logout", dependencies=[CsrfDep])
def logout(console: ConsoleDep, session: SessionDep) -> Response:
    session.logout()
    session.flash("logged_out")
    return console.redirect(session, "/console/login")


def _error(
    request: Request, console: Console, session: ConsoleSession, status: int, key: str
) -> Response:
    return console.render(request, session, "console/error.html", status=status, message=key)


def _supervises(services: Services, officer: Principal, ctx: RequestContext) -> bool:
    """The one door for the console's audit pages: the policy decides (resource type
    `audit_log`, the officer's municipality), audited; an engine failure raises (503)."""
    facts = ResourceFacts(
        type="audit_log", category="", team="", municipality=officer.municipality, resident=None
    )
    with session_scope(services.db) as s:
        outcome = services.pep.decide(s, officer, NO_ACTIVITY, "read", [facts], ctx)
    if outcome.failure is not None:
        raise outcome.failure
    return outcome.allowed


# --- policy versions -------------------------------------------------------------------------


@router.get("/versions", response_class=HTMLResponse)
def versions(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
) -> Response:
    try:
        listed = policies_api.list_versions(services, officer, ctx)
    except Denied:
        return _error(request, console, session, 403, "not_officer")
    return console.render(
        request, session, "console/versions.html", nav="versions", versions=listed
    )


def _version_page(
    request: Request,
    console: Console,
    session: ConsoleSession,
    services: Services,
    revision: str,
    *,
    status: int = 200,
    error: PolicyVersionError | None = None,
    four_eyes: bool = False,
) -> Response:
    with session_scope(services.db) as s:
        try:
            st = service.status(s, revision)
        except PolicyVersionError:
            return _error(request, console, session, 404, "error_not_found")
        test = st.last(VersionEvent.TESTED)
        sim = st.last(VersionEvent.SIMULATED)
        rollback = st.last(VersionEvent.ROLLBACK_REQUESTED)
        done = st.last(VersionEvent.ROLLED_BACK)
        open_rollback = rollback is not None and (
            done is None or (done.id or 0) < (rollback.id or 0)
        )
        others = [v.version.revision for v in service.list_versions(s)]
        active = service.active_revision(s)
        modules = dict(st.version.modules)
        if active and active != revision:
            modules = {**service.get_version(s, active).modules, **modules}
        extendable = _extendable(s, revision)
    return console.render(
        request,
        session,
        "console/version.html",
        status=status,
        nav="versions",
        st=st,
        state=st.state.value,
        approval=st.last(VersionEvent.APPROVED),
        test=test.details if test else None,
        sim=sim.details if sim else None,
        open_rollback=open_rollback,
        others=others,
        error=_refusal(error, session.lang),
        four_eyes=four_eyes,
        extendable=extendable,
        reasons=reason_texts(tuple(sorted(modules.items())), session.lang),
    )


def _extendable(s: Session, revision: str) -> bool:
    """Whether the register editor may add a change on top of this version: a draft, tested
    or approved version that still builds on the active one (`service.current_base`)."""
    try:
        return service.current_base(s, revision).state is not VersionState.ACTIVE
    except PolicyVersionError:
        return False


def _refusal(error: PolicyVersionError | None, lang: str) -> dict[str, str] | None:
    """What is in the way, in the officer's language; the technical detail (engine, file,
    line) as the lifecycle said it."""
    if error is None:
        return None
    tr = t(lang)
    if isinstance(error, LifecycleConflict) and error.reason:
        detail = error.message if error.reason == "test_failed" else ""
        return {"text": tr("conflict_" + error.reason), "detail": detail}
    return {"text": str(error), "detail": ""}


@router.get("/versions/{revision}", response_class=HTMLResponse)
def version(
    revision: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
) -> Response:
    try:
        policies_api.decide(services, officer, policies_api.READ, ctx, revision)
    except Denied:
        return _error(request, console, session, 403, "not_officer")
    return _version_page(request, console, session, services, revision)


@router.get("/diff", response_class=HTMLResponse)
def diff(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    to: str,
    against: str | None = None,
) -> Response:
    try:
        result = policies_api.diff_versions(to, services, officer, ctx, against or None)
    except Denied:
        return _error(request, console, session, 403, "not_officer")
    except PolicyVersionError:
        return _error(request, console, session, 404, "error_not_found")
    # The change in the register's terms in the officer's language (the API's lines are
    # English); for a draft built on another draft also all its changes against the active
    # version, which is what activating it changes.
    whole: dict[str, Any] | None = None
    with session_scope(services.db) as s:
        new = service.get_version(s, result["to"])
        old = service.get_version(s, result["from"])
        result["register"] = register_lines(changes(old.data, new.data), session.lang)
        extendable = _extendable(s, new.revision)
        active = service.active_revision(s)
        if extendable and not against and active and new.parent not in (None, active):
            now = service.get_version(s, active)
            whole = {
                "from": active,
                "register": register_lines(changes(now.data, new.data), session.lang),
            }
    return console.render(
        request, session, "console/diff.html", nav="versions", diff=result, whole=whole,
        extendable=extendable,
    )  # fmt: skip


_ACTIONS = {
    "test": "done_tested",
    "simulate": "done_simulated",
    "approve": "done_approved",
    "activate": "done_activated",
    "rollback": "done_rollback_requested",
    "rollback-approve": "done_rolled_back",
}


@router.post("/versions/{revision}/{action}", dependencies=[CsrfDep])
def version_action(
    revision: str,
    action: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    if action not in _ACTIONS:
        return _error(request, console, session, 404, "error_not_found")
    try:
        if action == "test":
            policies_api.test_version(revision, services, officer, ctx)
        elif action == "simulate":
            policies_api.simulate_version(revision, services, officer, ctx)
        elif action == "approve":
            policies_api.approve_version(revision, services, officer, ctx)
        elif action == "activate":
            policies_api.activate_version(revision, services, officer, ctx)
        elif action == "rollback":
            body = policies_api.RollbackIn(reason=reason.strip()[:2000] or "-")
            policies_api.request_rollback(revision, body, services, officer, ctx)
        else:
            policies_api.approve_rollback(revision, services, officer, ctx)
    except Denied:
        return _error(request, console, session, 403, "not_officer")
    except PolicyFourEyes:
        return _version_page(
            request, console, session, services, revision, status=403, four_eyes=True
        )
    except PolicyVersionError as exc:
        return _version_page(request, console, session, services, revision, status=409, error=exc)
    session.flash(_ACTIONS[action])
    return console.redirect(session, f"/console/versions/{revision}")


# --- emergency access review -----------------------------------------------------------------


def _reviews_page(
    request: Request,
    console: Console,
    session: ConsoleSession,
    services: Services,
    officer: Principal,
    *,
    status: int = 200,
    error: str | None = None,
    error_seq: int | None = None,
) -> Response:
    with session_scope(services.db) as s:
        queue = data.review_queue(s, officer.municipality)
    return console.render(
        request,
        session,
        "console/reviews.html",
        status=status,
        nav="reviews",
        open=[i for i in queue if i.review is None],
        done=[i for i in queue if i.review is not None],
        error=error,
        error_seq=error_seq,
    )


@router.get("/reviews", response_class=HTMLResponse)
def reviews(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
) -> Response:
    if not _supervises(services, officer, ctx):
        return _error(request, console, session, 403, "not_officer")
    return _reviews_page(request, console, session, services, officer)


@router.post("/reviews/{seq}", dependencies=[CsrfDep])
def review(
    seq: int,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    comment: Annotated[str, Form()] = "",
    verdict: Annotated[str, Form()] = "",
) -> Response:
    if not _supervises(services, officer, ctx):
        return _error(request, console, session, 403, "not_officer")
    text = comment.strip()[:1000]
    with session_scope(services.db) as s:
        exists, reviewed = data.reviewable(s, seq, officer.municipality)
        problem = (
            "review_unknown" if not exists
            else "review_exists" if reviewed
            else "review_needs_verdict" if verdict not in data.VERDICTS
            else "review_needs_comment" if not text
            else None
        )  # fmt: skip
        if problem is None:
            data.append_event(
                services, s, officer, ctx, data.REVIEWED,
                details={"reviewed_seq": str(seq), "verdict": verdict, "comment": text},
            )  # fmt: skip
    if problem is not None:
        status = 404 if problem == "review_unknown" else 409 if reviewed else 422
        return _reviews_page(
            request, console, session, services, officer,
            status=status, error=problem, error_seq=seq,
        )  # fmt: skip
    session.flash("review_saved" if verdict == data.JUSTIFIED else "review_saved_not_justified")
    return console.redirect(session, "/console/reviews")


# --- flows -----------------------------------------------------------------------------------


@router.get("/flows", response_class=HTMLResponse)
def flows(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    days: int = 30,
) -> Response:
    if not _supervises(services, officer, ctx):
        return _error(request, console, session, 403, "not_officer")
    days = days if days in PERIODS else 30
    since = (ctx.now_ns - days * DAY_NS) // DAY_NS * DAY_NS
    with session_scope(services.db) as s:
        board = data.dashboard(services, s, rfc3339(since), officer.municipality)
        active = service.active_revision(s)
        modules = dict(_shipped_modules(services))
        if active:
            modules |= service.get_version(s, active).modules
    return console.render(
        request,
        session,
        "console/flows.html",
        nav="flows",
        board=board,
        days=days,
        periods=PERIODS,
        reason_texts=reason_texts(tuple(sorted(modules.items())), session.lang),
    )


def _shipped_modules(services: Services) -> tuple[tuple[str, str], ...]:
    rego_dir = services.settings.policy.rego_dir
    return tuple(sorted((load_modules(rego_dir) if rego_dir else load_modules()).items()))


# --- integrity -------------------------------------------------------------------------------


@router.get("/integrity", response_class=HTMLResponse)
def integrity(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
) -> Response:
    if not _supervises(services, officer, ctx):
        return _error(request, console, session, 403, "not_officer")
    with session_scope(services.db) as s:
        state = data.integrity(s)
    return console.render(request, session, "console/integrity.html", nav="integrity", **state)


@router.post("/integrity/verify", dependencies=[CsrfDep])
def verify(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
) -> Response:
    if not _supervises(services, officer, ctx):
        return _error(request, console, session, 403, "not_officer")
    with session_scope(services.db) as s:
        details = data.run_verify(services, s)
    with session_scope(services.db) as s:
        data.append_event(
            services, s, officer, ctx, data.VERIFIED,
            allowed=details["ok"] == "true", details=details,
        )  # fmt: skip
    session.flash("verify_done")
    return console.redirect(session, "/console/integrity")


__all__ = ["Console", "ConsoleCsrfRejected", "ConsoleLoginRequired", "router"]
