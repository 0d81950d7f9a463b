"""The record routes: the allowed and the denied path of each, and an audit record per decision."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from audit import AuditRecord
from gateway.app import create_app
from gateway.auth import issue_dev_token, load_or_create_dev_key
from gateway.demo import seed_demo
from records import CaseRecord

from .conftest import BSN_JOOST, BSN_SANNE

TEAM = ("u-anna", "team_generalist")
OOST = ("wt-oost",)


def _audit(client) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:
        return list(s.scalars(select(AuditRecord).order_by(col(AuditRecord.seq))))


def _store(client, token, category="intake_notes", team="wt-oost", resident=BSN_SANNE):
    resp = client.post(
        "/v1/records",
        json={"resident": resident, "category": category, "team": team, "content": "geheim"},
        headers=token(*TEAM, teams=OOST, activity="wmo-support")
        if team.startswith("wt-")
        else token("u-kees", "wi_client_manager", activity="pw-reintegration"),
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def test_store_allowed_writes_record_and_audit_together(client, token):
    rid = _store(client, token)
    [entry] = _audit(client)
    assert entry.event_type == "record.create"
    assert entry.allowed is True
    assert entry.record_id == rid
    assert entry.basis_type == "role"
    assert entry.resident != BSN_SANNE
    assert (entry.resident or "").startswith("p-")


def test_store_denied_stores_nothing_but_audits(client, token):
    resp = client.post(
        "/v1/records",
        json={"resident": BSN_SANNE, "category": "intake_notes", "team": "wt-oost", "content": "x"},
        headers=token("u-henk", "enforcement_officer", activity="pw-enforcement"),
    )
    assert resp.status_code == 403
    assert "support_data_stays_in_team" in [r["code"] for r in resp.json()["reasons"]]
    with Session(client.app.state.services.db) as s:
        assert s.scalar(select(func.count()).select_from(CaseRecord)) == 0
    [entry] = _audit(client)
    assert entry.allowed is False
    assert entry.reason_codes == ["support_data_stays_in_team"]


def test_store_validates_against_the_register(client, token):
    headers = token(*TEAM, teams=OOST, activity="wmo-support")
    body = {"resident": BSN_SANNE, "category": "intake_notes", "team": "wt-oost", "content": "x"}
    for field, value in (("category", "diary"), ("team", "wt-mars")):
        resp = client.post("/v1/records", json={**body, field: value}, headers=headers)
        assert resp.status_code == 422
        assert resp.json()["detail"][0]["loc"] == ["body", field]
    resp = client.post("/v1/records", json={**body, "team": "wi-zaanstad"}, headers=headers)
    assert resp.status_code == 422  # a W&I unit cannot hold team data
    assert _audit(client) == []


def test_read_allowed_returns_content(client, token):
    rid = _store(client, token)
    resp = client.get(
        f"/v1/records/{rid}", headers=token(*TEAM, teams=OOST, activity="wmo-support")
    )
    assert resp.status_code == 200
    assert resp.json()["content"] == "geheim"
    assert [e.allowed for e in _audit(client)] == [True, True]


def test_read_denied_has_reasons_and_no_content(client, token):
    rid = _store(client, token)
    resp = client.get(
        f"/v1/records/{rid}",
        headers=token("u-henk", "enforcement_officer", activity="pw-enforcement"),
    )
    assert resp.status_code == 403
    body = resp.json()
    assert "content" not in body
    assert "geheim" not in resp.text
    assert body["reasons"][0]["code"] == "support_data_stays_in_team"
    assert body["reasons"][0]["message"]
    denied = _audit(client)[-1]
    assert denied.allowed is False
    assert denied.subject_id == "u-henk"
    assert denied.processing_activity == "pw-enforcement"
    assert denied.purpose == "enforcement"


def test_the_activity_decides_not_the_person(client, token):
    rid = _store(client, token)
    spec = ("u-wim", "team_wi_specialist")
    ok = client.get(f"/v1/records/{rid}", headers=token(*spec, teams=OOST, activity="wmo-support"))
    no = client.get(
        f"/v1/records/{rid}", headers=token(*spec, teams=OOST, activity="pw-enforcement")
    )
    assert (ok.status_code, no.status_code) == (200, 403)


def test_read_unknown_record_is_404(client, token):
    resp = client.get(
        "/v1/records/r-nope", headers=token(*TEAM, teams=OOST, activity="wmo-support")
    )
    assert resp.status_code == 404


def test_activity_header_is_required_and_checked(client, token):
    rid = _store(client, token)
    resp = client.get(f"/v1/records/{rid}", headers=token(*TEAM, teams=OOST))
    assert resp.status_code == 400
    assert "X-Processing-Activity" in resp.json()["detail"]
    resp = client.get(f"/v1/records/{rid}", headers=token(*TEAM, teams=OOST, activity="snooping"))
    assert resp.status_code == 400
    assert "unknown processing activity" in resp.json()["detail"]


def test_token_is_required_and_checked(client, token):
    rid = _store(client, token)
    resp = client.get(f"/v1/records/{rid}", headers={"X-Processing-Activity": "wmo-support"})
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].startswith("Bearer")
    bad = {"Authorization": "Bearer not.a.jwt", "X-Processing-Activity": "wmo-support"}
    assert client.get(f"/v1/records/{rid}", headers=bad).status_code == 401


def test_list_returns_allowed_and_counts_withheld(client, token):
    _store(client, token, "intake_notes")
    _store(client, token, "income", team="wi-zaanstad")
    _store(client, token, "signal", resident=BSN_JOOST)
    before = len(_audit(client))
    resp = client.get(
        f"/v1/residents/{BSN_SANNE}/records",
        headers=token("u-kees", "wi_client_manager", activity="pw-reintegration"),
    )
    assert resp.status_code == 200
    body = resp.json()
    assert [r["category"] for r in body["records"]] == ["income"]
    assert body["withheld"] == 1
    after = _audit(client)[before:]
    assert sorted(e.allowed for e in after) == [False, True]


def test_list_denied_path_withholds_everything(client, token):
    _store(client, token, "intake_notes")
    resp = client.get(
        f"/v1/residents/{BSN_SANNE}/records",
        headers=token("u-henk", "enforcement_officer", activity="pw-enforcement"),
    )
    assert resp.status_code == 200
    assert resp.json() == {"records": [], "withheld": 1}
    assert _audit(client)[-1].allowed is False


def test_resident_reads_own_records_only(client, token):
    _store(client, token, "intake_notes")
    _store(client, token, "signal", resident=BSN_JOOST)
    own = client.get(
        f"/v1/residents/{BSN_SANNE}/records",
        headers=token(BSN_SANNE, "resident", activity="own-access"),
    )
    assert own.status_code == 200
    assert [r["category"] for r in own.json()["records"]] == ["intake_notes"]
    other = client.get(
        f"/v1/residents/{BSN_JOOST}/records",
        headers=token(BSN_SANNE, "resident", activity="own-access"),
    )
    assert other.json() == {"records": [], "withheld": 1}


def test_privacy_officer_never_reads_content(client, token):
    rid = _store(client, token)
    resp = client.get(
        f"/v1/records/{rid}", headers=token("u-fg", "privacy_officer", activity="wmo-support")
    )
    assert resp.status_code == 403
    assert "geheim" not in resp.text


# --- emergency access, redaction, handover (issue 3) ----------------------------------------


def _store_as(client, headers, category, team, resident=BSN_SANNE, **extra):
    resp = client.post(
        "/v1/records",
        json={"resident": resident, "category": category, "team": team, "content": "vrije tekst"}
        | extra,
        headers=headers,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def test_break_glass_header_opens_another_teams_record_and_is_audited(client, token):
    rid = _store(client, token, category="support_plan")
    west = token("u-wim", "team_generalist", teams=("wt-west",), activity="wmo-support")
    resp = client.get(f"/v1/records/{rid}", headers=west)
    assert resp.status_code == 403
    assert [r["code"] for r in resp.json()["reasons"]] == ["other_team"]
    assert resp.json()["reasons"][0]["message_nl"]  # Dutch alongside English
    resp = client.get(
        f"/v1/records/{rid}",
        headers=west | {"X-Break-Glass-Justification": "Crisis; eigen team niet bereikbaar."},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["content"] == "geheim"
    entry = _audit(client)[-1]
    assert (entry.basis_type, entry.reason_codes) == ("break_glass", ["emergency_access"])
    assert entry.policy_input is not None
    assert entry.policy_input["context"]["break_glass"] == {
        "justification": "Crisis; eigen team niet bereikbaar."
    }


def test_a_blank_justification_is_no_justification(client, token):
    rid = _store(client, token, category="household_safety")
    headers = token(*TEAM, teams=OOST, activity="safety-report")
    for extra in ({}, {"X-Break-Glass-Justification": "   "}):
        resp = client.get(f"/v1/records/{rid}", headers=headers | extra)
        assert resp.status_code == 403
        assert [r["code"] for r in resp.json()["reasons"]] == ["justification_required"]
    resp = client.get(
        f"/v1/records/{rid}",
        headers=headers | {"X-Break-Glass-Justification": "Meldrecht: zorgen om veiligheid thuis"},
    )
    assert resp.status_code == 200
    assert _audit(client)[-1].reason_codes == ["justified_report"]


def test_wi_does_not_learn_that_a_team_holds_a_signal(client, token):
    # Issue 17, finding 1: this test asserted that W&I read a team's signal with its content
    # redacted (the flow signal-existence-to-reintegration). That a signal exists is support
    # data too (LAW.md row 6: consent only), so W&I is refused it, also in the listing.
    rid = _store(client, token, category="signal")
    kees = token("u-kees", "wi_client_manager", activity="pw-reintegration")
    resp = client.get(f"/v1/records/{rid}", headers=kees)
    assert resp.status_code == 403, resp.text
    assert [r["code"] for r in resp.json()["reasons"]] == ["consent_required"]
    entry = _audit(client)[-1]
    assert (entry.allowed, entry.redacted) == (False, [])
    resp = client.get(f"/v1/residents/{BSN_SANNE}/records", headers=kees)
    assert [r for r in resp.json()["records"] if r["id"] == rid] == []


def test_handover_moves_the_whole_case_and_is_audited(client, token):
    first = _store(client, token, category="intake_notes")
    second = _store(client, token, category="support_plan")
    other = _store(client, token, category="intake_notes", resident=BSN_JOOST)
    anna = token(*TEAM, teams=OOST, activity="wmo-support")
    resp = client.post(f"/v1/records/{first}/handover", json={"to_team": "wt-west"}, headers=anna)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "from_team": "wt-oost",
        "to_team": "wt-west",
        "moved": sorted([first, second]),
    }
    handovers = [e for e in _audit(client) if e.event_type == "record.handover"]
    assert [(e.allowed, e.reason_codes) for e in handovers] == [(True, ["case_handover"])] * 2
    # The old team no longer reads it; the new team does; other residents did not move.
    assert client.get(f"/v1/records/{first}", headers=anna).status_code == 403
    west = token("u-wim", "team_generalist", teams=("wt-west",), activity="wmo-support")
    assert client.get(f"/v1/records/{second}", headers=west).status_code == 200
    assert client.get(f"/v1/records/{other}", headers=anna).status_code == 200


def test_handover_by_another_team_or_to_a_non_team_is_refused(client, token):
    rid = _store(client, token)
    west = token("u-wim", "team_generalist", teams=("wt-west",), activity="wmo-support")
    resp = client.post(f"/v1/records/{rid}/handover", json={"to_team": "wt-west"}, headers=west)
    assert resp.status_code == 403
    assert [r["code"] for r in resp.json()["reasons"]] == ["handover_by_owning_team_only"]
    anna = token(*TEAM, teams=OOST, activity="wmo-support")
    for to_team in ("wi-zaanstad", "wt-oost", "wt-mars"):
        resp = client.post(f"/v1/records/{rid}/handover", json={"to_team": to_team}, headers=anna)
        assert resp.status_code == 422, to_team
    assert client.get(f"/v1/records/{rid}", headers=anna).status_code == 200


def test_one_deployment_separates_municipalities_and_serves_the_regional_service(settings, clock):
    krh = settings.model_copy(update={"profile": "kromme-rijn-heuvelland"})
    app = create_app(krh, clock=clock)
    client = TestClient(app, raise_server_exceptions=False)
    key = load_or_create_dev_key(krh.dev_key_file)

    def tok(sub, role, municipality, activity, organisation=None, teams=()):
        t = issue_dev_token(
            key,
            issuer=krh.auth.issuer,
            audience=krh.auth.audience,
            sub=sub,
            roles=[role],
            municipality=municipality,
            organisation=organisation or f"gemeente-{municipality}",
            teams=teams,
        )
        return {"Authorization": f"Bearer {t}", "X-Processing-Activity": activity}

    try:
        rsd = tok("u-rsd", "wi_client_manager", "zeist", "pw-benefit", organisation="rsd-krh")
        bunnik_team = tok("u-b", "team_generalist", "bunnik", "wmo-support", teams=("st-bunnik",))
        zeist_team = tok(
            "u-z", "team_generalist", "zeist", "wmo-support", teams=("wt-zeist-noord",)
        )
        notes = _store_as(client, bunnik_team, "intake_notes", "st-bunnik")
        income = _store_as(client, rsd, "income", "rsd-krh-wi", municipality="bunnik")
        resp = client.post(
            "/v1/records",
            json={
                "resident": BSN_SANNE,
                "category": "income",
                "team": "rsd-krh-wi",
                "content": "x",
            },
            headers=rsd,
        )
        assert resp.status_code == 422  # a regional unit needs the resident's municipality
        assert client.get(f"/v1/records/{notes}", headers=bunnik_team).status_code == 200
        resp = client.get(f"/v1/records/{notes}", headers=zeist_team)
        assert [r["code"] for r in resp.json()["reasons"]] == ["other_municipality"]
        resp = client.get(f"/v1/records/{income}", headers=rsd)
        assert resp.status_code == 200
        assert resp.json()["municipality"] == "bunnik"
        resp = client.get(
            f"/v1/records/{notes}",
            headers=tok(
                "u-rsd", "wi_client_manager", "zeist", "pw-reintegration", organisation="rsd-krh"
            ),
        )
        # Its own domains only: team data never without a consent, whatever the municipality
        # (issue 17, finding 5: the reason was `support_data_stays_in_team`).
        assert [r["code"] for r in resp.json()["reasons"]] == ["outside_regional_service"]
    finally:
        app.state.services.db.dispose()
        client.close()


# --- the README tour, step 5: one allow and one denial per profile family -------------------

#: (profile, sub, role, municipality, organisation, teams, activity, method, path, body,
#:  status, reason code or None)
TOUR = [
    # Issue 17, finding 1: DWI was shown that the team holds a signal (200, content redacted);
    # without the resident's consent it now learns nothing of the team's file.
    ("haarlem", "u-dwi", "wi_client_manager", "haarlem", None, (), "pw-reintegration",
     "GET", "/v1/records/r-demo-hl-signal", None, 403, "consent_required"),
    ("haarlem", "u-wit", "team_wi_specialist", "haarlem", None, ("swt-schalkwijk",),
     "pw-reintegration", "GET", "/v1/records/r-demo-hl-income", None, 200, None),
    ("haarlem", "u-wit", "team_wi_specialist", "haarlem", None, ("swt-schalkwijk",),
     "pw-enforcement", "GET", "/v1/records/r-demo-hl-income", None, 403, "no_mandate"),
    ("hilversum", "u-plein", "team_generalist", "hilversum", None, ("sociaal-plein",),
     "wmo-support", "GET", "/v1/records/r-demo-hv-intake", None, 200, None),
    ("hilversum", "u-coach", "wi_client_manager", "hilversum", None, (), "pw-reintegration",
     "POST", "/v1/records", {"resident": BSN_SANNE, "category": "reintegration_plan",
                             "team": "werkervaring-hilversum", "content": "x"}, 403, "no_dossier"),
    ("kromme-rijn-heuvelland", "u-rsd", "wi_client_manager", "zeist", "rsd-krh", (),
     "pw-benefit", "GET", "/v1/records/r-demo-krh-income", None, 200, None),
    ("kromme-rijn-heuvelland", "u-rsd", "wi_client_manager", "zeist", "rsd-krh", (),
     "pw-reintegration", "GET", "/v1/records/r-demo-krh-notes", None, 403,
     "outside_regional_service"),
    ("kromme-rijn-heuvelland", "u-zeist", "team_generalist", "zeist", None, ("wt-zeist-noord",),
     "wmo-support", "GET", "/v1/records/r-demo-krh-notes", None, 403, "other_municipality"),
    ("zaanstad", "u-anna", "team_generalist", "zaanstad", None, ("wt-oost",), "wmo-support",
     "GET", "/v1/records/r-demo-intake", None, 200, None),
    ("zaanstad", "u-henk", "enforcement_officer", "zaanstad", None, (), "pw-enforcement",
     "GET", "/v1/records/r-demo-intake", None, 403, "support_data_stays_in_team"),
]  # fmt: skip


@pytest.mark.parametrize("profile", sorted({t[0] for t in TOUR}))
def test_the_readme_tour_per_profile_family(settings, clock, profile):
    prof_settings = settings.model_copy(update={"profile": profile})
    app = create_app(prof_settings, clock=clock)
    client = TestClient(app, raise_server_exceptions=False)
    services = app.state.services
    key = load_or_create_dev_key(prof_settings.dev_key_file)
    try:
        assert seed_demo(services.db, services.pseudonymize, clock, profile) > 0
        for _, sub, role, municipality, org, teams, activity, method, path, body, status, code in (
            t for t in TOUR if t[0] == profile
        ):
            tok = issue_dev_token(
                key,
                issuer=prof_settings.auth.issuer,
                audience=prof_settings.auth.audience,
                sub=sub,
                roles=[role],
                municipality=municipality,
                organisation=org or f"gemeente-{municipality}",
                teams=teams,
            )
            headers = {"Authorization": f"Bearer {tok}", "X-Processing-Activity": activity}
            resp = client.request(method, path, json=body, headers=headers)
            assert resp.status_code == status, (path, resp.text)
            if code:
                assert [r["code"] for r in resp.json()["reasons"]] == [code]
    finally:
        services.db.dispose()
        client.close()
