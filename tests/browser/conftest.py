"""Browser tests: real headless Chromium from Debian (/usr/bin/chromium), driven by Playwright
for Python (never `playwright install`), against the real gateway under uvicorn. One server
and one browser per module. Locally a missing Chromium, Playwright or axe-core skips these
tests; under CI=true it fails them (`make test` installs all three)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from .server import AXE, CHROMIUM, CHROMIUM_ARGS, Gateway, running_gateway

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - reported by the fixture below
    sync_playwright = None  # type: ignore[assignment]


def _missing() -> str | None:
    if sync_playwright is None:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium; `make test` does it)"
    if not AXE.exists():
        return "axe-core is missing (npm ci --prefix tests/browser; `make test` does it)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    missing = _missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def gateway(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with running_gateway(tmp_path_factory.mktemp("gateway")) as gw:
        gw.demo_activity()
        yield gw


@pytest.fixture
def page(browser: Browser, gateway: Gateway) -> Iterator[Page]:
    context = browser.new_context(base_url=gateway.url, locale="nl-NL")
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="module")
def resident_state(browser: Browser, gateway: Gateway) -> dict[str, Any]:
    """Sanne's session, logged in once through the demo login page, for every test to reuse."""
    context = browser.new_context(base_url=gateway.url)
    login(context.new_page())
    state: dict[str, Any] = dict(context.storage_state())
    context.close()
    return state


@pytest.fixture
def resident(browser: Browser, gateway: Gateway, resident_state: dict[str, Any]) -> Iterator[Page]:
    """A page in a new context that is already logged in as Sanne."""
    context = browser.new_context(
        base_url=gateway.url,
        locale="nl-NL",
        storage_state=resident_state,  # type: ignore[arg-type]
    )
    pg = context.new_page()
    yield pg
    context.close()


def login(page: Page, who: str = "Sanne") -> None:
    page.goto("/mijn/inloggen")
    page.get_by_label(who).check()
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/mijn/inzage")


def axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1 A and AA violations of the page as it is now.

    The script goes in through the DevTools protocol (`evaluate`), which the page's CSP does
    not govern; the page itself never allows inline script."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations
