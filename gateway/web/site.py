"""What every page shares: the templates, the session codec, the OIDC client, rendering and
redirects that carry the session cookie, and the two web-only errors. Built once per app by
`gateway.web.install`; a later console reuses it (its own templates extend `base.html`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from gateway.demo import DEMO_RECORDS, DEMO_RESIDENTS
from gateway.services import Services
from gateway.settings import Environment, Settings
from gateway.web.oidc import OidcClient
from gateway.web.session import CSRF_FIELD, SessionCodec, WebSession
from policy import load_modules, reason_catalogue

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


class LoginRequired(Exception):  # a control-flow signal, answered with a redirect
    """The page needs a logged-in resident: answered with a redirect to the login page."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__("login required")


class CsrfRejected(Exception):  # named for what the resident sees
    """A POST without the session's CSRF token: answered 403, nothing changed."""


class Web:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        self.templates.env.globals["csrf_field"] = CSRF_FIELD
        self.codec = SessionCodec(settings)
        self.oidc = OidcClient(settings.web.oidc)
        self.demo_login = (
            settings.web.demo_login and settings.environment is Environment.DEVELOPMENT
        )
        self.log = structlog.get_logger("doelbinding.web")
        self._reasons: dict[str, str] | None = None

    def reason_texts(self, services: Services) -> dict[str, str]:
        """Reason code → the policy's own Dutch message (read from the Rego, as /v1/registry)."""
        if self._reasons is None:
            rego_dir = services.settings.policy.rego_dir
            modules = load_modules(rego_dir) if rego_dir else load_modules()
            self._reasons = {
                code: texts.get("message_nl") or texts.get("message", code)
                for code, texts in reason_catalogue(modules).items()
            }
        return self._reasons

    def municipality(self, services: Services) -> str:
        return self.settings.web.municipality or next(iter(services.register.municipalities))

    def demo_residents(self, services: Services) -> list[dict[str, str]]:
        """The demo residents of the profile in force, with the municipality of their records."""
        records = DEMO_RECORDS.get(services.register.profile, [])
        out = []
        for key in DEMO_RESIDENTS:
            muni = next((r[4] for r in records if r[1] == key), self.municipality(services))
            out.append({"key": key, "name": key.capitalize(), "municipality": muni})
        return out

    def render(
        self,
        request: Request,
        session: WebSession,
        template: str,
        *,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        context.setdefault("nav", None)
        response = self.templates.TemplateResponse(
            request,
            template,
            {
                "session": session,
                "csrf": session.csrf,
                "notice": session.pop_notice(),
                "demo_login": self.demo_login,
                # Who residents can ask (the footer names them): from the register in force.
                "contact": request.app.state.services.register.contact,
                **context,
            },
            status_code=status,
        )
        self.codec.save(response, session)
        return response

    def redirect(self, session: WebSession, url: str) -> RedirectResponse:
        response = RedirectResponse(url, status_code=303)
        self.codec.save(response, session)
        return response


def get_web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


WebDep = Annotated[Web, Depends(get_web)]


def login_required_response(exc: LoginRequired) -> Response:
    from urllib.parse import quote

    return RedirectResponse(f"/mijn/inloggen?terug={quote(exc.path)}", status_code=303)
