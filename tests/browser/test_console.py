"""The privacy officer's console in real Chromium: four eyes with two officers, the dashboard's
charts, accessibility of every console page.

    PYTHONPATH=. python -m tests.browser.test_console [docs/img/console-dashboard.png]

takes the dashboard screenshot (the demo activity, an emergency access, then /console/flows).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from policy import load_modules

from .conftest import axe
from .server import CHROMIUM, CHROMIUM_ARGS, Gateway, running_gateway

WHY = "Crisis at night; the own team cannot be reached."


def officer_page(browser: Browser, gateway: Gateway, officer: str) -> Page:
    """A new context, logged in through the demo login page, in English."""
    page = browser.new_context(base_url=gateway.url, locale="en-GB").new_page()
    page.goto("/console/login?lang=en")
    page.get_by_label(officer).check()
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/console/versions")
    return page


def emergency_access(gateway: Gateway) -> None:
    headers = gateway.headers("u-wim", "team_generalist", "wmo-support", ("wt-west",))
    headers["X-Break-Glass-Justification"] = WHY
    assert httpx.get(f"{gateway.url}/v1/records/r-demo-debts", headers=headers).status_code == 200


def draft(gateway: Gateway) -> str:
    modules = load_modules()
    modules["authz.rego"] += "\n# Harmless: a comment that changes the revision only.\n"
    headers = gateway.headers("u-fg-1", "privacy_officer", "none")
    resp = httpx.post(
        f"{gateway.url}/v1/policies",
        json={"message": "Harmless comment", "modules": modules},
        headers=headers,
        timeout=30,
    )
    resp.raise_for_status()
    return str(resp.json()["revision"])


def test_two_officers_approve_and_activate_a_version(browser: Browser, gateway: Gateway):
    rev = draft(gateway)
    first = officer_page(browser, gateway, "u-fg-1")
    first.get_by_role("link", name=rev[:12]).click()
    first.get_by_role("button", name="Run the decision tables").click()
    expect(first.get_by_role("status")).to_have_text("The decision tables ran.", timeout=60_000)
    first.get_by_role("button", name="Simulate on past decisions").click()
    expect(first.get_by_role("status")).to_have_text("The simulation ran.", timeout=60_000)
    expect(first.get_by_text("0 flips")).to_be_visible()
    first.get_by_role("button", name="Approve").click()
    expect(first.get_by_role("alert")).to_contain_text("Refused (four eyes)")
    first.context.close()

    second = officer_page(browser, gateway, "u-fg-2")
    second.goto(f"/console/versions/{rev}")
    second.get_by_role("button", name="Approve").click()
    expect(second.get_by_role("status")).to_have_text("The version is approved.")
    second.get_by_role("button", name="Activate").click()
    expect(second.get_by_role("status")).to_contain_text("The version is active")
    expect(second.locator(".facts .state")).to_have_text("active")
    second.goto("/console/versions")
    row = second.get_by_role("row", name=re.compile(rev[:12]))
    expect(row).to_contain_text("u-fg-2")
    second.context.close()


def test_the_dashboard_draws_its_charts(browser: Browser, gateway: Gateway):
    page = officer_page(browser, gateway, "u-fg-1")
    page.goto("/console/flows")
    expect(page.locator('[data-chart-for="per-day"] svg rect').first).to_be_visible()
    expect(page.locator('[data-chart-for="reasons"] svg rect').first).to_be_visible()
    expect(page.locator("tr.tension").first).to_be_visible()
    page.context.close()


def test_every_console_page_passes_axe(browser: Browser, gateway: Gateway):
    emergency_access(gateway)
    page = officer_page(browser, gateway, "u-fg-2")
    paths = ["/console/versions", "/console/reviews", "/console/flows", "/console/integrity"]
    paths += ["/console/register", "/console/register/print", "/console/register/edit"]
    paths += ["/console/register/edit?activity=wmo-support"]
    paths += ["/console/register/edit?role=team_lead"]
    page.goto("/console/versions")
    paths.append(page.locator("tbody a").first.get_attribute("href") or "")
    if page.locator("#to").count():
        paths.append("/console/diff?to=" + (page.locator("#to").input_value()))
    problems = {}
    for lang in ("en", "nl"):
        for path in paths:
            sep = "&" if "?" in path else "?"
            page.goto(f"{path}{sep}lang={lang}")
            bad = [v["id"] for v in axe(page) if v["impact"] in ("serious", "critical")]
            if bad:
                problems[f"{lang} {path}"] = bad
    page.context.close()
    login = browser.new_page(base_url=gateway.url)
    login.goto("/console/login")
    bad = [v["id"] for v in axe(login) if v["impact"] in ("serious", "critical")]
    if bad:
        problems["login"] = bad
    login.close()
    assert problems == {}


def test_the_review_queue_works_without_javascript(browser: Browser, gateway: Gateway):
    emergency_access(gateway)
    context = browser.new_context(base_url=gateway.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/console/login?lang=en")
    page.get_by_role("button", name="Log in").click()
    page.goto("/console/reviews")
    item = page.locator(".review-queue > li").first
    expect(item).to_contain_text(WHY)
    item.get_by_label("Justified", exact=True).check()
    item.get_by_label("Review comment").fill("Justified: crisis at night.")
    item.get_by_role("button", name="Record the review").click()
    expect(page.get_by_role("status")).to_have_text("The review is recorded.")
    expect(page.get_by_text("Justified: crisis at night.").first).to_be_visible()
    context.close()


EXCEPTION_WHY = "Colleague of wt-oost on leave until Monday; the case goes on."


def read_under_an_exception(gateway: Gateway) -> None:
    """u-bert (wt-west) asks for an exception on Sanne's debts in wt-oost, team lead u-tom
    approves it, u-bert reads the record."""
    bert = gateway.headers("u-bert", "team_generalist", "wmo-support", ("wt-west",))
    asked = httpx.post(
        f"{gateway.url}/v1/exceptions",
        json={"resident": "999990019", "categories": ["debts"],
              "processing_activities": ["wmo-support"], "justification": EXCEPTION_WHY},
        headers=bert,
    )  # fmt: skip
    assert asked.status_code == 201, asked.text
    lead = gateway.headers("u-tom", "team_lead", "wmo-support")
    ok = httpx.post(f"{gateway.url}/v1/exceptions/{asked.json()['id']}/approve", headers=lead)
    assert ok.status_code == 200, ok.text
    assert httpx.get(f"{gateway.url}/v1/records/r-demo-debts", headers=bert).status_code == 200


def test_the_review_queue_shows_an_exceptions_reason_and_a_not_justified_mark(
    browser: Browser, gateway: Gateway
):
    read_under_an_exception(gateway)
    page = officer_page(browser, gateway, "u-fg-2")
    page.goto("/console/reviews")
    item = page.locator(".review-queue > li", has_text=EXCEPTION_WHY)
    expect(item).to_contain_text("four-eyes exception")
    expect(item).to_contain_text("Requested by")
    expect(item).to_contain_text("u-bert")
    expect(item).to_contain_text("u-tom")
    expect(item).not_to_contain_text("(none)")
    item.get_by_label("Not justified").check()
    item.get_by_label("Review comment").fill("The own colleague was reachable that day.")
    item.get_by_role("button", name="Record the review").click()
    expect(page.get_by_role("status")).to_contain_text("marked not justified")
    done = page.locator("li.entry-not-justified", has_text=EXCEPTION_WHY)
    expect(done.locator(".badge")).to_have_text("Not justified")
    expect(done).to_contain_text("The own colleague was reachable that day.")
    problems = {}
    for lang in ("en", "nl"):
        for path in ("/console/reviews", "/console/flows"):
            page.goto(f"{path}?lang={lang}")
            bad = [v["id"] for v in axe(page) if v["impact"] in ("serious", "critical")]
            if bad:
                problems[f"{lang} {path}"] = bad
    page.goto("/console/flows?lang=nl")
    expect(page.locator("#not-justified")).to_contain_text(
        "Toegang als niet terecht beoordeeld in deze periode: 1"
    )
    page.goto("/console/reviews?lang=nl")
    done = page.locator("li.entry-not-justified", has_text=EXCEPTION_WHY)
    expect(done.locator(".badge")).to_have_text("Niet terecht")
    expect(done).to_contain_text("Reden van de uitzondering")
    page.context.close()
    assert problems == {}


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, running_gateway(Path(tmp)) as gw:
        gw.demo_activity()
        emergency_access(gw)
        for _ in range(3):
            gw.kees_reads_health()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = officer_page(browser, gw, "u-fg-1")
            page.set_viewport_size({"width": 1200, "height": 900})
            page.goto("/console/flows")
            page.locator('[data-chart-for="per-activity"] svg').wait_for()
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=True)
            browser.close()
    print(out)  # noqa: T201


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img/console-dashboard.png"))
