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


def test_every_lifecycle_event_and_refusal_has_words():
    """The version page words each event and each `LifecycleConflict.reason` from the
    catalogue; a new one without words would show its key."""
    import ast
    from pathlib import Path

    import lifecycle
    from lifecycle import VersionEvent

    assert {f"event_{e.value}" for e in VersionEvent} <= set(CATALOGUE)
    reasons: list[str] = []
    for file in ("service.py", "impact.py"):
        tree = ast.parse((Path(lifecycle.__file__).parent / file).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "LifecycleConflict":
                reason = node.args[3]
                assert isinstance(reason, ast.Constant), ast.unparse(node)
                assert isinstance(reason.value, str), ast.unparse(node)
                reasons.append(reason.value)
    assert len(reasons) >= 10
    assert {f"conflict_{r}" for r in reasons} <= set(CATALOGUE)


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
    assert refused.text.count("Geweigerd") == 1  # not "Geweigerd. Geweigerd (vier ogen)"
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
    assert post(c, target, "/console/reviews", verdict="justified", comment="").status_code == 422
    no_verdict = post(c, target, "/console/reviews", comment="Crisis at night.")
    assert no_verdict.status_code == 422
    assert "Kies terecht of niet terecht." in no_verdict.text
    done = post(c, target, "/console/reviews", verdict="justified", comment="Crisis at night.")
    assert done.status_code == 303
    again = post(c, target, "/console/reviews", verdict="justified", comment="twice")
    assert again.status_code == 409
    [review] = _audit(c, "break_glass.reviewed")
    assert review.subject_id == "u-fg-1"
    assert review.resident is None
    assert review.details["reviewed_seq"] == str(seq)
    assert review.details["verdict"] == "justified"
    assert "u-fg-1" in c.get("/console/reviews").text


EXCEPTION_WHY = "Collega van wt-oost tot maandag met verlof; casus loopt door."


def _read_under_an_exception(c: TestClient, token) -> int:
    """u-bert (wt-west) asks for an exception on Sanne's support plan in wt-oost, team lead
    u-tom approves it, and u-bert reads: the seq of that read."""
    anna = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    made = c.post(
        "/v1/records",
        json={"resident": BSN_SANNE, "category": "support_plan", "team": "wt-oost",
              "content": "plan"},
        headers=anna,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    bert = token("u-bert", "team_generalist", teams=("wt-west",), activity="wmo-support")
    asked = c.post(
        "/v1/exceptions",
        json={"resident": BSN_SANNE, "categories": ["support_plan"],
              "processing_activities": ["wmo-support"], "justification": EXCEPTION_WHY},
        headers=bert,
    )  # fmt: skip
    assert asked.status_code == 201, asked.text
    ok = c.post(f"/v1/exceptions/{asked.json()['id']}/approve", headers=token("u-tom", "team_lead"))
    assert ok.status_code == 200, ok.text
    read = c.get(f"/v1/records/{made.json()['id']}", headers=bert)
    assert read.status_code == 200, read.text
    [last] = [r for r in _audit(c, "record.read") if r.basis_type == "exception"]
    return last.seq


def test_a_read_under_an_exception_shows_its_reason_and_can_be_marked_not_justified(
    web: TestClient, token
):
    c = web
    seq = _read_under_an_exception(c, token)
    login(c)
    queue = c.get("/console/reviews?lang=en").text
    entry = queue[queue.index(f'id="seq-{seq}"') :]
    entry = entry[: entry.index("</li>")]
    assert EXCEPTION_WHY in entry
    assert "u-bert" in entry  # requester
    assert "u-tom" in entry  # approver
    assert "(none)" not in entry
    done = post(
        c, f"/console/reviews/{seq}", "/console/reviews",
        verdict="not_justified", comment="Geen verlof: de eigen collega was bereikbaar.",
    )  # fmt: skip
    assert done.status_code == 303
    [review] = _audit(c, "break_glass.reviewed")
    assert (review.details["verdict"], review.details["reviewed_seq"]) == (
        "not_justified",
        str(seq),
    )
    queue = c.get("/console/reviews?lang=nl").text
    entry = queue[queue.index(f'id="seq-{seq}"') :]
    assert "Niet terecht" in entry[: entry.index("</li>")]
    assert "niet terecht: 1" in queue
    flows = c.get("/console/flows").text
    assert "Toegang als niet terecht beoordeeld in deze periode: 1" in flows
    # The count is of what the officer supervises: another municipality's officer sees none.
    from sqlmodel import Session

    from gateway.web.console.data import not_justified

    with Session(c.app.state.services.db) as s:  # type: ignore[attr-defined]
        assert not_justified(s, "", "zaanstad") == 1
        assert not_justified(s, "", "haarlem") == 0


def test_the_console_speaks_dutch_time_and_translates_its_words(web: TestClient, token):
    """Times in Europe/Amsterdam (NOW_NS is 2026-11-30 00:53:20 UTC: 01:53 in Amsterdam),
    lifecycle events and reason codes in the officer's language, no doubled words, and the
    shipped version's test status as it is: not run on this server."""
    c = web
    login(c)
    versions = c.get("/console/versions").text
    assert "<td>niet gedraaid</td>" in versions  # Tests column: not "nee", as if it failed
    shipped = c.get("/console/versions").text.split('href="/console/versions/')[1].split('"')[0]
    page = c.get(f"/console/versions/{shipped}").text
    assert "2026-11-30 01:53" in page
    assert ">2026-11-30 00:53" not in page  # UTC only in the machine-readable attribute
    assert "<td>opgesteld</td>" in page
    assert "<td>geactiveerd</td>" in page
    assert "Niet gedraaid op deze server" in page
    assert "Shipped" not in page
    en = c.get(f"/console/versions/{shipped}?lang=en").text
    assert "<td>drafted</td>" in en
    assert "<td>activated</td>" in en
    assert "Not run on this server" in en
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    # No relationship with her: 404 to Henk; the refusal and its reason reach the dashboard.
    assert c.get("/v1/records/r-demo-intake", headers=henk).status_code == 404
    flows_nl = c.get("/console/flows?lang=nl").text
    assert "Wat u het wijkteam vertelt, blijft in het wijkteam." in flows_nl
    flows_en = c.get("/console/flows?lang=en").text
    assert "Support data stays in the team" in flows_en
    assert "Wat u het wijkteam" not in flows_en


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
    # After the app's shutdown, which still uses the pool: else a connection outlives it.
    client.app.state.services.db.dispose()  # type: ignore[attr-defined]


def test_oidc_without_the_privacy_officer_role_is_refused(settings, clock):
    with (
        _provider(roles=["team_generalist"]) as provider,
        _oidc_console(settings, clock, provider) as client,
    ):
        done = _log_in(client, provider)
        assert done.status_code == 403
        assert client.get("/console/versions").status_code == 303  # still logged out
    # After the app's shutdown, which still uses the pool: else a connection outlives it.
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
    # After the app's shutdown, which still uses the pool: else a connection outlives it.
    client.app.state.services.db.dispose()  # type: ignore[attr-defined]
