"""The privacy officer's console through the real app: login, language, four eyes, the
emergency-access review (audited), the flows dashboard (counts only), verify. The browser
itself is tested in tests/browser/test_console.py."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from audit import AuditRecord
from gateway.app import create_app
from gateway.settings import Settings
from gateway.web.console.i18n import CATALOGUE
from policy import load_modules
from tests.fakes.oidc_provider import OidcProvider

from .conftest import BSN_SANNE, FakeClock, csrf

WIM = ("u-wim", "team_generalist")
WHY = "Crisis; eigen team niet bereikbaar."


def login(client: TestClient, officer: str = "u-fg-1") -> None:
    client.cookies.clear()
    resp = client.post(
        "/console/login", data={"csrf_token": csrf(client, "/console/login"), "officer": officer}
    )
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == "/console/versions"


def post(client: TestClient, path: str, page: str, **form: str):
    return client.post(path, data={"csrf_token": csrf(client, page), **form})


def _audit(client: TestClient, event: str) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:  # type: ignore[attr-defined]
        stmt = select(AuditRecord).where(col(AuditRecord.event_type) == event)
        return list(s.scalars(stmt.order_by(col(AuditRecord.seq))))


def test_catalogues_have_both_languages():
    assert all(en and nl for en, nl in CATALOGUE.values())


def test_login_language_headers_and_cookie(web: TestClient):
    c = web
    resp = c.get("/console/versions")
    assert (resp.status_code, resp.headers["location"]) == (303, "/console/login")
    login(c)
    page = c.get("/console/versions")
    assert page.status_code == 200
    assert '<html lang="nl">' in page.text
    assert "Beleidsversies" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"]
    for flag in ("HttpOnly", "Secure", "SameSite=lax", "Path=/console"):
        assert flag.lower() in cookie.lower()
    en = c.get("/console/versions?lang=en")
    assert '<html lang="en">' in en.text
    assert "Policy versions" in en.text
    assert "Policy versions" in c.get("/console/flows").text  # the choice is kept
    # The resident's session is another cookie: a console login is no resident login.
    assert c.get("/mijn/inzage").status_code == 303
    # Every POST needs the token.
    assert c.post("/console/integrity/verify", data={}).status_code == 403
    assert c.post("/console/logout", data={"csrf_token": "wrong"}).status_code == 403


def test_four_eyes_approve_and_activate_through_the_console(web: TestClient, token):
    c = web
    modules = load_modules()
    modules["authz.rego"] += "\n# Harmless: a comment that changes the revision only.\n"
    drafted = c.post(
        "/v1/policies",
        json={"message": "harmless comment", "modules": modules},
        headers=token("u-fg-1", "privacy_officer"),
    )
    assert drafted.status_code == 201, drafted.text
    rev = drafted.json()["revision"]
    page = f"/console/versions/{rev}"
    login(c, "u-fg-1")
    assert "harmless comment" in c.get("/console/versions").text
    for action in ("test", "simulate"):
        resp = post(c, f"{page}/{action}", page)
        assert resp.status_code == 303, resp.text
    shown = c.get(page).text
    assert "geslaagd" in shown
    assert "0 omslagen" in shown
    refused = post(c, f"{page}/approve", page)
    assert refused.status_code == 403
    assert "Geweigerd (vier ogen)" in refused.text
    login(c, "u-fg-2")
    assert post(c, f"{page}/approve", page).status_code == 303
    assert post(c, f"{page}/activate", page).status_code == 303
    assert "actief" in c.get(page).text
    approved = _audit(c, "policy.approved")
    assert [(a.subject_id, a.details["version"]) for a in approved] == [("u-fg-2", rev)]
    diff = c.get(f"/console/diff?to={rev}")
    assert diff.status_code == 200
    assert "Harmless" in diff.text


def test_emergency_access_is_reviewed_and_the_review_audited(web: TestClient, token):
    c = web
    west = token(*WIM, teams=("wt-west",), activity="wmo-support")
    resp = c.get("/v1/records/r-demo-debts", headers=west | {"X-Break-Glass-Justification": WHY})
    assert resp.status_code == 200, resp.text
    seq = _audit(c, "record.read")[-1].seq
    login(c)
    queue = c.get("/console/reviews")
    assert WHY in queue.text
    assert f"#{seq}" in queue.text
    target = f"/console/reviews/{seq}"
    assert post(c, target, "/console/reviews", comment="").status_code == 422
    done = post(c, target, "/console/reviews", comment="Justified: crisis at night.")
    assert done.status_code == 303
    again = post(c, target, "/console/reviews", comment="twice")
    assert again.status_code == 409
    [review] = _audit(c, "break_glass.reviewed")
    assert review.subject_id == "u-fg-1"
    assert review.resident is None
    assert review.details["reviewed_seq"] == str(seq)
    assert "u-fg-1" in c.get("/console/reviews").text


def test_flows_show_counts_only_and_verify_is_recorded(web: TestClient, token):
    c = web
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    assert c.get("/v1/records/r-demo-intake", headers=henk).status_code == 404
    login(c)
    flows = c.get("/console/flows?lang=en")
    assert flows.status_code == 200
    assert "support_data_stays_in_team" in flows.text
    assert "enforcement ↔ support" in flows.text
    assert BSN_SANNE not in flows.text
    assert "r-demo-intake" not in flows.text
    assert 'src="/static/js/console-charts.js"' in flows.text
    assert post(c, "/console/integrity/verify", "/console/integrity").status_code == 303
    [verified] = _audit(c, "audit.verified")
    assert verified.details["ok"] == "true"
    assert verified.subject_id == "u-fg-1"
    assert "Intact" in c.get("/console/integrity").text


# --- OIDC: the officer logs in at the organisation's provider (same client, own return) ----------

CONSOLE_RETURN = "https://testserver/console/login/callback"


def _oidc_console(settings: Settings, clock: FakeClock, provider: OidcProvider) -> TestClient:
    configured = settings.model_copy(
        update={
            "web": settings.web.model_copy(
                update={
                    "oidc": settings.web.oidc.model_copy(
                        update={
                            "issuer": provider.issuer,
                            "client_id": "doelbinding-web",
                            "redirect_uri": "https://testserver/mijn/inloggen/terug",
                        }
                    ),
                    "console_redirect_uri": CONSOLE_RETURN,
                }
            )
        }
    )
    return TestClient(
        create_app(configured, clock=clock),
        base_url="https://testserver",
        follow_redirects=False,
        raise_server_exceptions=False,
    )


def _provider(**claims: object) -> OidcProvider:
    return OidcProvider(
        client_id="doelbinding-web",
        redirect_uri="https://testserver/mijn/inloggen/terug",
        also_redirect_to=(CONSOLE_RETURN,),
        subject="fg-oidc-7",
        claims=claims,
    )


def _log_in(client: TestClient, provider: OidcProvider):
    start = client.get("/console/login/oidc")
    assert start.status_code == 303, start.text
    authorize = start.headers["location"]
    assert authorize.startswith(provider.issuer + "/authorize?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    assert query["redirect_uri"] == CONSOLE_RETURN
    assert query["code_challenge_method"] == "S256"
    back = urlsplit(httpx.get(authorize, follow_redirects=False).headers["location"])
    assert back.path == "/console/login/callback"
    return client.get(f"{back.path}?{back.query}")


def test_an_officer_logs_in_with_oidc(settings, clock):
    with (
        _provider(roles=["privacy_officer"]) as provider,
        _oidc_console(settings, clock, provider) as client,
    ):
        assert "/console/login/oidc" in client.get("/console/login").text
        done = _log_in(client, provider)
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/console/versions"
        page = client.get("/console/versions")
        assert page.status_code == 200
        assert "fg-oidc-7" in page.text  # the officer of the ID token
        client.app.state.services.db.dispose()  # type: ignore[attr-defined]


def test_oidc_without_the_privacy_officer_role_is_refused(settings, clock):
    with (
        _provider(roles=["team_generalist"]) as provider,
        _oidc_console(settings, clock, provider) as client,
    ):
        done = _log_in(client, provider)
        assert done.status_code == 403
        assert client.get("/console/versions").status_code == 303  # still logged out
        client.app.state.services.db.dispose()  # type: ignore[attr-defined]


def test_oidc_callback_with_a_foreign_state_is_refused(settings, clock):
    with (
        _provider(roles=["privacy_officer"]) as provider,
        _oidc_console(settings, clock, provider) as client,
    ):
        start = client.get("/console/login/oidc").headers["location"]
        back = urlsplit(httpx.get(start, follow_redirects=False).headers["location"])
        code = parse_qs(back.query)["code"][0]
        resp = client.get("/console/login/callback", params={"code": code, "state": "forged"})
        assert resp.status_code == 400
        assert client.get("/console/versions").status_code == 303
        assert not any(path == "/token" for _, path, _ in provider.requests)
        client.app.state.services.db.dispose()  # type: ignore[attr-defined]
