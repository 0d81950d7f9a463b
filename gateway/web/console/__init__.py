"""The privacy officer's console (`/console/…`, English and Dutch): policy versions with
four-eyes approval, the emergency-access review queue, the flows dashboard and the audit
trail's integrity. Reuses gateway/web (templates, static files, CSP); see docs/web.md."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from gateway.web.security import SecurityHeaders
from gateway.web.site import Web


def install(app: FastAPI, web: Web) -> None:
    from gateway.web.console import questions, register, register_edit, rego_edit, routes

    console = routes.Console(web)
    app.state.console = console
    app.include_router(routes.router)
    app.include_router(questions.router)
    app.include_router(register.router)  # the processing register (AVG art. 30)
    app.include_router(register_edit.router)  # its editor: drafts from register patches
    app.include_router(rego_edit.router)  # a version's Rego modules, for engineers
    app.add_middleware(SecurityHeaders, prefixes=("/console",))

    async def login_required(_request: Request, _exc: Exception) -> Response:
        return RedirectResponse("/console/login", status_code=303)

    async def csrf_rejected(request: Request, _exc: Exception) -> Response:
        session = getattr(request.state, "console_session", None) or console.codec.load(request)
        return console.render(request, session, "console/error.html", status=403,
                              message="error_csrf")  # fmt: skip

    app.add_exception_handler(routes.ConsoleLoginRequired, login_required)
    app.add_exception_handler(routes.ConsoleCsrfRejected, csrf_rejected)


__all__ = ["install"]
