"""The Rego modules of a version, editable in the console (for engineers): one plain textarea per
module, saved as a new draft version whose parent is that version, through the lifecycle's own
function (`gateway.routes.policies.create_draft`: the same policy decision, author, message
and audit event as every other draft).

Before a draft exists the edited modules are compiled on regopy over every profile's register,
in a child process (`lifecycle.checks.compile_check`); a compile error is shown with its file
and line (rego-cpp's error text, `policy.embedded._compile_error`), the line marked in a
numbered excerpt of the module, and nothing is saved. A version that no longer builds on the
active one (once active itself, or a draft of such a version) is refused before compiling,
as the register editor refuses such a base: its draft could never be activated. The test on
both engines, the replay and four eyes follow on the version page as for any draft.

    GET  /console/rego/<revision>    the modules of that version in textareas
    POST /console/rego/<revision>    save them as a new draft (parent: that version)
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from gateway.db import session_scope
from gateway.deps import ContextDep, ServicesDep
from gateway.errors import Denied
from gateway.routes import policies as policies_api
from gateway.web.console.register_edit import base_refused
from gateway.web.console.routes import Console, ConsoleDep, CsrfDep, OfficerDep, SessionDep
from gateway.web.console.session import ConsoleSession
from lifecycle import LifecycleConflict, PolicyVersionError, service
from lifecycle.checks import compile_check

router = APIRouter(prefix="/console/rego", include_in_schema=False)

MAX_MODULE_BYTES = 256 * 1024
MAX_MODULES = 50
#: Lines shown either side of a compile error's line.
CONTEXT_LINES = 4


def _page(
    request: Request,
    console: Console,
    session: ConsoleSession,
    revision: str,
    modules: dict[str, str],
    *,
    status: int = 200,
    problems: list[str] | None = None,
    error: dict[str, Any] | None = None,
) -> Response:
    excerpt: list[tuple[int, str]] = []
    if error and error.get("file") in modules and error.get("line"):
        lines = modules[error["file"]].splitlines()
        line = int(error["line"])
        first = max(1, line - CONTEXT_LINES)
        last = min(len(lines), line + CONTEXT_LINES)
        excerpt = [(n, lines[n - 1]) for n in range(first, last + 1)]
    return console.render(
        request,
        session,
        "console/rego_edit.html",
        status=status,
        nav="versions",
        revision=revision,
        modules=modules,
        problems=problems or [],
        error=error,
        excerpt=excerpt,
    )


def _refused(request: Request, console: Console, session: ConsoleSession, status: int) -> Response:
    message = "not_officer" if status == 403 else "error_not_found"
    return console.render(request, session, "console/error.html", status=status, message=message)


@router.get("/{revision}")
def edit(
    revision: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
) -> Response:
    try:
        version = policies_api.get_version(revision, services, officer, ctx)
    except Denied:
        return _refused(request, console, session, 403)
    except PolicyVersionError:
        return _refused(request, console, session, 404)
    return _page(request, console, session, version.revision, dict(version.modules or {}))


@router.post("/{revision}", dependencies=[CsrfDep])
def save(
    revision: str,
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
    message: Annotated[str, Form(max_length=2000)] = "",
    name: Annotated[list[str] | None, Form(max_length=MAX_MODULES)] = None,
    source: Annotated[list[str] | None, Form(max_length=MAX_MODULES)] = None,
) -> Response:
    try:
        # The same policy decision as every draft (`create_draft` asks it again), asked
        # first so that no one else makes the gateway compile anything.
        policies_api.decide(services, officer, policies_api.CHANGE, ctx, revision)
        parent = policies_api.get_version(revision, services, officer, ctx)
    except Denied:
        return _refused(request, console, session, 403)
    except PolicyVersionError:
        return _refused(request, console, session, 404)
    with session_scope(services.db) as s:
        try:  # a draft of a version that no longer builds on the active one could never be
            service.current_base(s, parent.revision)  # activated: refused before compiling
        except PolicyVersionError as exc:
            return base_refused(request, console, session, exc)
    names, sources = list(name or []), list(source or [])
    base = dict(parent.modules or {})
    edited = dict(base)
    problems: list[str] = []
    if len(names) != len(sources) or any(n not in base for n in names):
        problems.append("rego_unknown_module")
    elif any(len(s.encode("utf-8")) > MAX_MODULE_BYTES for s in sources):
        problems.append("rego_too_large")
    else:
        # Browsers send a textarea's line breaks as CRLF; the module keeps the LF it had.
        edited |= {n: s.replace("\r\n", "\n") for n, s in zip(names, sources, strict=True)}
    if problems:
        return _page(request, console, session, revision, edited, status=422, problems=problems)
    if not message.strip():
        problems = ["register_message_required"]
    elif edited == base:
        problems = ["register_no_change"]
    if problems:
        return _page(request, console, session, revision, edited, status=422, problems=problems)
    error = compile_check(edited, parent.data or {})
    if error is not None:
        return _page(request, console, session, revision, edited, status=422, error=error)
    body = policies_api.DraftIn(message=message.strip(), modules=edited, parent=revision)
    try:
        draft = policies_api.create_draft(body, services, officer, ctx)
    except Denied:
        return _refused(request, console, session, 403)
    except LifecycleConflict:
        return _page(request, console, session, revision, edited, status=422,
                     problems=["register_no_change"])  # fmt: skip
    session.flash("register_drafted")
    return console.redirect(session, f"/console/diff?to={draft.revision}")


__all__ = ["router"]
