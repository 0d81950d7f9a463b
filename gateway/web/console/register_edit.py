"""The register editor in the console (first forms): an activity's legal facts and a role's
mandates in this deployment's profile. A save posts a register patch through the JSON route's
own function (`gateway.routes.policies.create_draft`), so the draft, its author, message,
audit event and the register's own checks are decided in one place; what the register
refuses is shown in the form with its reason, and no draft exists. After a save the officer
sees the change in the register's terms (/console/diff) and goes on with the lifecycle.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gateway.deps import ContextDep, ServicesDep
from gateway.errors import Denied
from gateway.routes import policies as policies_api
from gateway.web.console.register import active_version
from gateway.web.console.routes import Console, ConsoleDep, CsrfDep, OfficerDep, SessionDep
from gateway.web.console.session import ConsoleSession
from lifecycle import LifecycleConflict
from lifecycle.register_patch import PatchRefused

router = APIRouter(prefix="/console/register/edit", include_in_schema=False)

Text = Annotated[str, Form(max_length=2000)]


def _page(
    request: Request,
    console: Console,
    session: ConsoleSession,
    data: dict[str, Any],
    profile: str,
    *,
    status: int = 200,
    **context: Any,
) -> Response:
    return console.render(
        request,
        session,
        "console/register_edit.html",
        status=status,
        nav="register",
        register=data["register"],
        profile=profile,
        mandates=data["profiles"].get(profile, {}).get("mandates", {}),
        **context,
    )


def _refused(request: Request, console: Console, session: ConsoleSession) -> Response:
    return console.render(
        request, session, "console/error.html", status=403, message="register_refused"
    )


@router.get("")
def edit(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    activity: str | None = None,
    role: str | None = None,
) -> Response:
    """The index (no parameter), or the form of one activity or one role."""
    try:
        version = active_version(services, officer, ctx, "register.edit")
    except Denied:
        return _refused(request, console, session)
    data, profile = version.data, services.settings.profile
    if activity is not None and activity not in data["register"]["activities"]:
        activity = None
    if role is not None and role not in data["register"]["roles"]:
        role = None
    return _page(request, console, session, data, profile, activity=activity, role=role)


def _save(
    request: Request,
    console: Console,
    session: ConsoleSession,
    services: Any,
    officer: Any,
    ctx: Any,
    patch: list[dict[str, Any]],
    message: str,
    **form: Any,
) -> Response:
    try:
        version = active_version(services, officer, ctx, "register.edit")
    except Denied:
        return _refused(request, console, session)
    data, profile = version.data, services.settings.profile
    problems: list[str] = []
    if not message.strip():
        problems = ["register_message_required"]
    else:
        body = policies_api.DraftIn(message=message.strip(), register_patch=patch)
        try:
            draft = policies_api.create_draft(body, services, officer, ctx)
        except PatchRefused as exc:
            problems = exc.reasons
        except LifecycleConflict:
            problems = ["register_no_change"]
        except Denied:  # the enforcement point refused the change itself
            return _refused(request, console, session)
        else:
            session.flash("register_drafted")
            return console.redirect(session, f"/console/diff?to={draft.revision}")
    return _page(request, console, session, data, profile, status=422, problems=problems, **form)


@router.post("/activity/{key}", dependencies=[CsrfDep])
def save_activity(
    key: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    message: Text = "",
    article: Text = "",
    link: Text = "",
    explanation: Text = "",
    retention_days: Annotated[int, Form(ge=1, le=36_500)] = 1,
    confidential: Annotated[bool, Form()] = False,
    consent_admissible: Annotated[bool, Form()] = False,
    justification_required: Annotated[bool, Form()] = False,
    categories: Annotated[list[str] | None, Form(max_length=200)] = None,
) -> Response:
    fields: dict[str, Any] = {
        "article": article,
        "link": link,
        "explanation": explanation,
        "retention_days": retention_days,
        "consent_admissible": consent_admissible,
        "justification_required": justification_required,
        "categories": list(categories or []),
    }
    op: dict[str, Any] = {
        "op": "activity",
        "id": key,
        "set": {k: v for k, v in fields.items() if v != ""},
    }
    if confidential:
        op["set"]["confidential"] = True
    else:
        op["unset"] = ["confidential"]
    return _save(
        request, console, session, services, officer, ctx, [op], message,
        activity=key, submitted=op["set"],
    )  # fmt: skip


@router.post("/mandates/{role}", dependencies=[CsrfDep])
def save_mandates(
    role: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    message: Text = "",
    activities: Annotated[list[str] | None, Form(max_length=200)] = None,
) -> Response:
    op = {
        "op": "mandates",
        "profile": services.settings.profile,
        "role": role,
        "activities": list(activities or []),
    }
    return _save(
        request, console, session, services, officer, ctx, [op], message,
        role=role, chosen=op["activities"],
    )  # fmt: skip


__all__ = ["router"]
