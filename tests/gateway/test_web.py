"""The resident's web pages, through the real app: login, timeline, consents, CSRF, headers.

The browser itself is tested in tests/browser; here every page is fetched with a TestClient on
https://testserver (the session cookie is `Secure`, so it only travels over https).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.secret_files import new_signing_key
from gateway.settings import Settings
from gateway.web.oidc import code_challenge
from gateway.web.session import COOKIE_NAME
from tests.fakes.oidc_provider import OidcProvider

from .conftest import BSN_SANNE, CSRF_FIELD, FakeClock, csrf, web_client

KEES = ("u-kees", "wi_client_manager")


def login(client: TestClient, who: str = "sanne") -> None:
    token = csrf(client, "/mijn/inloggen")
    resp = client.post("/mijn/inloggen", data={"csrf_token": token, "inwoner": who})
    assert resp.status_code == 303
    assert resp.headers["location"] == "/mijn/inzage"


def kees_reads_health(client: TestClient, token: Callable[..., dict[str, str]]) -> int:
    # W&I holds Sanne's income record (r-demo-income): she is its client, so a refusal names
    # its reasons (403) instead of answering as if the record did not exist.
    headers = token(*KEES, teams=("wi-zaanstad",), activity="pw-reintegration")
    return client.get("/v1/records/r-demo-health", headers=headers).status_code


def give_health_for_work(client: TestClient) -> str:
    token = csrf(client, "/mijn/toestemmingen/nieuw")
    form = {
        "csrf_token": token,
        "waarvoor": ["pw-reintegration"],
        "gegevens": ["health"],
        "wie": ["wi-zaanstad"],
    }
    review = client.post("/mijn/toestemmingen/nieuw", data=form)
    assert review.status_code == 200, review.text
    assert "Ik geef gemeente Zaanstad toestemming" in review.text
    sha = re.search(r'name="text_sha256" value="([0-9a-f]{64})"', review.text)
    assert sha
    given = client.post("/mijn/toestemmingen", data={**form, "text_sha256": sha.group(1)})
    assert given.status_code == 303
    return given.headers["location"].split("#toestemming-")[1]


def test_pages_need_a_login_and_come_back_after_it(web):
    resp = web.get("/mijn/toestemmingen")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/mijn/inloggen?terug=/mijn/toestemmingen"
    token = csrf(web, "/mijn/inloggen?terug=/mijn/toestemmingen")
    back = web.post(
        "/mijn/inloggen",
        data={"csrf_token": token, "inwoner": "sanne", "terug": "/mijn/toestemmingen"},
    )
    assert back.headers["location"] == "/mijn/toestemmingen"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/v1/registry"])
def test_login_never_redirects_off_the_pages(web, target):
    token = csrf(web, "/mijn/inloggen")
    resp = web.post(
        "/mijn/inloggen", data={"csrf_token": token, "inwoner": "sanne", "terug": target}
    )
    assert resp.headers["location"] == "/mijn/inzage"


def test_security_headers_and_cookie_flags(web):
    page = web.get("/mijn/inloggen")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"].lower()
    assert cookie.startswith(COOKIE_NAME + "=")
    for flag in ("secure", "httponly", "samesite=lax", "path=/"):
        assert flag in cookie
    assert '<html lang="nl">' in page.text
    assert "<script>" not in page.text  # no inline script anywhere
    css = web.get("/static/css/site.css")
    assert css.status_code == 200
    assert css.headers["x-content-type-options"] == "nosniff"
    js = web.get("/static/js/proof.js")
    assert js.headers["content-type"].startswith(("text/javascript", "application/javascript"))


def test_the_session_cookie_cannot_be_read_or_forged(web):
    login(web)
    sealed = web.cookies[COOKIE_NAME]
    assert BSN_SANNE not in sealed
    web.cookies.set(COOKIE_NAME, sealed[:-4] + "AAAA", domain="testserver.local")
    web.cookies.clear()
    web.cookies.set(COOKIE_NAME, sealed[:-4] + "AAAA")
    assert web.get("/mijn/inzage").status_code == 303  # tampered: logged out


def test_a_post_without_a_valid_csrf_token_is_refused(web, token):
    csrf(web, "/mijn/inloggen")
    assert web.post("/mijn/inloggen", data={"inwoner": "sanne"}).status_code == 403
    assert (
        web.post("/mijn/inloggen", data={"inwoner": "sanne", "csrf_token": "x"}).status_code == 403
    )
    assert web.get("/mijn/inzage").status_code == 303  # still not logged in

    login(web)
    cid = give_health_for_work(web)
    refused = web.post(f"/mijn/toestemmingen/{cid}/intrekken", data={"csrf_token": "nope"})
    assert refused.status_code == 403
    assert "Er is niets veranderd" in refused.text
    assert kees_reads_health(web, token) == 200  # the consent still holds
    assert web.post("/mijn/uitloggen").status_code == 403


def test_timeline_shows_who_why_basis_and_refusals(web, token, clock):
    login(web)
    assert kees_reads_health(web, token) == 403
    clock.advance(1)
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    assert web.get("/v1/records/r-demo-intake", headers=anna).status_code == 200
    page = web.get("/mijn/inzage")
    assert page.status_code == 200
    text = page.text
    assert "Wie bekeek mijn gegevens" in text
    assert "Geweigerd" in text
    assert "Toegestaan" in text
    assert "Klantmanager Werk en Inkomen" in text
    assert "Generalist wijkteam" in text
    assert "van gemeente Zaanstad heeft uw gegevens" in text  # the name, not the id
    assert "Begeleiding naar werk" in text
    assert "Wmo 2015 art. 5.1.1" in text  # the article, with its plain explanation
    assert "u-anna" not in text  # never an employee id
    assert "u-kees" not in text
    assert 'data-seq="' in text
    assert '<script src="/static/js/proof.js" defer></script>' in text


def test_timeline_filters_by_category_and_period(web, token, clock):
    login(web)
    kees_reads_health(web, token)
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    web.get("/v1/records/r-demo-intake", headers=anna)
    health = web.get("/mijn/inzage", params={"categorie": "health"}).text
    assert "gezondheid" in health
    assert "gespreksverslag" not in health
    future = web.get("/mijn/inzage", params={"van": "2030-01-01"}).text
    assert "Er is niets gevonden" in future
    bad = web.get("/mijn/inzage", params={"van": "gisteren"})
    assert bad.status_code == 422
    assert "Vul een datum in" in bad.text
    assert web.get("/mijn/inzage", params={"categorie": "nope"}).status_code == 422


def test_held_back_entries_are_counted_with_the_reason_and_shown_when_it_ends(web, token, clock):
    login(web)
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    inv = web.post("/v1/investigations", json={"resident": BSN_SANNE}, headers=henk)
    assert inv.status_code == 201, inv.text
    clock.advance(60)
    web.get("/v1/records/r-demo-income", headers=henk)
    page = web.get("/mijn/inzage").text
    assert "Nog niet alles is zichtbaar" in page
    assert "2 regels zijn nog niet zichtbaar" in page  # the opening and the look
    assert "Controle op de bijstandsuitkering" not in page
    assert "Een onderzoek is klaar" not in page

    clock.advance(86_400)
    closed = web.post(f"/v1/investigations/{inv.json()['id']}/close", headers=henk)
    assert closed.status_code == 200, closed.text
    page = web.get("/mijn/inzage").text
    assert "Nog niet alles is zichtbaar" not in page
    assert "Controle op de bijstandsuitkering" in page
    assert "Een onderzoek is klaar" in page
    assert "waren tot 1 december 2026 niet zichtbaar. Nu ziet u ze wel." in page


def test_give_then_withdraw_a_consent_and_the_next_access_is_refused(web, token):
    login(web)
    assert kees_reads_health(web, token) == 403
    cid = give_health_for_work(web)
    listing = web.get("/mijn/toestemmingen").text
    assert "Uw toestemming is vastgelegd" in listing
    assert f'id="toestemming-{cid}"' in listing
    assert "Actief" in listing
    assert kees_reads_health(web, token) == 200
    assert "1 keer" in web.get("/mijn/toestemmingen").text

    confirm = web.get(f"/mijn/toestemmingen/{cid}/intrekken")
    assert confirm.status_code == 200
    assert "Weet u zeker" in confirm.text
    assert "Het geldt meteen" in confirm.text
    assert kees_reads_health(web, token) == 200  # asking is not withdrawing
    token_ = CSRF_FIELD.search(confirm.text).group(1)  # type: ignore[union-attr]
    done = web.post(f"/mijn/toestemmingen/{cid}/intrekken", data={"csrf_token": token_})
    assert done.status_code == 303
    assert kees_reads_health(web, token) == 403
    after = web.get("/mijn/toestemmingen").text
    assert "Uw toestemming is ingetrokken" in after
    assert "Ingetrokken" in after


def test_consent_form_explains_what_is_wrong(web):
    login(web)
    token = csrf(web, "/mijn/toestemmingen/nieuw")
    empty = web.post("/mijn/toestemmingen/nieuw", data={"csrf_token": token})
    assert empty.status_code == 422
    assert "Zeg bij minstens één vraag" in empty.text
    wrong = web.post(
        "/mijn/toestemmingen/nieuw",
        data={
            "csrf_token": token,
            "waarvoor": "signalling",
            "gegevens": "income",
            "wie": "wt-oost",
        },
    )
    assert wrong.status_code == 422
    assert "passen niet bij" in wrong.text
    # ... and says what would fit, from the register.
    said = " ".join(wrong.text.split())
    assert "Wel mogelijk: Wijkteam" in said
    assert "Wijkteam Zaandam-Oost voor signalering door het wijkteam, met signaal" in said

    # "The wijkteams" is no specific recipient (issue 17, finding 6): the form offers units.
    domain = web.post(
        "/mijn/toestemmingen/nieuw",
        data={"csrf_token": token, "waarvoor": "wmo-support", "gegevens": "income", "wie": "team"},
    )
    assert domain.status_code == 422
    assert "Kies een team of organisatie uit de lijst." in domain.text
    form = web.get("/mijn/toestemmingen/nieuw").text
    assert 'value="wt-oost"' in form
    assert 'value="wi-zaanstad"' in form
    assert 'value="gemeente-zaanstad"' in form
    assert 'value="team"' not in form


def test_consent_page_offers_only_what_the_register_admits(web):
    """Every form on the page is one admissible activity x recipient, every yes a category
    the consent service accepts for it; nothing else (no enforcement, no benefit decision)."""
    from consent import admissible_choices

    login(web)
    page = web.get("/mijn/toestemmingen/nieuw").text
    forms = re.findall(r"<form method=\"post\" action=\"/mijn/toestemmingen/nieuw\">(.*?)</form>",
                       page, flags=re.DOTALL)  # fmt: skip
    offered = set()
    for form in forms:
        activity = re.search(r'name="waarvoor" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        recipient = re.search(r'name="wie" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        for cat in re.findall(r'name="gegevens" value="([^"]+)"', form):
            offered.add((activity, recipient, cat))
    register = web.app.state.services.register
    admitted = {
        (c.activity, c.recipient, cat)
        for c in admissible_choices(register, "zaanstad")
        for cat in c.categories
    }
    assert offered == admitted
    assert not {a for a, _, _ in offered} & {"pw-enforcement", "pw-benefit", "safety-report"}
    assert (
        "Mag Werk en Inkomen Zaanstad uw gegevens over &#39;gezondheid&#39; gebruiken voor "
        "begeleiding naar werk?" in page
    )


def test_receipt_downloads_and_other_residents_consents_are_not_found(web):
    login(web)
    cid = give_health_for_work(web)
    receipt = web.get(f"/mijn/toestemmingen/{cid}/bewijs")
    assert receipt.status_code == 200
    assert receipt.headers["content-disposition"] == (
        f'attachment; filename="toestemming-{cid}.json"'
    )
    body = receipt.json()
    assert body["consentReceiptID"] == cid
    assert BSN_SANNE not in receipt.text

    token = csrf(web, "/mijn/inzage")
    web.post("/mijn/uitloggen", data={"csrf_token": token})
    login(web, "joost")
    assert web.get(f"/mijn/toestemmingen/{cid}/intrekken").status_code == 404
    assert web.get(f"/mijn/toestemmingen/{cid}/bewijs").status_code == 404
    token = csrf(web, "/mijn/inzage")
    refused = web.post(f"/mijn/toestemmingen/{cid}/intrekken", data={"csrf_token": token})
    assert refused.status_code == 404


def test_logout_ends_the_session(web):
    login(web)
    token = csrf(web, "/mijn/inzage")
    resp = web.post("/mijn/uitloggen", data={"csrf_token": token})
    assert resp.headers["location"] == "/mijn/inloggen"
    assert "U bent uitgelogd" in web.get("/mijn/inloggen").text
    assert web.get("/mijn/inzage").status_code == 303


def test_production_refuses_the_demo_login_and_a_generated_session_key(tmp_path: Path):
    key = tmp_path / "audit-signing-key.pem"
    new_signing_key(key, "doelbinding.local/audit")
    base = {
        "environment": "production",
        "auth": {"jwks_url": "https://idp.example/jwks"},
        "pseudonym_key": "k" * 32,
        "audit": {"signing_key_file": key},
    }
    with pytest.raises(ValueError, match="DEMO_LOGIN"):
        Settings(**base)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="SESSION_SECRET"):
        Settings(**base, web={"demo_login": False})  # type: ignore[arg-type]
    Settings(**base, web={"demo_login": False, "session_secret": "s" * 32})  # type: ignore[arg-type]


# --- OIDC: authorization code flow with PKCE, against a fake provider on 127.0.0.1 --------------

REDIRECT = "https://testserver/mijn/inloggen/terug"


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with OidcProvider(client_id="doelbinding-web", redirect_uri=REDIRECT, subject=BSN_SANNE) as p:
        yield p


@pytest.fixture
def oidc_web(settings: Settings, clock: FakeClock, provider: OidcProvider) -> Iterator[TestClient]:
    configured = settings.model_copy(
        update={
            "web": settings.web.model_copy(
                update={
                    "demo_login": False,
                    "oidc": settings.web.oidc.model_copy(
                        update={
                            "issuer": provider.issuer,
                            "client_id": "doelbinding-web",
                            "redirect_uri": REDIRECT,
                            "resident_claim": "bsn",
                        }
                    ),
                }
            )
        }
    )
    yield from web_client(configured, clock)


def test_oidc_login_with_pkce(oidc_web, provider, token):
    page = oidc_web.get("/mijn/inloggen")
    assert "Inloggen met DigiD" in page.text
    assert "Demo" not in page.text
    start = oidc_web.get("/mijn/inloggen/oidc")
    assert start.status_code == 303
    authorize = start.headers["location"]
    assert authorize.startswith(provider.issuer + "/authorize?")
    q = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    assert q["code_challenge_method"] == "S256"
    assert q["response_type"] == "code"
    assert q["redirect_uri"] == REDIRECT

    back = httpx.get(authorize, follow_redirects=False)  # the provider "logs the resident in"
    assert back.status_code == 302
    callback = urlsplit(back.headers["location"])
    done = oidc_web.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/mijn/inzage"

    sent = next(form for method, path, form in provider.requests if path == "/token")
    assert code_challenge(sent["code_verifier"]) == q["code_challenge"]
    assert oidc_web.get("/mijn/inzage").status_code == 200
    # The session is the resident of the ID token: her own access log.
    kees_reads_health(oidc_web, token)
    assert "Klantmanager Werk en Inkomen" in oidc_web.get("/mijn/inzage").text


def test_oidc_callback_with_a_foreign_state_is_refused(oidc_web, provider):
    start = oidc_web.get("/mijn/inloggen/oidc").headers["location"]
    back = urlsplit(httpx.get(start, follow_redirects=False).headers["location"])
    code = parse_qs(back.query)["code"][0]
    resp = oidc_web.get("/mijn/inloggen/terug", params={"code": code, "state": "someone-else"})
    assert resp.status_code == 400
    assert "Het inloggen is niet gelukt" in resp.text
    assert oidc_web.get("/mijn/inzage").status_code == 303
    assert not any(path == "/token" for _, path, _ in provider.requests)


def test_the_fake_provider_checks_the_code_verifier(provider):
    verifier = "v" * 50
    q = {
        "response_type": "code",
        "client_id": "doelbinding-web",
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "s",
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    back = httpx.get(provider.issuer + "/authorize", params=q, follow_redirects=False)
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": "doelbinding-web", "code_verifier": "w" * 50}  # fmt: skip
    wrong = httpx.post(provider.issuer + "/token", data=form)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"


def test_demo_login_is_off_when_disabled(oidc_web):
    assert 'name="inwoner"' not in oidc_web.get("/mijn/inloggen").text
    resp = oidc_web.post("/mijn/inloggen", data={"inwoner": "sanne"})
    assert resp.status_code in (403, 404)
    assert oidc_web.get("/mijn/inzage").status_code == 303


def test_a_consent_that_named_no_specific_recipient_says_so_and_asks_again(web):
    """Migration 0006c ends a consent to "the wijkteams" it cannot narrow with a `lapsed`
    event; the page says in plain words that it no longer counts, and why, and asks again."""
    from sqlmodel import Session

    from consent import Consent, ConsentEvent

    services = web.app.state.services
    at = services.clock() - 10**9
    with Session(services.db) as s, s.begin():
        s.add(
            Consent(
                id="c-old-team",
                resident_pseudonym=services.pseudonymize(BSN_SANNE),
                categories=["income"],
                processing_activities=["wmo-support"],
                recipients=["team"],
                valid_from_ns=at,
                given_at_ns=at,
                given_by="resident",
            )
        )
        s.flush()
        s.add(ConsentEvent(consent_id="c-old-team", event="given", at_ns=at, actor="resident"))
        s.add(
            ConsentEvent(consent_id="c-old-team", event="lapsed", at_ns=at, actor="gateway:0006c")
        )
    login(web)
    page = web.get("/mijn/toestemmingen").text
    card = page[page.index('id="toestemming-c-old-team"') :]
    assert "Telt niet meer" in card
    assert "Er stond niet precies in wie uw gegevens" in card
    assert 'href="/mijn/toestemmingen/nieuw">Geef dan opnieuw toestemming' in card
    assert "Intrekken" not in card.split("</li>")[0]
