""" "Klopt er iets niet?" in real Chromium: a resident asks about an entry of her timeline, a
privacy officer answers in the console, the resident reads the answer; axe on every page of
it, the resident's in Dutch and the console's in English and Dutch."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from .conftest import axe
from .server import Gateway
from .test_console import officer_page

QUESTION = "Waarom mocht een medewerker dit bekijken?"
ANSWER = "Uw wijkteam bekeek het gesprek om u te helpen. Dat hoort bij hun werk (Wmo 2015)."


def _serious(page: Page) -> list[tuple[str, str]]:
    return [(v["id"], v["help"]) for v in axe(page) if v.get("impact") in ("serious", "critical")]


def test_resident_asks_officer_answers_resident_reads(
    resident: Page, browser: Browser, gateway: Gateway
):
    page = resident
    page.goto("/mijn/inzage")
    entry = page.locator("ol.timeline > li").first
    seq = (entry.get_attribute("id") or "").removeprefix("regel-")
    entry.get_by_role("link", name=re.compile("^Klopt er iets niet?")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Klopt er iets niet?")
    expect(page.get_by_role("note")).to_contain_text("binnen 30 dagen antwoord")
    assert not _serious(page)
    page.get_by_label("Ik vind dat dit niet mocht").check()
    page.get_by_label("Uw vraag").fill(QUESTION)
    page.get_by_role("button", name="Verstuur").click()
    expect(page.get_by_role("status")).to_contain_text("Uw vraag is verstuurd")
    expect(page.get_by_text("Wacht op antwoord")).to_be_visible()
    assert not _serious(page)

    officer = officer_page(browser, gateway, "u-fg-1")  # English
    officer.goto("/console/vragen")
    expect(officer.get_by_role("heading", level=1)).to_have_text("Residents' questions")
    assert not _serious(officer)
    officer.get_by_role("link", name=re.compile("^Open")).first.click()
    expect(officer.get_by_text(QUESTION)).to_be_visible()
    expect(officer.get_by_role("heading", name=f"About entry #{seq}")).to_be_visible()
    assert not _serious(officer)
    officer.goto(officer.url + "?lang=nl")
    expect(officer.get_by_role("button", name="Verstuur het antwoord")).to_be_visible()
    assert not _serious(officer)
    officer.get_by_label("Uw antwoord").fill(ANSWER)
    officer.get_by_role("button", name="Verstuur het antwoord").click()
    expect(officer.get_by_role("status")).to_contain_text("Het antwoord is verstuurd")
    officer.goto("/console/vragen")
    assert not _serious(officer)
    officer.context.close()

    page.goto("/mijn/vragen")
    expect(page.get_by_text(ANSWER)).to_be_visible()
    expect(page.get_by_text("Beantwoord", exact=True)).to_be_visible()
    page.get_by_role("link", name=f"regel {seq}").click()
    expect(page.locator(f"#regel-{seq}")).to_contain_text(ANSWER)
    page.goto("/mijn/inzage")
    expect(page.get_by_text("De privacy officer heeft uw vraag beantwoord.")).to_be_visible()
    assert not _serious(page)
