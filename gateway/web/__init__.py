"""The gateway's web pages: server-rendered Jinja2, plain Dutch (B1), styled after Dutch
government sites (NL Design System-like), with no external resources.

`install(app, settings)` mounts the resident pages (`/mijn/…`), the static files
(`/static/…`), the security headers and the two web-only error answers. See docs/web.md.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from gateway.settings import Settings
from gateway.web.security import SecurityHeaders
from gateway.web.site import STATIC, CsrfRejected, LoginRequired, Web, login_required_response


def install(app: FastAPI, settings: Settings) -> None:
    from gateway.web import pages, questions, routes

    web = Web(settings)
    app.state.web = web
    app.include_router(routes.router)
    app.include_router(questions.router)
    pages.install(app)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_middleware(SecurityHeaders, prefixes=("/mijn", "/static"))

    async def login_required(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return login_required_response(exc)

    async def csrf_rejected(request: Request, _exc: Exception) -> Response:
        session = getattr(request.state, "web_session", None) or web.codec.load(request)
        return web.render(request, session, "resident/error.html", status=403, code="csrf")

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfRejected, csrf_rejected)


__all__ = ["install"]
