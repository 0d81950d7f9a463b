"""Issue 18, item 4: the processing register for the AP (AVG art. 30) in the console.

The page, the CSV and the printable page list every activity of the *active* version with its
basis, categories, recipients and retention; they change when a new version is activated;
every view and download is a decision of the enforcement point, in the audit trail. Every
test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from audit import AuditRecord
from lifecycle import service
from lifecycle.content import register_for, shipped_content

from .conftest import csrf
from .test_console import login

PO_1 = ("u-po-1", "privacy_officer")
PO_2 = ("u-po-2", "privacy_officer")


def _active(client: TestClient):
    with Session(client.app.state.services.db) as s:  # type: ignore[attr-defined]
        version = service.get_version(s, service.active_revision(s) or "")
        return version.revision, version.data


def _csv(client: TestClient, lang: str = "nl") -> list[dict[str, str]]:
    resp = client.get(f"/console/register/art30.csv?lang={lang}")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    assert "attachment" in resp.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(resp.text.removeprefix("\ufeff"))))


def _exports(client: TestClient) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:  # type: ignore[attr-defined]
        stmt = select(AuditRecord).where(col(AuditRecord.record_id).startswith("art30."))
        return list(s.scalars(stmt.order_by(col(AuditRecord.seq))))


def test_the_export_lists_every_activity_of_the_active_version(web: TestClient):
    login(web)
    revision, data = _active(web)
    register = register_for(data, "zaanstad")
    rows = {r["Activiteit (id)"]: r for r in _csv(web)}
    assert list(rows) == list(register.activities)
    for key, act in register.activities.items():
        row = rows[key]
        assert act.legal_basis.article in row["Grondslag"]
        assert row["Categorieën persoonsgegevens"].split("; ") == [
            register.categories[c].label for c in act.categories
        ] or (not act.categories and row["Categorieën persoonsgegevens"] == "")
        assert row["Bewaartermijn persoonsgegevens in het logboek (dagen)"] == str(
            act.retention_days
        )
        assert "Zaanstad" in row["Categorieën betrokkenen"]
        assert "logboek" in row["Beveiligingsmaatregelen"]
    # Recipients come from the flows: W&I's benefit data reach enforcement on Pw 53a/54/65.
    assert (
        "Handhaving en rechtmatigheid: Controle op de bijstandsuitkering "
        "(Participatiewet art. 53a lid 6, 54, 65)"
    ) in rows["pw-benefit"]["Ontvangers"]
    # What the team holds reaches no enforcement activity.
    assert "Controle op de bijstandsuitkering" not in rows["wmo-support"]["Ontvangers"]
    assert "Noodtoegang" in rows["wmo-support"]["Beveiligingsmaatregelen"]  # break_glass
    assert "Noodtoegang" not in rows["pw-benefit"]["Beveiligingsmaatregelen"]

    page = web.get("/console/register")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for key, act in register.activities.items():
        assert f'id="act-{key}"' in page.text
        assert act.legal_basis.article in page.text
    assert revision in page.text
    printable = web.get("/console/register/print?lang=en")
    assert printable.status_code == 200
    assert "/static/css/register-print.css" in printable.text
    assert "Record of processing activities (GDPR art. 30)" in printable.text
    assert web.get("/static/css/register-print.css").status_code == 200
    en = _csv(web, "en")
    assert [r["Activity (id)"] for r in en] == list(register.activities)


def test_every_view_and_download_is_a_decision_in_the_audit_trail(web: TestClient):
    login(web)
    revision, _ = _active(web)
    assert _exports(web) == []
    web.get("/console/register")
    _csv(web)
    web.get("/console/register/print")
    records = _exports(web)
    assert [r.record_id for r in records] == [
        f"art30.page:{revision}",
        f"art30.csv:{revision}",
        f"art30.print:{revision}",
    ]
    assert all(r.allowed and r.subject_id == "u-fg-1" for r in records)
    assert all(r.policy_input for r in records)  # decided by the policy, not by the route
    assert {r.municipality for r in records} == {"zaanstad"}


def test_the_export_follows_the_newly_activated_version(web: TestClient, token):
    login(web)
    before = {r["Activiteit (id)"]: r for r in _csv(web)}
    assert before["signalling"]["Bewaartermijn persoonsgegevens in het logboek (dagen)"] == "1825"
    patch = [
        {"op": "activity", "id": "signalling", "set": {"retention_days": 1000}},
        {"op": "activity", "id": "statistics", "set": {"label": "Tellingen voor beleid"}},
    ]
    drafted = web.post(
        "/v1/policies",
        json={"message": "shorter retention for signals", "register_patch": patch},
        headers=token(*PO_1),
    )
    assert drafted.status_code == 201, drafted.text
    rev = drafted.json()["revision"]
    diff = web.get(f"/console/diff?to={rev}&lang=en")
    assert diff.status_code == 200
    assert "<li>signalling: retention (days) 1825 → 1000</li>" in diff.text
    assert web.post(f"/v1/policies/{rev}/test", headers=token(*PO_1)).json()["passed"]
    assert web.post(f"/v1/policies/{rev}/simulate", headers=token(*PO_1)).status_code == 200
    assert web.post(f"/v1/policies/{rev}/approve", headers=token(*PO_2)).status_code == 200
    # Approved is not active: the export is still the active version's.
    assert _csv(web)[0:1] == list(before.values())[0:1]
    signalling = {r["Activiteit (id)"]: r for r in _csv(web)}["signalling"]
    assert signalling["Bewaartermijn persoonsgegevens in het logboek (dagen)"] == "1825"

    active = web.post(f"/v1/policies/{rev}/activate", headers=token(*PO_1))
    assert active.status_code == 200, active.text
    after = {r["Activiteit (id)"]: r for r in _csv(web)}
    assert after["signalling"]["Bewaartermijn persoonsgegevens in het logboek (dagen)"] == "1000"
    assert after["statistics"]["Verwerkingsactiviteit"] == "Tellingen voor beleid"
    assert _exports(web)[-1].record_id == f"art30.csv:{rev}"


def test_the_register_needs_a_console_login(web: TestClient):
    for path in ("/console/register", "/console/register/art30.csv", "/console/register/print"):
        resp = web.get(path)
        assert (resp.status_code, resp.headers["location"]) == (303, "/console/login")
    assert _exports(web) == []


# --- the register editor (first forms): an activity and a role's mandates ------------------


def _versions(client: TestClient) -> int:
    with Session(client.app.state.services.db) as s:  # type: ignore[attr-defined]
        return len(service.list_versions(s))


def _fields(activity: str) -> dict[str, object]:
    """The activity form as shipped (registry/register.yaml), consent left unchecked."""
    act = register_for(shipped_content()[1], "zaanstad").activities[activity]
    return {
        "article": act.legal_basis.article,
        "link": act.legal_basis.link,
        "explanation": act.legal_basis.explanation,
        "retention_days": str(act.retention_days),
        **({"confidential": "true"} if act.confidential else {}),
        "categories": list(act.categories),
    }


def _form(client: TestClient, page: str, action: str, **form: object):
    return client.post(action, data={"csrf_token": csrf(client, page), **form})


def test_an_officer_changes_consent_and_a_mandate_in_the_form_and_sees_register_terms(
    web: TestClient,
):
    login(web)
    page = "/console/register/edit?activity=signalling"
    form = web.get(page + "&lang=en")
    assert form.status_code == 200
    assert 'id="consent_admissible" name="consent_admissible" value="true" checked' in form.text
    resp = _form(
        web,
        page,
        "/console/register/edit/activity/signalling",
        message="Signals rest on the law only",
        **_fields("signalling"),
    )  # consent_admissible unchecked: not sent
    assert resp.status_code == 303, resp.text
    diff = web.get(resp.headers["location"] + "&lang=en")
    assert "<li>signalling: consent admissible yes → no</li>" in diff.text
    assert diff.text.count("<li>signalling:") == 1  # nothing else changed

    page = "/console/register/edit?role=income_officer"
    resp = _form(
        web, page, "/console/register/edit/mandates/income_officer",
        message="Income officers guide to work", activities=["pw-benefit", "pw-reintegration"],
    )  # fmt: skip
    assert resp.status_code == 303, resp.text
    diff = web.get(resp.headers["location"] + "&lang=en")
    assert "<li>zaanstad: income_officer gains pw-reintegration</li>" in diff.text


def test_an_edit_against_no_basis_is_refused_in_the_form_with_its_reason(web: TestClient):
    login(web)
    before = _versions(web)
    page = "/console/register/edit?activity=pw-enforcement"
    fields = _fields("pw-enforcement")
    act_categories = (
        register_for(shipped_content()[1], "zaanstad").activities["pw-enforcement"].categories
    )
    # Consent admissible for enforcement over the team's intake notes: the law says no.
    resp = _form(
        web, page, "/console/register/edit/activity/pw-enforcement",
        message="Enforcement may ask consent for the intake notes", consent_admissible="true",
        **{**fields, "categories": [*act_categories, "intake_notes"]},
    )  # fmt: skip
    assert resp.status_code == 422
    assert "consent admissible despite no_basis team-data-to-enforcement" in resp.text
    assert "Wat u het wijkteam vertelt, gaat niet naar handhaving" in resp.text
    assert 'id="c-intake_notes" name="categories" value="intake_notes" checked' in resp.text
    resp = _form(web, page, "/console/register/edit/activity/pw-enforcement", message="", **fields)
    assert resp.status_code == 422
    assert "Schrijf op waarom u deze wijziging maakt." in resp.text
    resp = _form(
        web, page, "/console/register/edit/activity/pw-enforcement", message="nothing", **fields
    )
    assert resp.status_code == 422  # the very same content: no change
    assert "Dit is geen wijziging" in resp.text
    page = "/console/register/edit?role=team_lead"
    resp = _form(
        web, page, "/console/register/edit/mandates/team_lead",
        message="m", activities=["statistics", "no-such-activity"],
    )  # fmt: skip
    assert resp.status_code == 422
    assert "mandates team_lead: unknown activity no-such-activity" in resp.text
    assert 'value="no-such-activity"' not in resp.text
    assert _versions(web) == before
    # Without the form's token nothing changes.
    no_token = web.post(
        "/console/register/edit/mandates/team_lead", data={"message": "m", "activities": "x"}
    )
    assert no_token.status_code == 403
    assert _versions(web) == before
