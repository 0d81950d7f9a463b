"""Issue 18's acceptance in real Chromium: a privacy officer changes the register in the
console's forms, an activity's consent admissibility and then, on top of that draft, a role's
mandates, so that one version carries both; she sees both changes in the register's terms,
tests the version on both engines and replays it on past decisions; a second officer approves;
it is activated; and the next real requests to the gateway's API are decided by both changes.
An edit the law forbids (consent admissible towards enforcement for the team's intake notes,
a `no_basis` entry) is refused in the form with its reason, and no draft exists. Every page
of the way passes axe (no violation at all) in English and in Dutch.

Officer A (u-fg-1) works in English, officer B (u-fg-2) in Dutch, so the pages shown after
a form's post (which cannot be fetched again) are checked in both languages too.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from playwright.sync_api import Browser, Page, expect

from .conftest import axe
from .server import BSN_SANNE, Gateway

LOGIN_BUTTON = {"en": "Log in", "nl": "Inloggen"}

#: The two changes of the flow, in the words the draft's diff must show (and nothing else).
CONSENT_CHANGE = "signalling: consent admissible yes → no"
MANDATE_CHANGE = "zaanstad: income_officer gains pw-reintegration"
#: The same in the Dutch console.
CONSENT_CHANGE_NL = "signalling: toestemming mogelijk ja → nee"
MANDATE_CHANGE_NL = "zaanstad: income_officer krijgt mandaat voor pw-reintegration"
WT_WEST = ["wt-west"]


def officer(browser: Browser, gateway: Gateway, who: str, lang: str) -> Page:
    """A new context logged in through the console's demo login, in `lang`."""
    page = browser.new_context(base_url=gateway.url, locale="en-GB").new_page()
    page.goto(f"/console/login?lang={lang}")
    page.get_by_label(who).check()
    page.get_by_role("button", name=LOGIN_BUTTON[lang]).click()
    page.wait_for_url("**/console/versions")
    return page


class Axe:
    """Collects every axe violation (any impact) per page and language."""

    def __init__(self) -> None:
        self.problems: dict[str, list[str]] = {}

    def here(self, page: Page, label: str) -> None:
        """The page as it is now (e.g. a form's answer, which cannot be fetched again)."""
        bad = [f"{v['id']} ({v['impact']})" for v in axe(page)]
        if bad:
            self.problems[f"{label} {urlparse(page.url).path}"] = bad

    def both(self, page: Page, path: str, back_to: str) -> None:
        """`path` in English and in Dutch; then the officer's own language again."""
        sep = "&" if "?" in path else "?"
        for lang in ("en", "nl"):
            page.goto(f"{path}{sep}lang={lang}")
            self.here(page, f"{lang} {path}")
        page.goto(f"{path}{sep}lang={back_to}")


def api(gateway: Gateway, method: str, path: str, headers: dict[str, str], **kw: Any):
    return httpx.request(method, f"{gateway.url}{path}", headers=headers, timeout=60, **kw)


def versions(gateway: Gateway) -> list[str]:
    po = gateway.headers("u-fg-1", "privacy_officer", "none")
    resp = api(gateway, "GET", "/v1/policies", po)
    resp.raise_for_status()
    return [v["revision"] for v in resp.json()]


def give_consent(gateway: Gateway, scope: dict[str, list[str]]) -> str:
    """Sanne consents with her own token: the text is shown first, its hash sent back."""
    sanne = gateway.headers(BSN_SANNE, "resident", "own-access")
    shown = api(gateway, "POST", "/v1/consents/preview", sanne, json=scope)
    shown.raise_for_status()
    body = {**scope, "text_sha256": shown.json()["text_sha256"]}
    given = api(gateway, "POST", "/v1/consents", sanne, json=body)
    assert given.status_code == 201, given.text
    return str(given.json()["id"])


def wim_reads_intake(gateway: Gateway) -> httpx.Response:
    """A generalist of another team (wt-west) reads Sanne's intake notes (held by wt-oost)
    for a signal, on her consent."""
    wim = gateway.headers("u-wim", "team_generalist", "signalling", tuple(WT_WEST))
    return api(gateway, "GET", "/v1/records/r-demo-intake", wim)


def ingrid_reads_plan(gateway: Gateway) -> httpx.Response:
    """An income officer of W&I reads Sanne's re-integration plan to guide her to work."""
    ingrid = gateway.headers("u-ingrid", "income_officer", "pw-reintegration", ("wi-zaanstad",))
    return api(gateway, "GET", "/v1/records/r-demo-plan", ingrid)


def sannes_last_access(gateway: Gateway, category: str) -> dict[str, Any]:
    """The newest entry of Sanne's own access log for `category`: the decision as audited."""
    sanne = gateway.headers(BSN_SANNE, "resident", "own-access")
    resp = api(gateway, "GET", f"/v1/me/access-log?category={category}&limit=1", sanne)
    resp.raise_for_status()
    entry: dict[str, Any] = resp.json()["entries"][0]
    return entry


def reasons(resp: httpx.Response) -> list[str]:
    return [r["code"] for r in resp.json()["reasons"]]


def save_draft(page: Page, checks: Axe, changes: list[str]) -> str:
    """After a save: the diff page says the draft's changes (against the active version) in
    the register's terms; its revision."""
    expect(page.get_by_role("status")).to_contain_text("The draft is saved.")
    expect(page.locator("#register-changes li")).to_have_text(changes)
    checks.here(page, "en after save")
    revision = parse_qs(urlparse(page.url).query)["to"][0]
    checks.both(page, f"/console/diff?to={revision}", back_to="en")
    return revision


def run_tests_and_replay(page: Page, checks: Axe, revision: str, flips: list[str]) -> None:
    """Officer A runs the decision tables (both engines) and the replay; she may not approve
    her own draft."""
    page.locator(f'a[href="/console/versions/{revision}"]').first.click()
    page.get_by_role("button", name="Run the decision tables").click()
    expect(page.get_by_role("status")).to_have_text("The decision tables ran.", timeout=120_000)
    engines = page.locator("ul.engines")
    expect(engines).to_contain_text("regopy (embedded engine): all cases pass")
    expect(engines).to_contain_text("OPA (sidecars, bundle): all cases pass")
    checks.here(page, "en tested")
    page.get_by_role("button", name="Simulate on past decisions").click()
    expect(page.get_by_role("status")).to_have_text("The simulation ran.", timeout=120_000)
    expect(page.get_by_text(f"{len(flips)} flips")).to_be_visible()
    rows = page.locator("table:has(#kop-flips) tbody tr")
    expect(rows).to_have_count(len(flips))
    for flip in flips:
        expect(rows.filter(has_text=flip)).to_have_count(1)
    checks.here(page, "en simulated")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert")).to_contain_text("Refused (four eyes)")
    checks.here(page, "en four eyes")


def approve(page: Page, checks: Axe, revision: str) -> None:
    """Officer B (in Dutch) approves."""
    page.goto(f"/console/versions/{revision}")
    checks.here(page, "nl tested and simulated")
    page.get_by_role("button", name="Goedkeuren").click()
    expect(page.get_by_role("status")).to_have_text("De versie is goedgekeurd.")
    checks.here(page, "nl approved")


def test_an_officer_puts_two_changes_in_one_draft_and_the_next_decisions_follow_both(
    browser: Browser, gateway: Gateway
):
    checks = Axe()
    # Before: Wim reads on Sanne's consent; Ingrid has no mandate for re-integration.
    cid = give_consent(
        gateway,
        {"categories": ["intake_notes"], "processing_activities": ["signalling"],
         "recipients": ["wt-west"]},
    )  # fmt: skip
    before = wim_reads_intake(gateway)
    assert before.status_code == 200, before.text
    assert before.json()["id"] == "r-demo-intake"
    seen = sannes_last_access(gateway, "intake_notes")
    assert (seen["allowed"], seen["reasons"], seen["consent_id"]) == (True, ["consent_given"], cid)
    refused = ingrid_reads_plan(gateway)
    assert refused.status_code == 403
    assert reasons(refused) == ["no_mandate"]

    a = officer(browser, gateway, "u-fg-1", "en")
    b = officer(browser, gateway, "u-fg-2", "nl")

    # 1. Consent admissibility, in the activity's form: a draft of the active version.
    checks.both(a, "/console/register/edit", back_to="en")
    a.get_by_role("link", name="Signalering door het wijkteam").click()
    checks.both(a, "/console/register/edit?activity=signalling", back_to="en")
    consent = a.get_by_label("Consent admissible")
    expect(consent).to_be_checked()
    consent.uncheck()
    known = versions(gateway)
    a.get_by_label("Why this change (required)").fill("   ")  # only blanks: no message
    a.get_by_role("button", name="Save as draft").click()
    expect(a.get_by_role("alert")).to_contain_text("Write down why you make this change.")
    expect(a.get_by_label("Consent admissible")).not_to_be_checked()  # her edit is kept
    checks.here(a, "en message missing")
    assert versions(gateway) == known  # no draft
    a.get_by_label("Why this change (required)").fill(
        "A signal passes to another team by law (a handover), not on consent"
    )
    a.get_by_role("button", name="Save as draft").click()
    first = save_draft(a, checks, [CONSENT_CHANGE])
    assert versions(gateway) == [first, *known]

    # 2. A mandate, in the role's form, on top of that draft: one version with both.
    a.get_by_role("link", name="Add another change to this draft").click()
    expect(a.locator("#base-draft")).to_contain_text("You are adding a change to the draft")
    base_index = urlparse(a.url).path + "?" + urlparse(a.url).query
    checks.both(a, base_index, back_to="en")
    a.get_by_role("link", name="Medewerker inkomen").click()
    checks.both(a, urlparse(a.url).path + "?" + urlparse(a.url).query, back_to="en")
    mandates = a.get_by_role("group", name="Mandates")
    expect(mandates.get_by_role("checkbox", checked=True)).to_have_count(1)  # pw-benefit
    mandates.get_by_label(re.compile("pw-reintegration")).check()
    a.get_by_label("Why this change (required)").fill("Income officers guide to work as well")
    a.get_by_role("button", name="Save as draft").click()
    both = save_draft(a, checks, [CONSENT_CHANGE, MANDATE_CHANGE])
    expect(a.locator("#register-changes-step li")).to_have_text([MANDATE_CHANGE])
    assert versions(gateway) == [both, first, *known]
    b.goto(f"/console/diff?to={both}")  # officer B reads the same in Dutch
    expect(b.locator("#register-changes li")).to_have_text([CONSENT_CHANGE_NL, MANDATE_CHANGE_NL])

    # 3. Both engines and the replay (both flips), four eyes, activation: one version.
    run_tests_and_replay(a, checks, both, ["other_team", "no_mandate"])
    approve(b, checks, both)
    b.get_by_role("button", name="Activeren").click()  # the approver activates
    expect(b.get_by_role("status")).to_contain_text("De versie is actief")
    checks.here(b, "nl activated")
    checks.both(b, f"/console/versions/{both}", back_to="nl")
    checks.both(b, "/console/versions", back_to="nl")

    # The next decisions follow both changes. Sanne's consent no longer opens another team's
    # notes: Wim now has no relationship with her, so the refusal answers as a missing record
    # would (existence is a decision too); the audited decision says why.
    after = wim_reads_intake(gateway)
    assert after.status_code == 404, after.text
    seen = sannes_last_access(gateway, "intake_notes")
    assert (seen["allowed"], seen["reasons"], seen["teams"]) == (False, ["other_team"], WT_WEST)
    assert seen["processing_activity"] == "signalling"
    # Ingrid now reads the plan under her new mandate.
    allowed = ingrid_reads_plan(gateway)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["id"] == "r-demo-plan"

    a.context.close()
    b.context.close()
    login = browser.new_page(base_url=gateway.url)
    for lang in ("en", "nl"):
        login.goto(f"/console/login?lang={lang}")
        checks.here(login, f"{lang} login")
    login.close()
    assert checks.problems == {}


NO_BASIS_REASON = (
    "activity pw-enforcement: consent admissible despite no_basis team-data-to-enforcement: "
    "Wat u het wijkteam vertelt, gaat niet naar handhaving. Ook niet met toestemming, want die "
    "is dan niet vrij gegeven."
)
REFUSED = {
    "en": ("Consent admissible", "Why this change (required)", "Save as draft",
           "The register does not allow this change; nothing was saved:"),
    "nl": ("Toestemming mogelijk", "Waarom deze wijziging (verplicht)", "Bewaren als concept",
           "Het register staat deze wijziging niet toe; er is niets bewaard:"),
}  # fmt: skip


def test_an_edit_against_no_basis_is_refused_in_the_form(browser: Browser, gateway: Gateway):
    """Enforcement may not read the team's intake notes, not even on consent: the form says
    why, in both languages, keeps what she entered, and no draft exists."""
    checks = Axe()
    known = versions(gateway)
    for who, lang in (("u-fg-1", "en"), ("u-fg-2", "nl")):
        consent, message, save, refused = REFUSED[lang]
        page = officer(browser, gateway, who, lang)
        page.goto("/console/register/edit?activity=pw-enforcement")
        page.get_by_label(consent).check()
        page.get_by_label(re.compile("intake_notes")).check()
        page.get_by_label(message).fill("Handhaving leest het gespreksverslag met toestemming")
        page.get_by_role("button", name=save).click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text(refused)
        expect(alert).to_contain_text(NO_BASIS_REASON)
        expect(alert).to_contain_text("(AVG art. 6 en 7; Autoriteit Persoonsgegevens")
        expect(page.get_by_label(consent)).to_be_checked()
        expect(page.get_by_label(re.compile("intake_notes"))).to_be_checked()
        checks.here(page, f"{lang} refused")
        page.context.close()
    assert versions(gateway) == known
    assert checks.problems == {}
