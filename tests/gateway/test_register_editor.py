"""Issue 18, items 1-5: the register editor's further forms, the Rego editor, and the
controller and DPO in the art. 30 record.

Each form saves a draft whose change reads in the register's terms; what the register's own
loader refuses (a flow against `no_basis`, consent admissible towards enforcement, an unknown
category, a flow whose only ground is a principle, ...) is refused in the form with its reason
and no draft exists; a Rego module that does not compile is shown with its error at its line
and no draft exists; a form without its CSRF token changes nothing. Every test runs on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import copy
import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from gateway.app import create_app
from gateway.settings import Settings
from lifecycle import service
from lifecycle.content import register_for, shipped_content
from lifecycle.errors import InvalidVersion

from .conftest import FakeClock, csrf
from .test_console import login

PO_1 = ("u-po-1", "privacy_officer")
EDIT = "/console/register/edit"


def _versions(client: TestClient) -> int:
    with Session(client.app.state.services.db) as s:  # type: ignore[attr-defined]
        return len(service.list_versions(s))


def _active(client: TestClient) -> tuple[str, dict[str, Any]]:
    with Session(client.app.state.services.db) as s:  # type: ignore[attr-defined]
        version = service.get_version(s, service.active_revision(s) or "")
        return version.revision, dict(version.data)


def _post(client: TestClient, page: str, action: str, **form: Any):
    return client.post(action, data={"csrf_token": csrf(client, page), **form})


def _changes(client: TestClient, resp) -> list[str]:
    """The register-terms lines of the diff a save redirected to."""
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"].startswith("/console/diff?to=")
    diff = client.get(resp.headers["location"] + "&lang=en")
    assert diff.status_code == 200
    found = re.search(r'<ul id="register-changes">(.*?)</ul>', diff.text, re.S)
    assert found, "no register changes on the diff page"
    return re.findall(r"<li>(.*?)</li>", found.group(1).replace("&gt;", ">"))


def _flow_form(**over: Any) -> dict[str, Any]:
    """A valid new flow: enforcement's finding reaches re-integration on a disclosure."""
    form: dict[str, Any] = {
        "id": "finding-to-reintegration",
        "from_domain": "enforcement",
        "to_domain": "work_income",
        "categories": ["enforcement_case"],
        "activities": ["pw-reintegration"],
        "article": "Participatiewet art. 54 lid 3",
        "link": "https://wetten.overheid.nl/jci1.3:c:BWBR0015703&artikel=54",
        "explanation": "",
        "redact": "content",
        "ground_article": ["Participatiewet art. 54 lid 3", ""],
        "ground_kind": ["disclosure", "disclosure"],
        "message": "a finding may guide the way to work",
    }
    return form | over


# --- every form, in both languages -------------------------------------------------------------

FORMS = [
    "?new=flow",
    "?flow=pw-data-to-enforcement",
    "?new=category",
    "?category=health",
    "?new=team",
    "?team=wt-oost",
    "?new=service",
    "?part=contact",
    "?part=controller",
]


def test_every_form_is_reachable_from_the_index_in_both_languages(web: TestClient):
    login(web)
    index = web.get(EDIT + "?lang=en")
    assert index.status_code == 200
    for query in FORMS:
        assert f'href="{EDIT}{query}"' in index.text
        for lang, words in (("en", "Save as draft"), ("nl", "Bewaren als concept")):
            page = web.get(f"{EDIT}{query}&lang={lang}")
            assert page.status_code == 200, (query, page.text)
            assert words in page.text
            assert 'name="csrf_token"' in page.text
            assert "script-src 'self'" in page.headers["content-security-policy"]
            assert "<script" not in page.text
            assert "style=" not in page.text
    revision, _ = _active(web)
    assert f'href="/console/rego/{revision}"' in index.text


# --- flows -------------------------------------------------------------------------------------


def test_a_flow_is_added_changed_and_removed_as_drafts_in_register_terms(web: TestClient):
    login(web)
    before = _versions(web)
    resp = _post(web, f"{EDIT}?new=flow", f"{EDIT}/flow", **_flow_form())
    assert _changes(web, resp) == ["flow finding-to-reintegration added"]

    page = f"{EDIT}?flow=enforcement-result-to-benefit"
    form = web.get(page + "&lang=en").text
    assert 'value="Participatiewet art. 54 lid 3"' in form
    resp = _post(
        web, page, f"{EDIT}/flow/enforcement-result-to-benefit",
        from_domain="enforcement", to_domain="work_income",
        categories=["enforcement_case", "identity"], activities=["pw-benefit"],
        article="Participatiewet art. 54 lid 3",
        link="https://wetten.overheid.nl/jci1.3:c:BWBR0015703&artikel=54",
        explanation="Na een controle kan de gemeente de uitkering aanpassen of terugvorderen.",
        redact="content",
        ground_article=["Participatiewet art. 54 lid 3", "Participatiewet art. 54"],
        ground_kind=["disclosure", "task"],
        message="the benefit officer needs the finding, not its notes",
    )  # fmt: skip
    assert _changes(web, resp) == [
        "flow enforcement-result-to-benefit: grounds gains Participatiewet art. 54 (task)",
        "flow enforcement-result-to-benefit: redact — → content",
    ]

    page = f"{EDIT}?flow=team-report-to-veilig-thuis"
    resp = _post(web, page, f"{EDIT}/flow/team-report-to-veilig-thuis/remove", message="gone")
    assert _changes(web, resp) == ["flow team-report-to-veilig-thuis removed"]
    assert _versions(web) == before + 3


REFUSED_FLOWS = [
    pytest.param(
        {"id": "notes-to-enforcement", "from_domain": "team", "to_domain": "enforcement",
         "categories": ["intake_notes"], "activities": ["pw-enforcement"]},
        ["flow notes-to-enforcement contradicts no_basis team-data-to-enforcement",
         "Wat u het wijkteam vertelt, gaat niet naar handhaving"],
        id="against-no_basis",
    ),
    pytest.param(
        {"categories": ["enforcement_case", "no-such-category"]},
        ["flow finding-to-reintegration: unknown category no-such-category"],
        id="unknown-category",
    ),
    pytest.param(
        {"ground_article": ["AVG art. 5 lid 1 onder c"], "ground_kind": ["principle"]},
        ["flow finding-to-reintegration: only principle as ground, "
         "and no provision permits the disclosure"],
        id="only-a-principle",
    ),
    pytest.param(
        {"id": "pw-data-to-enforcement"},
        ["flow pw-data-to-enforcement: exists already"],
        id="id-taken",
    ),
    pytest.param(
        {"id": "Finding To Work"},
        ["use only lowercase letters, digits"],
        id="bad-id",
    ),
    pytest.param(
        {"message": " "},
        ["Schrijf op waarom u deze wijziging maakt."],
        id="no-message",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("change", "reasons"), REFUSED_FLOWS)
def test_a_flow_the_register_refuses_is_refused_in_the_form_with_no_draft(
    web: TestClient, change: dict[str, Any], reasons: list[str]
):
    login(web)
    before = _versions(web)
    resp = _post(web, f"{EDIT}?new=flow", f"{EDIT}/flow", **_flow_form(**change))
    assert resp.status_code == 422
    assert 'id="register-problems"' in resp.text
    for reason in reasons:
        assert reason in resp.text.replace("&#39;", "'")
    # The form keeps what was entered.
    if "categories" in change and "no-such-category" not in change["categories"]:
        for cat in change["categories"]:
            assert f'id="fc-{cat}" name="categories" value="{cat}" checked' in resp.text
    assert _versions(web) == before


# --- the other refusals of the register's loader ------------------------------------------------


def test_consent_admissible_towards_enforcement_is_refused_in_the_activity_form(web: TestClient):
    login(web)
    before = _versions(web)
    act = register_for(shipped_content()[1], "zaanstad").activities["pw-enforcement"]
    resp = _post(
        web, f"{EDIT}?activity=pw-enforcement", f"{EDIT}/activity/pw-enforcement",
        message="enforcement may ask consent", consent_admissible="true",
        article=act.legal_basis.article, link=act.legal_basis.link,
        explanation=act.legal_basis.explanation, retention_days=str(act.retention_days),
        categories=[*act.categories, "health"],
        **({"confidential": "true"} if act.confidential else {}),
    )  # fmt: skip
    assert resp.status_code == 422
    assert "consent admissible despite no_basis team-data-to-enforcement" in resp.text
    assert _versions(web) == before


REFUSED = [
    pytest.param(
        "?new=category", "/category",
        {"id": "housing", "label": "Wonen", "domain": "housing_office"},
        "category housing: unknown domain housing_office", id="category-unknown-domain",
    ),
    pytest.param(
        "?new=category", "/category", {"id": "health", "label": "Zorg", "domain": "team"},
        "category health: exists already", id="category-exists",
    ),
    pytest.param(
        "?new=team", "/team",
        {"id": "wt-nowhere", "label": "Wijkteam Nergens", "domain": "team",
         "municipality": "haarlem"},
        "team wt-nowhere: unknown municipality haarlem", id="team-unknown-municipality",
    ),
    pytest.param(
        "?new=service", "/service",
        {"id": "rsd-zaan", "label": "Regionale dienst", "serves": ["zaanstad"],
         "domains": ["work_income"], "activities": ["pw-enforcement"]},
        "regional service rsd-zaan: activity pw-enforcement outside its domains",
        id="service-outside-its-domains",
    ),
    pytest.param(
        "?part=controller", "/controller",
        {"controller_name": "College van B&W van Zaanstad", "controller_email": "gemeente",
         "dpo_name": "FG Zaanstad", "dpo_email": "fg@zaanstad.example"},
        "controller.email: not an e-mail address", id="controller-email",
    ),
    pytest.param(
        "?part=controller", "/controller",
        {"controller_name": "College van B&W van Zaanstad",
         "controller_email": "gemeente@zaanstad.example", "dpo_name": "",
         "dpo_email": "fg@zaanstad.example"},
        "dpo: name is required", id="dpo-name-required",
    ),
    pytest.param(
        "?part=contact", "/contact",
        {"privacy_officer": "", "email": "privacy@zaanstad.example", "answer_days": "30"},
        "contact: privacy officer is required", id="contact-who-required",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("page", "action", "form", "reason"), REFUSED)
def test_what_the_register_refuses_is_refused_in_its_form_with_no_draft(
    web: TestClient, page: str, action: str, form: dict[str, Any], reason: str
):
    login(web)
    before = _versions(web)
    resp = _post(web, EDIT + page, EDIT + action, message="try", **form)
    assert resp.status_code == 422, resp.text
    assert 'id="register-problems"' in resp.text
    assert reason in resp.text
    assert _versions(web) == before


# --- categories, teams, regional services, contact, controller and DPO --------------------------


def test_each_profile_form_saves_a_draft_in_register_terms(web: TestClient):
    login(web)
    saves: list[tuple[str, str, dict[str, Any], list[str]]] = [
        ("?new=category", "/category", {"id": "housing", "label": "Wonen", "domain": "team"},
         ["category housing added"]),
        ("?category=health", "/category/health", {"label": "Gezondheid en zorg",
                                                   "domain": "team"},
         ["category health: label Gezondheid → Gezondheid en zorg"]),
        ("?new=team", "/team", {"id": "wt-noord-2", "label": "Wijkteam Noord 2",
                                "domain": "team", "municipality": "zaanstad"},
         ["zaanstad: team wt-noord-2 added"]),
        ("?team=wt-oost", "/team/wt-oost", {"label": "Wijkteam Oost", "domain": "team",
                                            "municipality": "zaanstad", "no_dossier": "true"},
         ["zaanstad: team wt-oost: label Wijkteam Zaandam-Oost → Wijkteam Oost",
          "zaanstad: team wt-oost: no dossier — → yes"]),
        ("?team=wt-west", "/team/wt-west/remove", {}, ["zaanstad: team wt-west removed"]),
        ("?new=service", "/service", {"id": "rsd-zaan", "label": "Regionale dienst",
                                      "serves": ["zaanstad"], "domains": ["work_income"],
                                      "activities": ["pw-reintegration"]},
         ["zaanstad: regional service rsd-zaan added"]),
        ("?part=contact", "/contact", {"privacy_officer": "de FG van Zaanstad",
                                       "email": "privacy@zaanstad.example",
                                       "url": "https://www.zaanstad.example/privacy",
                                       "answer_days": "21"},
         ["zaanstad: contact answer term (days) 30 → 21",
          "zaanstad: contact who answers de privacy officer (functionaris "
          "gegevensbescherming) van de gemeente Zaanstad → de FG van Zaanstad",
          "zaanstad: contact page — → https://www.zaanstad.example/privacy"]),
        ("?part=controller", "/controller",
         {"controller_name": "College van burgemeester en wethouders van Zaanstad",
          "controller_email": "gemeente@zaanstad.example",
          "controller_address": "Stadhuisplein 100, Zaandam",
          "dpo_name": "Functionaris gegevensbescherming van de gemeente Zaanstad",
          "dpo_email": "fg@zaanstad.example", "dpo_phone": "14 075"},
         ["zaanstad: controller address — → Stadhuisplein 100, Zaandam",
          "zaanstad: DPO phone — → 14 075"]),
    ]  # fmt: skip
    for page, action, form, expected in saves:
        assert isinstance(form, dict)
        resp = _post(web, EDIT + page, EDIT + action, message=f"change {action}", **form)
        assert _changes(web, resp) == expected, action


@pytest.fixture
def krh(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    """The console of a Kromme Rijn Heuvelland deployment (a regional service, five places)."""
    app = create_app(settings.model_copy(update={"profile": "kromme-rijn-heuvelland"}), clock=clock)
    with TestClient(
        app, base_url="https://testserver", follow_redirects=False, raise_server_exceptions=False
    ) as c:
        yield c
    app.state.services.db.dispose()


def test_the_regional_service_form_changes_its_scope(krh: TestClient):
    login(krh)
    page = f"{EDIT}?service=rsd-krh"
    form = krh.get(page + "&lang=en")
    assert form.status_code == 200
    assert 'id="sm-zeist" name="serves" value="zeist" checked' in form.text
    assert 'id="sa-pw-benefit" name="activities" value="pw-benefit" checked' in form.text
    scope = {
        "label": "Regionale Sociale Dienst Kromme Rijn Heuvelland",
        "serves": ["bunnik", "de-bilt", "utrechtse-heuvelrug", "wijk-bij-duurstede", "zeist"],
        "domains": ["work_income", "enforcement"],
    }
    # Benefit decisions back to the colleges: the RSD no longer acts under pw-benefit.
    resp = _post(
        krh, page, f"{EDIT}/service/rsd-krh", message="Pw 43 stays with the colleges",
        activities=["pw-reintegration", "pw-enforcement"], **scope,
    )  # fmt: skip
    assert _changes(krh, resp) == [
        "kromme-rijn-heuvelland: regional service rsd-krh: activities loses pw-benefit"
    ]
    before = _versions(krh)
    # Out of its domains: refused, with the reason, no draft.
    resp = _post(
        krh, page, f"{EDIT}/service/rsd-krh", message="and support too",
        activities=["pw-reintegration", "pw-enforcement", "wmo-support"], **scope,
    )  # fmt: skip
    assert resp.status_code == 422
    assert "regional service rsd-krh: activity wmo-support outside its domains" in resp.text
    assert 'id="sa-wmo-support" name="activities" value="wmo-support" checked' in resp.text
    assert _versions(krh) == before


# --- API parity --------------------------------------------------------------------------------


def test_the_new_operations_through_the_api(web: TestClient, token):
    patch = [
        {"op": "category", "id": "housing", "set": {"label": "Wonen", "domain": "team"}},
        {"op": "contact", "profile": "zaanstad", "set": {"answer_days": 28}},
        {"op": "controller", "profile": "zaanstad", "set": {"phone": "14 075"}},
        {"op": "dpo", "profile": "zaanstad", "set": {"email": "fg@zaanstad.example.org"}},
    ]
    resp = web.post(
        "/v1/policies", json={"message": "parity", "register_patch": patch}, headers=token(*PO_1)
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["changes"] == [
        "category housing added",
        "zaanstad: contact answer term (days) 30 → 28",
        "zaanstad: controller phone — → 14 075",
        "zaanstad: DPO email fg@zaanstad.example → fg@zaanstad.example.org",
    ]
    before = _versions(web)
    bad = [{"op": "dpo", "profile": "zaanstad", "set": {"email": "fg at zaanstad"}}]
    resp = web.post(
        "/v1/policies", json={"message": "bad", "register_patch": bad}, headers=token(*PO_1)
    )
    assert resp.status_code == 422
    assert "dpo.email: not an e-mail address" in resp.text
    assert _versions(web) == before


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    ["/flow", "/flow/pw-data-to-enforcement", "/flow/pw-data-to-enforcement/remove",
     "/category", "/category/health", "/team", "/team/wt-oost", "/team/wt-oost/remove",
     "/service", "/contact", "/controller"],
)  # fmt: skip
def test_no_form_changes_anything_without_its_token(web: TestClient, action: str):
    login(web)
    before = _versions(web)
    resp = web.post(EDIT + action, data={"message": "m", "label": "x", "id": "x"})
    assert resp.status_code == 403
    resp = web.post(EDIT + action, data={"csrf_token": "forged", "message": "m", "label": "x"})
    assert resp.status_code == 403
    assert _versions(web) == before


# --- the art. 30 record names the controller and the DPO -----------------------------------------


def test_the_art30_record_names_the_controller_and_the_dpo(web: TestClient):
    login(web)
    for path in ("/console/register?lang=en", "/console/register/print?lang=en"):
        page = web.get(path)
        assert page.status_code == 200
        assert "Data protection officer" in page.text
        assert "College van burgemeester en wethouders van Zaanstad" in page.text
        assert 'href="mailto:gemeente@zaanstad.example"' in page.text
        assert "Functionaris gegevensbescherming van de gemeente Zaanstad" in page.text
        assert 'href="mailto:fg@zaanstad.example"' in page.text
    resp = web.get("/console/register/art30.csv?lang=en")
    rows = list(csv.DictReader(io.StringIO(resp.text.removeprefix("\ufeff"))))
    assert {r["Controller"] for r in rows} == {
        "College van burgemeester en wethouders van Zaanstad; gemeente@zaanstad.example"
    }
    assert {r["Data protection officer"] for r in rows} == {
        "Functionaris gegevensbescherming van de gemeente Zaanstad; fg@zaanstad.example"
    }


def test_every_shipped_profile_names_its_controller_and_dpo():
    data = shipped_content()[1]
    for profile in data["profiles"]:
        reg = register_for(data, profile)
        assert reg.controller is not None, profile
        assert reg.dpo is not None, profile
        assert "@" in reg.controller.email
        assert "@" in reg.dpo.email


def test_the_loader_refuses_a_dpo_without_an_e_mail_address():
    data = shipped_content()[1]
    data["profiles"]["texel"]["dpo"] = {"name": "FG Texel", "email": "nobody"}
    with pytest.raises(InvalidVersion, match=r"dpo\.email"):
        register_for(data, "texel")
    data["profiles"]["texel"]["dpo"] = {"name": "", "email": "fg@texel.example"}
    with pytest.raises(InvalidVersion, match=r"dpo\.name"):
        register_for(data, "texel")


# --- the Rego modules, for engineers -------------------------------------------------------------


def _rego_form(client: TestClient, revision: str) -> tuple[str, dict[str, str]]:
    page = client.get(f"/console/rego/{revision}?lang=en")
    assert page.status_code == 200, page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    with Session(client.app.state.services.db) as s:  # type: ignore[attr-defined]
        modules = dict(service.get_version(s, revision).modules)
    return token.group(1), modules


def _save_rego(client: TestClient, revision: str, modules: dict[str, str], message: str):
    token, _ = _rego_form(client, revision)
    names = sorted(modules)
    return client.post(
        f"/console/rego/{revision}?lang=en",
        data={"csrf_token": token, "message": message, "name": names,
              "source": [modules[n] for n in names]},
    )  # fmt: skip


def test_a_rego_compile_error_is_shown_at_its_line_and_no_draft_exists(web: TestClient):
    login(web)
    revision, _ = _active(web)
    _, modules = _rego_form(web, revision)
    before = _versions(web)
    lines = modules["authz.rego"].split("\n")
    # An assignment without a value, at a known line after the imports.
    at = len(lines) - 1
    lines.insert(at, "broken_rule if { x := }")
    resp = _save_rego(web, revision, {**modules, "authz.rego": "\n".join(lines)}, "try")
    assert resp.status_code == 422, resp.text
    assert 'id="rego-error"' in resp.text
    line = at + 1
    assert f"authz.rego, line {line}" in resp.text
    marked = re.search(r'<li id="rego-error-line"[^>]*><code>(.*?)</code></li>', resp.text)
    assert marked
    assert "broken_rule" in marked.group(1)
    assert 'aria-invalid="true"' in resp.text
    assert "Invalid assignment operator" in resp.text
    assert "broken_rule if { x := }" in resp.text  # the edit is kept
    assert _versions(web) == before


def test_a_valid_rego_edit_is_a_new_draft_of_that_version(web: TestClient):
    login(web)
    revision, _ = _active(web)
    _, modules = _rego_form(web, revision)
    before = _versions(web)
    edited = {**modules, "authz.rego": modules["authz.rego"] + "\n# reviewed by engineering\n"}
    # CRLF as a browser sends a textarea: the module keeps its LF.
    crlf = {k: v.replace("\n", "\r\n") for k, v in edited.items()}
    resp = _save_rego(web, revision, crlf, "a comment")
    assert resp.status_code == 303, resp.text
    draft = resp.headers["location"].removeprefix("/console/diff?to=")
    with Session(web.app.state.services.db) as s:  # type: ignore[attr-defined]
        version = service.get_version(s, draft)
        assert version.parent == revision
        assert version.author == "u-fg-1"
        assert version.message == "a comment"
        assert dict(version.modules) == edited
    diff = web.get(resp.headers["location"])
    assert "+# reviewed by engineering" in diff.text
    assert _versions(web) == before + 1
    # Unchanged modules, no message, a module the version does not have: nothing saved.
    assert _save_rego(web, revision, modules, "same").status_code == 422
    assert _save_rego(web, revision, edited, " ").status_code == 422
    resp = _save_rego(web, revision, {**modules, "extra.rego": "package x"}, "more")
    assert resp.status_code == 422
    assert _versions(web) == before + 1


def test_the_rego_form_needs_its_token_and_a_known_version(web: TestClient):
    login(web)
    revision, _ = _active(web)
    _, modules = _rego_form(web, revision)
    before = _versions(web)
    resp = web.post(
        f"/console/rego/{revision}",
        data={"message": "m", "name": ["authz.rego"], "source": [modules["authz.rego"] + "#"]},
    )
    assert resp.status_code == 403
    assert web.get("/console/rego/" + "0" * 64).status_code == 404
    assert _versions(web) == before


@pytest.mark.parametrize("kind", ["flow", "category", "team", "service"])
def test_a_change_to_an_entry_that_does_not_exist_is_a_404_with_no_draft(
    web: TestClient, kind: str
):
    login(web)
    before = _versions(web)
    resp = _post(
        web, f"{EDIT}?new={kind}", f"{EDIT}/{kind}/no-such-entry",
        message="m", label="x", domain="team", municipality="zaanstad",
    )  # fmt: skip
    assert resp.status_code == 404
    # The change form of an entry that does not exist is the index, not an empty form.
    assert 'id="id"' not in web.get(f"{EDIT}?{kind}=no-such-entry").text
    assert _versions(web) == before


# --- several changes in one draft: a form on top of a draft ------------------------------------

CONSENT_CHANGE = "signalling: consent admissible yes → no"
MANDATE_CHANGE = "zaanstad: income_officer gains pw-reintegration"


def _activity_form(key: str, **over: Any) -> dict[str, Any]:
    """The activity's form as the active version fills it in, with `over` changed."""
    act = register_for(shipped_content()[1], "zaanstad").activities[key]
    form: dict[str, Any] = {
        "article": act.legal_basis.article,
        "link": act.legal_basis.link,
        "explanation": act.legal_basis.explanation,
        "retention_days": str(act.retention_days),
        "categories": list(act.categories),
        **({"consent_admissible": "true"} if act.consent_admissible else {}),
        **({"justification_required": "true"} if act.justification_required else {}),
        **({"confidential": "true"} if act.confidential else {}),
    }
    return form | over


def _without_consent(client: TestClient, **extra: Any):
    """Officer A unticks consent admissible on `signalling` (on `base`, if given)."""
    form = _activity_form("signalling")
    del form["consent_admissible"]
    return _post(client, f"{EDIT}?activity=signalling", f"{EDIT}/activity/signalling",
                 message="a signal passes by law, not on consent", **form, **extra)  # fmt: skip


def _with_reintegration(client: TestClient, **extra: Any):
    """Officer A adds pw-reintegration to the income officer's mandates (on `base`)."""
    return _post(client, f"{EDIT}?role=income_officer", f"{EDIT}/mandates/income_officer",
                 message="income officers guide to work as well",
                 activities=["pw-benefit", "pw-reintegration"], **extra)  # fmt: skip


def _drafted(resp) -> str:
    assert resp.status_code == 303, resp.text
    return str(resp.headers["location"].removeprefix("/console/diff?to="))


def _version(client: TestClient, revision: str) -> tuple[str | None, dict[str, Any]]:
    with Session(client.app.state.services.db) as s:  # type: ignore[attr-defined]
        version = service.get_version(s, revision)
        return version.parent, dict(version.data)


def _through(client: TestClient, revision: str) -> None:
    """Tested, simulated, approved by the second officer and activated (the engines' own
    runs are the browser test's and test_policy_lifecycle's; here the lifecycle's rules)."""
    with Session(client.app.state.services.db) as s:  # type: ignore[attr-defined]
        service.record_test(s, revision, "u-fg-1", 1, {"passed": True})
        service.record_simulation(s, revision, "u-fg-1", 2, {"flips": 0})
        service.approve(s, revision, "u-fg-2", 3)
        service.activate(s, revision, "u-fg-2", 4)
        s.commit()


def _lines(client: TestClient, revision: str, list_id: str, lang: str = "en") -> list[str]:
    """The lines of the list `list_id` on the draft's diff page."""
    diff = client.get(f"/console/diff?to={revision}&lang={lang}")
    found = re.search(rf'<ul id="{list_id}">(.*?)</ul>', diff.text, re.S)
    assert found, f"no {list_id} on the diff page"
    return re.findall(r"<li>(.*?)</li>", found.group(1).replace("&gt;", ">"))


def _step(client: TestClient, revision: str, lang: str = "en") -> list[str]:
    return _lines(client, revision, "register-changes-step", lang)


def test_two_form_changes_stack_into_one_draft_that_carries_both_to_activation(web: TestClient):
    login(web)
    active, data = _active(web)
    first = _drafted(_without_consent(web))
    # The draft's page and the diff after the save offer to add another change to it.
    add = f'href="{EDIT}?base={first.replace(":", "%3A")}"'
    for page in (f"/console/versions/{first}", f"/console/diff?to={first}"):
        for lang, words in (("en", "Add another change to this draft"),
                            ("nl", "Nog een wijziging aan dit concept toevoegen")):  # fmt: skip
            html = web.get(f"{page}&lang={lang}" if "?" in page else f"{page}?lang={lang}").text
            assert add in html, (page, lang)
            assert words in html, (page, lang)
    assert "Add another change" not in web.get(f"/console/versions/{active}?lang=en").text

    # The editor on that draft: its links and forms carry the base, its forms show its data.
    index = web.get(f"{EDIT}?base={first}&lang=en").text
    assert 'id="base-draft"' in index
    assert f'href="{EDIT}?role=income_officer&amp;base={first.replace(":", "%3A")}"' in index
    form = web.get(f"{EDIT}?activity=signalling&base={first}&lang=en").text
    assert f'name="base" value="{first}"' in form
    assert 'id="consent_admissible" name="consent_admissible" value="true">' in form  # unticked
    second = _drafted(_with_reintegration(web, base=first))

    parent, stacked = _version(web, second)
    assert parent == first
    expected = copy.deepcopy(data)
    expected["register"]["activities"]["signalling"]["consent_admissible"] = False
    expected["profiles"]["zaanstad"]["mandates"]["income_officer"] += ["pw-reintegration"]
    assert stacked == expected
    # The diff shows all of it against the active version, and the last step apart.
    assert _lines(web, second, "register-changes") == [CONSENT_CHANGE, MANDATE_CHANGE]
    assert _step(web, second) == [MANDATE_CHANGE]
    # One version carries both changes through the lifecycle; the first draft is then stale.
    _through(web, second)
    assert _active(web) == (second, expected)
    assert "Add another change" not in web.get(f"/console/versions/{first}?lang=en").text


def _refused_base(client: TestClient, base: str, status: int, en: str, nl: str) -> None:
    before = _versions(client)
    for lang, words in (("en", en), ("nl", nl)):
        for query in ("", "?activity=signalling"):
            sep = "&" if query else "?"
            page = client.get(f"{EDIT}{query}{sep}base={base}&lang={lang}")
            assert page.status_code == status, page.text
            assert words in page.text
    assert _without_consent(client, base=base).status_code == status
    assert _with_reintegration(client, base=base).status_code == status
    assert _versions(client) == before


def test_a_base_that_is_unknown_retired_or_stale_is_refused_and_nothing_is_saved(
    web: TestClient,
):
    login(web)
    shipped, _ = _active(web)
    _refused_base(
        web, "sha256:" + "0" * 64, 404,
        "There is no version with this revision", "Er is geen versie met deze revisie",
    )  # fmt: skip
    # Two drafts from the active version; one is activated: the other no longer builds on it.
    stale = _drafted(_without_consent(web))
    _through(web, _drafted(_with_reintegration(web)))
    _refused_base(
        web, stale, 409,
        "a change on top of it could never be activated",
        "een wijziging daarop kan nooit actief worden",
    )  # fmt: skip
    # The version active before: a change on top of it would undo the active one's.
    _refused_base(
        web, shipped, 409,
        "This version is no longer active", "Deze versie is niet meer actief",
    )  # fmt: skip
    # A base longer than any revision is refused before anything is looked up.
    assert web.get(f"{EDIT}?base={'x' * 200}").status_code == 422


def test_the_console_words_the_diff_in_dutch_and_the_api_keeps_english(web: TestClient, token):
    login(web)
    first = _drafted(_without_consent(web))
    second = _drafted(_with_reintegration(web, base=first))
    diff = web.get(f"/console/diff?to={second}&lang=nl")
    assert "signalling: toestemming mogelijk ja → nee" in diff.text
    assert "zaanstad: income_officer krijgt mandaat voor pw-reintegration" in diff.text
    assert "consent admissible" not in diff.text
    assert " gains " not in diff.text
    assert _step(web, second, "nl") == [
        "zaanstad: income_officer krijgt mandaat voor pw-reintegration"
    ]
    # The API: `changes` (against the parent) and the diff's `register` stay English.
    po = token("u-po-1", "privacy_officer")
    resp = web.post("/v1/policies", headers=po, json={
        "message": "one more", "parent": second,
        "register_patch": [{"op": "contact", "profile": "zaanstad", "set": {"answer_days": 21}}],
    })  # fmt: skip
    assert resp.status_code == 201, resp.text
    assert resp.json()["changes"] == ["zaanstad: contact answer term (days) 30 → 21"]
    api = web.get(f"/v1/policies/{second}/diff", headers=po)
    assert api.json()["register"] == [MANDATE_CHANGE]


def test_every_change_has_its_dutch_words():
    from gateway.web.console.i18n_register import CHANGE_TEMPLATES_NL, CHANGE_WORDS_NL
    from lifecycle.register_diff import TEMPLATES, WORDS

    assert set(CHANGE_TEMPLATES_NL) == set(TEMPLATES)
    assert set(WORDS) <= set(CHANGE_WORDS_NL)
    assert all(CHANGE_WORDS_NL.values())


def test_the_rego_editor_builds_on_a_draft_and_refuses_a_retired_version(web: TestClient):
    login(web)
    shipped, _ = _active(web)
    first = _drafted(_without_consent(web))
    _, modules = _rego_form(web, first)
    edited = {**modules, "authz.rego": modules["authz.rego"] + "\n# reviewed\n"}
    resp = _save_rego(web, first, edited, "a comment on top of the consent change")
    parent, data = _version(web, _drafted(resp))
    assert parent == first
    assert data == _version(web, first)[1]  # the draft's register, not the active one's
    _through(web, _drafted(_with_reintegration(web)))
    before = _versions(web)
    for revision, words in ((shipped, "This version is no longer active"),
                            (first, "a change on top of it could never be activated")):  # fmt: skip
        resp = _save_rego(web, revision, edited, "too late")
        assert resp.status_code == 409, resp.text
        assert words in resp.text
    assert _versions(web) == before
