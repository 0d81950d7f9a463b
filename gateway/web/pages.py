"""Pages for people where a browser would otherwise meet JSON: the start page (`/`), the
favicon, the API documentation (`/docs`: Swagger UI from the `fastapi-offline` package's
copy, served by the gateway, so it works offline and under a strict CSP), and error pages
for `/mijn/…` and `/console/…` (unknown paths, refusals and failures) in the page's own
language.

The status and meaning of every error still come from `gateway/errors.py` (its one table);
this module only words it as a page for the paths people read."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from gateway.web.security import SecurityHeaders
from gateway.web.site import STATIC, Web

router = APIRouter(include_in_schema=False)

#: Swagger UI needs inline styles (React style attributes) and data: images; scripts only
#: from the gateway itself.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

_DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>doelbinding API</title>
  <link rel="icon" href="/favicon.ico">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/static/js/swagger-init.js"></script>
</body>
</html>
"""


@router.get("/", response_class=HTMLResponse)
def start(request: Request) -> Response:
    """Where a person who opens the gateway's address can go."""
    web: Web = request.app.state.web
    return web.render(request, web.codec.load(request), "start.html")


@router.get("/favicon.ico")
def favicon() -> Response:
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


@router.get("/docs", response_class=HTMLResponse)
def docs() -> Response:
    return HTMLResponse(_DOCS_HTML, headers={"Content-Security-Policy": DOCS_CSP})


# --- error pages ------------------------------------------------------------------------------

_RESIDENT_CODES = {
    403: "denied",
    404: "not_found",
    405: "not_found",
    413: "invalid",
    422: "invalid",
    503: "unavailable",
}
_CONSOLE_MESSAGES = {
    403: "error_denied",
    404: "error_not_found",
    405: "error_not_found",
    413: "error_invalid",
    422: "error_invalid",
    503: "error_unavailable",
}


def error_page(request: Request, status: int) -> Response | None:
    """The page for an error answer on a path people read; None: keep the JSON answer."""
    path = request.url.path
    if path.startswith("/mijn"):
        web: Web = request.app.state.web
        session = getattr(request.state, "web_session", None) or web.codec.load(request)
        code = _RESIDENT_CODES.get(status, "internal")
        return web.render(request, session, "resident/error.html", status=status, code=code)
    if path.startswith("/console"):
        console = request.app.state.console
        session = getattr(request.state, "console_session", None)
        if session is None:  # no route ran: read the session and the language here
            session = console.codec.load(request)
            session.set_lang(request.query_params.get("lang"))
        message = _CONSOLE_MESSAGES.get(status, "error_internal")
        response: Response = console.render(
            request, session, "console/error.html", status=status, message=message
        )
        return response
    return None


def install(app: FastAPI) -> None:
    app.include_router(router)
    assets = files("fastapi_offline") / "static"  # swagger-ui-bundle.js, swagger-ui.css
    app.mount("/docs/assets", StaticFiles(directory=str(assets)), name="docs-assets")
    app.add_middleware(SecurityHeaders, prefixes=("/docs/assets", "/favicon.ico"))
    app.state.error_page = error_page
