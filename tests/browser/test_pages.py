"""Pages for people in Chromium: /docs renders Swagger UI from the gateway's own copy under
its CSP, with no request to another host; the start page and a 404 page pass axe."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .conftest import axe
from .server import Gateway


def test_docs_work_offline(page: Page, gateway: Gateway):
    hosts: set[str] = set()
    errors: list[str] = []
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("doelbinding")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert hosts == {gateway.url.split("/")[2]}
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_start_and_not_found_pages(page: Page):
    page.goto("/")
    expect(page.get_by_role("link", name="Wie bekeek mijn gegevens")).to_be_visible()
    assert not [v for v in axe(page) if v.get("impact") in ("serious", "critical")]
    resp = page.goto("/mijn/bestaat-niet")
    assert resp is not None
    assert resp.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Dat lukte niet")
    assert not [v for v in axe(page) if v.get("impact") in ("serious", "critical")]
