"""A resident in real Chromium: timeline, proof check, consent withdrawn, accessibility."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import axe, login
from .server import Gateway


def test_resident_logs_in_through_the_demo_page(page: Page):
    login(page)
    expect(page.get_by_text("Ingelogd als Sanne (demo)")).to_be_visible()


def test_resident_sees_the_timeline_and_checks_a_proof(resident: Page, gateway: Gateway):
    page = resident
    page.goto("/mijn/inzage")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wie bekeek mijn gegevens")
    entries = page.locator("ol.timeline > li")
    expect(entries.first).to_be_visible()
    expect(page.get_by_text("Geweigerd").first).to_be_visible()
    expect(page.get_by_text("Toegestaan").first).to_be_visible()
    expect(page.get_by_text("Klantmanager Werk en Inkomen").first).to_be_visible()
    expect(page.get_by_text(re.compile("2 regels zijn nog niet zichtbaar"))).to_be_visible()

    first = page.locator(".proof[data-seq]").first
    seq = int(first.get_attribute("data-seq") or "0")
    gateway.wait_for_checkpoint(seq)
    first.get_by_role("button", name=re.compile("^Controleer")).click()
    expect(first.locator(".proof-result")).to_have_text(
        re.compile("^Gecontroleerd: deze regel staat in het ondertekende logboek"), timeout=10_000
    )
    expect(first.locator(".proof-result")).to_have_class(re.compile("proof-ok"))


def test_the_proof_check_notices_a_forged_root(resident: Page, gateway: Gateway):
    """The script really compares: a checkpoint whose root was swapped fails its signature."""
    page = resident
    page.goto("/mijn/inzage")
    first = page.locator(".proof[data-seq]").first
    gateway.wait_for_checkpoint(int(first.get_attribute("data-seq") or "0"))

    def forge(route):
        resp = route.fetch()
        body = resp.json()
        lines = body["note"].split("\n")
        lines[2] = "A" * 43 + "="  # another root, same signature
        body["note"] = "\n".join(lines)
        route.fulfill(response=resp, json=body)

    page.route("**/v1/audit/checkpoint", forge)
    first.get_by_role("button", name=re.compile("^Controleer")).click()
    expect(first.locator(".proof-result")).to_have_text(re.compile("^Niet gelukt"))


def test_resident_withdraws_a_consent_and_the_next_access_is_refused(
    resident: Page, gateway: Gateway
):
    page = resident
    assert gateway.kees_reads_health() == 403
    page.goto("/mijn/inzage")
    page.get_by_role("link", name="Mijn toestemmingen").click()
    page.get_by_role("link", name="Toestemming geven").click()
    page.get_by_label("Begeleiding naar werk").check()
    page.get_by_label("Gezondheid").check()
    page.get_by_label("Werk en Inkomen Zaanstad").check()
    page.get_by_role("button", name="Verder: tekst lezen").click()
    expect(page.locator("#tekst")).to_contain_text("Ik geef gemeente Zaanstad toestemming")
    page.get_by_role("button", name="Ja, ik geef toestemming").click()
    expect(page.get_by_role("status")).to_contain_text("Uw toestemming is vastgelegd")
    assert gateway.kees_reads_health() == 200

    page.get_by_role("link", name=re.compile("^Intrekken")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Weet u zeker")
    assert gateway.kees_reads_health() == 200  # asking is not withdrawing
    page.get_by_role("button", name="Ja, trek mijn toestemming in").click()
    expect(page.get_by_role("status")).to_contain_text("Uw toestemming is ingetrokken")
    assert gateway.kees_reads_health() == 403  # at once

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Bewijs downloaden")).first.click()
    assert download.value.suggested_filename.startswith("toestemming-")


def test_pages_work_without_javascript(browser, gateway: Gateway):
    context = browser.new_context(base_url=gateway.url, java_script_enabled=False)
    page = context.new_page()
    try:
        login(page)
        expect(page.locator("ol.timeline > li").first).to_be_visible()
        expect(page.locator(".proof-button").first).to_be_hidden()
        page.get_by_label("Soort gegevens").select_option(label="Gezondheid")
        page.get_by_role("button", name="Toon").click()
        expect(page).to_have_url(re.compile(r"categorie=health"))
        page.get_by_role("link", name="Mijn toestemmingen").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Mijn toestemmingen")
    finally:
        context.close()


def test_keyboard_reaches_the_skip_link_first(resident: Page):
    page = resident
    page.goto("/mijn/inzage")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Ga direct naar de inhoud")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#inhoud$"))


PAGES = [
    ("/mijn/inloggen", False),
    ("/mijn/inzage", True),
    ("/mijn/inzage?van=2020-01-01&categorie=health", True),
    ("/mijn/inzage?van=gisteren", True),
    ("/mijn/toestemmingen", True),
    ("/mijn/toestemmingen/nieuw", True),
    ("/mijn/toestemmingen/onbekend/intrekken", True),
]


@pytest.mark.parametrize(("path", "needs_login"), PAGES)
def test_axe_reports_no_serious_violations(
    page: Page, resident: Page, path: str, needs_login: bool
):
    page = resident if needs_login else page
    page.goto(path)
    if path == "/mijn/inzage":  # with a proof result shown
        page.locator(".proof-button").first.click()
        expect(page.locator(".proof-result").first).not_to_be_empty()
    violations = axe(page)
    serious = [v for v in violations if v.get("impact") in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]


def test_axe_on_the_consent_review_and_withdraw_pages(resident: Page):
    page = resident
    page.goto("/mijn/toestemmingen/nieuw")
    page.get_by_label("Ondersteuning vanuit het wijkteam").check()
    page.get_by_label("Schulden").check()
    page.get_by_label("Wijkteam Zaandam-Oost").check()
    page.get_by_role("button", name="Verder: tekst lezen").click()
    violations = axe(page)
    assert not [v for v in violations if v.get("impact") in ("serious", "critical")]
    page.get_by_role("button", name="Ja, ik geef toestemming").click()
    page.get_by_role("link", name=re.compile("^Intrekken")).first.click()
    violations = axe(page)
    assert not [v for v in violations if v.get("impact") in ("serious", "critical")]
