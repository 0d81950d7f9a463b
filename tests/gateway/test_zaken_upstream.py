"""Upstream mode: a ZGW Zaken API behind the gateway. Each route allowed and denied, redacted
fields absent, an upstream that fails or times out refused with no data and audited, an
unknown zaaktype refused, a list of mixed cases filtered as the dossier listing is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.fakes.zaken_api import ENFORCEMENT, INCOME, SIGNAL, WMO, ZAANSTAD, FakeZakenApi

from .conftest import BSN_JOOST, BSN_SANNE
from .zgw import audit_records, engine_with_flow_redact, upstream_settings, zaken_api

API = "/zgw/zaken/api/v1"
ANNA = ("u-anna", "team_generalist")
OOST = ("wt-oost",)
UNKNOWN_ZT = "https://catalogi.zaanstad.demo/catalogi/api/v1/zaaktypen/not-in-the-register"


@pytest.fixture
def zgw() -> Iterator[FakeZakenApi]:
    yield from zaken_api()


@pytest.fixture
def settings(settings: Settings, zgw: FakeZakenApi) -> Settings:
    return upstream_settings(settings, zgw)


def _wmo(zgw: FakeZakenApi, bsn: str = BSN_SANNE, unit: str = "WT-OOST") -> dict[str, Any]:
    return zgw.add_zaak(
        WMO,
        ZAANSTAD,
        residents=(bsn,),
        unit=unit,
        omschrijving="Hulp bij het huishouden",
        toelichting="Keukentafelgesprek: wat mevrouw vertelde.",
    )


def test_a_team_member_reads_a_case_of_her_team(client, token, zgw):
    zaak = _wmo(zgw)
    resp = client.get(
        f"{API}/zaken/{zaak['uuid']}", headers=token(*ANNA, teams=OOST, activity="wmo-support")
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == zaak  # the upstream's case as it is: nothing withheld
    [rec] = audit_records(client)
    assert (rec.event_type, rec.record_id, rec.allowed) == (
        "record.read",
        f"zaak/{zaak['uuid']}",
        True,
    )
    assert (rec.category, rec.resource_team, rec.municipality) == (
        "intake_notes",
        "wt-oost",
        "zaanstad",
    )
    assert rec.resident == client.app.state.services.pseudonymize(BSN_SANNE)
    assert rec.basis_type == "role"


def test_an_enforcement_officer_is_refused_with_no_data(client, token, zgw):
    zaak = _wmo(zgw)
    resp = client.get(
        f"{API}/zaken/{zaak['uuid']}",
        headers=token("u-henk", "enforcement_officer", activity="pw-enforcement"),
    )
    assert resp.status_code == 403
    assert [r["code"] for r in resp.json()["reasons"]] == ["support_data_stays_in_team"]
    assert "Keukentafel" not in resp.text
    assert zaak["uuid"] not in resp.text
    [rec] = audit_records(client)
    assert (rec.allowed, rec.reason_codes) == (False, ["support_data_stays_in_team"])


def test_another_team_is_refused(client, token, zgw):
    zaak = _wmo(zgw, unit="WT-WEST")
    resp = client.get(
        f"{API}/zaken/{zaak['uuid']}", headers=token(*ANNA, teams=OOST, activity="wmo-support")
    )
    assert resp.status_code == 403
    [rec] = audit_records(client)
    assert (rec.resource_team, rec.allowed) == ("wt-west", False)


def test_unknown_zaaktype_is_refused_and_audited(client, token, zgw):
    zaak = zgw.add_zaak(UNKNOWN_ZT, ZAANSTAD, residents=(BSN_SANNE,), unit="WT-OOST")
    resp = client.get(
        f"{API}/zaken/{zaak['uuid']}", headers=token(*ANNA, teams=OOST, activity="wmo-support")
    )
    assert resp.status_code == 403
    assert [r["code"] for r in resp.json()["reasons"]] == ["unknown_zaaktype"]
    [rec] = audit_records(client)
    assert (rec.allowed, rec.reason_codes, rec.category) == (False, ["unknown_zaaktype"], "")
    assert rec.policy_input is None  # refused by the enforcement point: no policy input to replay
    assert rec.resident == client.app.state.services.pseudonymize(BSN_SANNE)


@pytest.mark.parametrize(
    ("bronorganisatie", "unit", "residents", "code"),
    [
        ("001005650", "WT-OOST", (BSN_SANNE,), "unknown_organisation"),  # Haarlem's RSIN
        (ZAANSTAD, "WT-NIEMAND", (BSN_SANNE,), "unknown_handling_unit"),
        (ZAANSTAD, "WT-OOST", (), "no_resident"),
    ],
)
def test_facts_the_register_does_not_know_are_refused(
    client, token, zgw, bronorganisatie, unit, residents, code
):
    zaak = zgw.add_zaak(WMO, bronorganisatie, residents=residents, unit=unit)
    resp = client.get(
        f"{API}/zaken/{zaak['uuid']}", headers=token(*ANNA, teams=OOST, activity="wmo-support")
    )
    assert resp.status_code == 403
    assert [r["code"] for r in resp.json()["reasons"]] == [code]
    assert [r.reason_codes for r in audit_records(client)] == [[code]]


def test_a_case_about_two_residents_is_decided_for_each(client, token, zgw):
    zaak = zgw.add_zaak(WMO, ZAANSTAD, residents=(BSN_SANNE, BSN_JOOST), unit="WT-OOST")
    resp = client.get(
        f"{API}/zaken/{zaak['uuid']}", headers=token(*ANNA, teams=OOST, activity="wmo-support")
    )
    assert resp.status_code == 200
    pseudo = client.app.state.services.pseudonymize
    assert [r.resident for r in audit_records(client)] == [pseudo(BSN_SANNE), pseudo(BSN_JOOST)]


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ("error", 502, "upstream_unavailable"),
        ("timeout", 504, "upstream_timeout"),
        ("down", 502, "upstream_unavailable"),
    ],
)
def test_an_upstream_failure_is_refused_with_no_data_and_audited(
    client, token, zgw, fault, status, code
):
    zaak = _wmo(zgw)
    if fault == "error":
        zgw.fail_status = 500
    elif fault == "timeout":
        zgw.delay_seconds = 3.0  # the gateway waits 2 s
    else:
        zgw.stop()
    resp = client.get(
        f"{API}/zaken/{zaak['uuid']}", headers=token(*ANNA, teams=OOST, activity="wmo-support")
    )
    assert resp.status_code == status
    assert "Keukentafel" not in resp.text
    assert "zaaktype" not in resp.text
    [rec] = audit_records(client)
    assert (rec.allowed, rec.reason_codes, rec.record_id) == (False, [code], f"zaak/{zaak['uuid']}")


def test_a_list_on_the_bsn_filter_upstream_failure_is_audited_for_that_resident(client, token, zgw):
    zgw.fail_status = 500
    resp = client.get(
        f"{API}/zaken",
        params={"rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn": BSN_SANNE},
        headers=token(*ANNA, teams=OOST, activity="wmo-support"),
    )
    assert resp.status_code == 502
    [rec] = audit_records(client)
    assert rec.resident == client.app.state.services.pseudonymize(BSN_SANNE)
    assert rec.reason_codes == ["upstream_unavailable"]


def _mixed(zgw: FakeZakenApi) -> list[dict[str, Any]]:
    """Sanne's cases: Wmo of wt-oost, Wmo of wt-west, income of W&I, an investigation."""
    return [
        _wmo(zgw),
        _wmo(zgw, unit="WT-WEST"),
        zgw.add_zaak(INCOME, ZAANSTAD, residents=(BSN_SANNE,), unit="WI"),
        zgw.add_zaak(ENFORCEMENT, ZAANSTAD, residents=(BSN_SANNE,), unit="HH"),
        zgw.add_zaak(WMO, ZAANSTAD, residents=(BSN_JOOST,), unit="WT-OOST"),  # not Sanne's
    ]


# (category, team) of _mixed's first four cases, to store as the gateway's own records.
MIXED_AS_RECORDS = [
    ("intake_notes", "wt-oost"),
    ("intake_notes", "wt-west"),
    ("income", "wi-zaanstad"),
    ("enforcement_case", "handhaving-zaanstad"),
]


@pytest.mark.parametrize(
    ("who", "teams", "activity"),
    [
        (ANNA, OOST, "wmo-support"),
        (("u-kees", "wi_client_manager"), (), "pw-benefit"),
        (("u-henk", "enforcement_officer"), (), "pw-enforcement"),
    ],
)
def test_a_list_of_mixed_cases_is_filtered_as_the_dossier_listing(
    client, token, zgw, who, teams, activity
):
    cases = _mixed(zgw)
    headers = token(*who, teams=teams, activity=activity)
    resp = client.get(
        f"{API}/zaken",
        params={"rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn": BSN_SANNE},
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    listed = {z["uuid"] for z in body["results"]}
    # The gateway's own dossier listing of the same four cases stored as records.
    writer = token("u-sys", "team_wi_specialist", teams=("wt-oost",), activity="wmo-support")
    services = client.app.state.services
    from gateway.db import session_scope
    from records import CaseRecord, create_record

    with session_scope(services.db) as session:
        for i, (category, team) in enumerate(MIXED_AS_RECORDS):
            create_record(
                session,
                CaseRecord(
                    id=f"r-{i}",
                    resident=BSN_SANNE,
                    resident_pseudonym=services.pseudonymize(BSN_SANNE),
                    category=category,
                    team=team,
                    municipality="zaanstad",
                    content="x",
                    created_at_ns=1,
                    created_by="u-sys",
                ),
            )
    del writer
    dossier = client.get(f"/v1/residents/{BSN_SANNE}/records", headers=headers).json()
    assert listed == {cases[int(r["id"][2:])]["uuid"] for r in dossier["records"]}
    assert (body["count"], body["withheld"]) == (len(dossier["records"]), dossier["withheld"])
    if body["withheld"] is not None:  # only to a caller with a relationship to Sanne
        assert body["count"] + body["withheld"] == 4
    # one audit record per case of the page (then four for the dossier listing)
    recs = audit_records(client)[:4]
    assert {r.record_id for r in recs} == {f"zaak/{c['uuid']}" for c in cases[:4]}
    assert sum(r.allowed for r in recs) == body["count"]


def test_paging_is_the_upstreams_pages_filtered_with_links_to_the_gateway(
    make_client, settings, token, zgw
):
    zgw.page_size = 2
    cases = _mixed(zgw)[:4]
    client = make_client()
    headers = token(*ANNA, teams=OOST, activity="wmo-support")
    params = {"rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn": BSN_SANNE}
    first = client.get(f"{API}/zaken", params=params, headers=headers).json()
    assert [z["uuid"] for z in first["results"]] == [cases[0]["uuid"]]
    assert (first["withheld"], first["previous"]) == (1, None)
    assert first["next"].startswith(f"http://testserver{API}/zaken?")
    assert "page=2" in first["next"]
    assert zgw.url not in first["next"]
    second = client.get(first["next"], headers=headers).json()
    # No case of this page is her team's, and the gateway holds no record of Sanne: what the
    # page withheld is not said (a relationship is judged from what the gateway can see).
    assert (second["results"], second["withheld"], second["next"]) == ([], None, None)
    assert "page=1" in second["previous"]


@pytest.mark.parametrize(
    "params", [{"archiefstatus": "nog_te_archiveren"}, {"page": "0"}, {"page": "x"}]
)
def test_a_filter_the_gateway_does_not_know_is_refused(client, token, zgw, params):
    resp = client.get(
        f"{API}/zaken", params=params, headers=token(*ANNA, teams=OOST, activity="wmo-support")
    )
    assert resp.status_code == 422
    assert zgw.requests == []


def test_rollen_of_a_case_are_decided_as_that_case(client, token, zgw):
    zaak = _wmo(zgw)
    headers = token(*ANNA, teams=OOST, activity="wmo-support")
    resp = client.get(f"{API}/rollen", params={"zaak": zaak["url"]}, headers=headers)
    assert resp.status_code == 200, resp.text
    rollen = resp.json()["results"]
    assert {r["betrokkeneType"] for r in rollen} == {
        "natuurlijk_persoon",
        "organisatorische_eenheid",
    }
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    denied = client.get(f"{API}/rollen", params={"zaak": zaak["url"]}, headers=henk)
    assert denied.status_code == 403
    assert BSN_SANNE not in denied.text
    assert [(r.record_id, r.allowed) for r in audit_records(client)] == [
        (f"zaak/{zaak['uuid']}/rollen", True),
        (f"zaak/{zaak['uuid']}/rollen", False),
    ]
    other = client.get(
        f"{API}/rollen", params={"zaak": "https://elders.example/zaken/x"}, headers=headers
    )
    assert other.status_code == 422


def _new(zaaktype: str = WMO) -> dict[str, Any]:
    return {
        "zaaktype": zaaktype,
        "bronorganisatie": ZAANSTAD,
        "verantwoordelijkeOrganisatie": ZAANSTAD,
        "startdatum": "2026-11-29",
        "omschrijving": "Nieuwe Wmo-melding",
    }


def test_a_new_case_is_decided_with_the_facts_of_its_body(client, token, zgw):
    resp = client.post(
        f"{API}/zaken", json=_new(), headers=token(*ANNA, teams=OOST, activity="wmo-support")
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["uuid"] in zgw.zaken
    [rec] = audit_records(client)
    assert (rec.action, rec.allowed, rec.category, rec.resource_team) == (
        "create",
        True,
        "intake_notes",
        "wt-oost",
    )


@pytest.mark.parametrize(
    ("who", "teams", "activity", "zaaktype", "code"),
    [
        (("u-henk", "enforcement_officer"), (), "pw-enforcement", WMO, "unknown_handling_unit"),
        (("u-henk", "enforcement_officer"), (), "pw-enforcement", SIGNAL, "unknown_handling_unit"),
        (("u-bert", "team_generalist"), ("wt-west",), "pw-enforcement", WMO, "no_mandate"),
        (ANNA, OOST, "wmo-support", UNKNOWN_ZT, "unknown_zaaktype"),
    ],
)
def test_a_new_case_refused_never_reaches_the_upstream(
    client, token, zgw, who, teams, activity, zaaktype, code
):
    resp = client.post(
        f"{API}/zaken", json=_new(zaaktype), headers=token(*who, teams=teams, activity=activity)
    )
    assert resp.status_code == 403
    assert [r["code"] for r in resp.json()["reasons"]] == [code]
    assert zgw.zaken == {}
    assert not [r for r in zgw.requests if r[0] == "POST"]
    assert [r.reason_codes for r in audit_records(client)] == [[code]]


def test_a_body_the_upstream_refuses_names_its_fields_only(client, token, zgw):
    body = {k: v for k, v in _new().items() if k != "startdatum"}
    resp = client.post(
        f"{API}/zaken", json=body, headers=token(*ANNA, teams=OOST, activity="wmo-support")
    )
    assert resp.status_code == 422
    assert resp.json()["fields"] == ["startdatum"]


def test_upstream_mode_off_is_not_found(make_client, settings, token):
    client = make_client(services=None)
    client.app.state.services.upstream = None
    resp = client.get(f"{API}/zaken", headers=token(*ANNA, teams=OOST, activity="wmo-support"))
    assert resp.status_code == 404


def test_a_flows_redact_removes_the_named_fields(settings, clock, token, zgw, tmp_path):
    """A flow's `redact` names fields of the upstream's case: here the Participation-Act
    flow to enforcement withholds a case's `toelichting` (a test register: the shipped one
    has no redacting flow today). The field is absent from the case, from a list and, as a
    name a rol does not have, the roles' free text is withheld (fail closed); the audit
    names what was removed."""
    engine = engine_with_flow_redact(
        "zaanstad", "pw-data-to-enforcement", ["toelichting"], tmp_path
    )
    zaak = zgw.add_zaak(
        INCOME,
        ZAANSTAD,
        residents=(BSN_SANNE,),
        unit="WI",
        omschrijving="Aanvraag bijstand",
        toelichting="Mevrouw vertelde over haar schulden.",
    )
    with TestClient(create_app(settings, clock=clock, engine=engine)) as client:
        henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
        resp = client.get(f"{API}/zaken/{zaak['uuid']}", headers=henk)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert "toelichting" not in body
        assert "schulden" not in resp.text
        assert body == {k: v for k, v in zaak.items() if k != "toelichting"}
        assert resp.headers["X-Doelbinding-Redacted"] == "toelichting"
        rollen = client.get(f"{API}/rollen", params={"zaak": zaak["url"]}, headers=henk)
        assert rollen.status_code == 200
        assert all("roltoelichting" not in r for r in rollen.json()["results"])
        listed = client.get(
            f"{API}/zaken",
            params={"rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn": BSN_SANNE},
            headers=henk,
        ).json()
        assert [("toelichting" in z, z["omschrijving"]) for z in listed["results"]] == [
            (False, "Aanvraag bijstand")
        ]
        recs = audit_records(client)
        assert [(r.allowed, r.reason_codes, r.redacted) for r in recs] == [
            (True, ["legal_flow"], ["toelichting"]),
            (True, ["legal_flow"], ["roltoelichting"]),
            (True, ["legal_flow"], ["toelichting"]),
        ]
    # After the app's shutdown (its checkpointer may still have used the pool until then).
    client.app.state.services.db.dispose()  # type: ignore[attr-defined]


def test_the_readme_tour_step_7(client, token, zgw, capsys):
    """README tour, step 7 (`make run-zgw`): a team member reads Sanne's Wmo case through the
    gateway, an enforcement officer is refused, and Sanne's access log has both: the read as
    an entry, and the refused enforcement attempt too (no investigation is registered)."""
    from tests.fakes.zaken_api import DEMO_WMO, seed_demo

    seed_demo(zgw)
    anna = token(*ANNA, teams=OOST, activity="wmo-support")
    assert client.get(f"{API}/zaken/{DEMO_WMO}", headers=anna).status_code == 200
    henk = token("u-henk", "enforcement_officer", activity="pw-enforcement")
    denied = client.get(f"{API}/zaken/{DEMO_WMO}", headers=henk)
    assert denied.status_code == 403
    assert denied.json()["reasons"][0]["code"] == "support_data_stays_in_team"
    listed = client.get(
        f"{API}/zaken",
        params={"rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn": BSN_SANNE},
        headers=anna,
    ).json()
    assert ([z["uuid"] for z in listed["results"]], listed["withheld"]) == ([DEMO_WMO], 1)
    log = client.get("/v1/me/access-log", headers=token(BSN_SANNE, "resident")).json()
    reads = [e for e in log["entries"] if e["allowed"]]
    assert len(reads) == 2  # the read and the list's Wmo case (the list's income case: denied)
    # No investigation is registered: the refused enforcement look shows at once.
    assert log["held_back"] == 0
    looks = [e for e in log["entries"] if e["processing_activity"] == "pw-enforcement"]
    assert [e["allowed"] for e in looks] == [False]
    assert BSN_SANNE not in capsys.readouterr().out  # the BSN filter never reaches a log line


def test_a_resident_is_named_upstream_by_pseudonym(client, token, zgw):
    zaak = _wmo(zgw)
    resp = client.get(
        f"{API}/zaken/{zaak['uuid']}", headers=token(BSN_SANNE, "resident", activity="own-access")
    )
    assert resp.status_code == 200  # her own case (own-access)
    assert BSN_SANNE not in zgw.callers
    assert set(zgw.callers) == {client.app.state.services.pseudonymize(BSN_SANNE)}


def test_a_new_case_the_upstream_then_fails_is_a_second_audit_record(client, token, zgw):
    zgw.fail_status = 500
    resp = client.post(
        f"{API}/zaken", json=_new(), headers=token(*ANNA, teams=OOST, activity="wmo-support")
    )
    assert resp.status_code == 502
    assert [(r.action, r.allowed, r.reason_codes) for r in audit_records(client)] == [
        ("create", True, ["team_member_support"]),
        ("create", False, ["upstream_unavailable"]),
    ]


def test_openapi_documents_the_upstream_and_forward_auth_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        f"{API}/zaken",
        f"{API}/zaken/{{uuid}}",
        f"{API}/rollen",
        "/authz/zgw",
        "/authz/ext/{path}",
    ):
        assert path in paths
