"""Pages, not JSON, for people: the start page, the favicon, /docs offline under a CSP, and
error pages in the page's language for unknown /mijn and /console paths and for failures."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gateway.services import Services
from policy import PolicyUnavailable


def test_start_page_leads_somewhere(web: TestClient) -> None:
    resp = web.get("/")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    for link in ('href="/mijn/inzage"', 'href="/console"', 'href="/docs"'):
        assert link in resp.text


def test_favicon(web: TestClient) -> None:
    resp = web.get("/favicon.ico")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("image/svg+xml")
    assert 'rel="icon"' in web.get("/mijn/inloggen").text


def test_docs_are_served_by_the_gateway(web: TestClient) -> None:
    page = web.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline script: the CSP forbids it
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css",
                  "/static/js/swagger-init.js"):  # fmt: skip
        assert asset in page.text
        assert web.get(asset).status_code == 200, asset
    assert web.get("/openapi.json").json()["info"]["title"] == "doelbinding"


def test_unknown_paths_get_a_page_in_their_language(web: TestClient) -> None:
    resident = web.get("/mijn/bestaat-niet")
    assert resident.status_code == 404
    assert resident.headers["content-type"].startswith("text/html")
    assert "Deze pagina bestaat niet" in resident.text
    console = web.get("/console/does-not-exist?lang=en")
    assert console.status_code == 404
    assert "This page does not exist." in console.text
    console_nl = web.get("/console/bestaat-niet?lang=nl")
    assert "Deze pagina bestaat niet." in console_nl.text
    # The JSON API keeps answering JSON.
    api = web.get("/v1/does-not-exist")
    assert api.status_code == 404
    assert api.json() == {"detail": "Not Found"}


def test_a_failure_on_a_page_is_a_page(web: TestClient) -> None:
    """The policy engine fails while a resident opens her questions: 503, as a page, in Dutch."""
    login = web.get("/mijn/inloggen")
    token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
    web.post("/mijn/inloggen", data={"csrf_token": token, "inwoner": "sanne"})
    services: Services = web.app.state.services  # type: ignore[attr-defined]

    class Broken:
        revision = "broken"

        def decide(self, _inp: object) -> object:
            raise PolicyUnavailable("embedded", "down")

    holder = services.engines
    active = holder.active
    holder.active = type(active)(engine=Broken(), register=active.register)  # type: ignore[arg-type]
    try:
        resp = web.get("/mijn/vragen")
    finally:
        holder.active = active
    assert resp.status_code == 503
    assert resp.headers["content-type"].startswith("text/html")
    assert "Het lukt nu even niet" in resp.text
