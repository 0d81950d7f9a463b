"""The upstream case system's domain: route table, case facts, redaction, the ZGW client JWT."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from registry import load_register
from registry.errors import InvalidRegister
from registry.zaaktypes import ZaaktypeMap, load_zaaktypes
from zaken import (
    Kind,
    UnknownRoute,
    case_facts,
    fields_to_remove,
    match,
    redact,
    residents_of,
    zgw_token,
)

ROOT = "/zaken/api/v1"
UUID = "0b9e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a5b"


@pytest.mark.parametrize(
    ("method", "target", "kind", "uuid"),
    [
        ("GET", f"{ROOT}/zaken/{UUID}", Kind.ZAAK_READ, UUID),
        ("get", f"{ROOT}/zaken/{UUID.upper()}/", Kind.ZAAK_READ, UUID),
        ("GET", f"{ROOT}/zaken?page=2", Kind.ZAAK_LIST, None),
        ("GET", f"{ROOT}/rollen?zaak=x", Kind.ROL_LIST, None),
        ("POST", f"{ROOT}/zaken", Kind.ZAAK_CREATE, None),
    ],
)
def test_the_route_table_maps_requests_onto_kinds(method, target, kind, uuid):
    found = match(method, target, ROOT)
    assert (found.kind, found.uuid) == (kind, uuid)


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("GET", f"{ROOT}/statussen"),
        ("DELETE", f"{ROOT}/zaken/{UUID}"),
        ("GET", f"{ROOT}/zaken/{'-' * 36}"),
        ("GET", f"/other{ROOT}/zaken"),
        ("GET", f"{ROOT}/zaken/{UUID}/audittrail"),
        ("PUT", f"{ROOT}/zaken/{UUID}"),
    ],
)
def test_anything_else_is_not_routed(method, target):
    with pytest.raises(UnknownRoute):
        match(method, target, ROOT)


def test_the_query_is_kept_decoded():
    found = match("GET", f"{ROOT}/rollen?zaak=http%3A%2F%2Fh%2Fzaken%2F1", ROOT)
    assert found.param("zaak") == "http://h/zaken/1"


@pytest.fixture(scope="module")
def mapping() -> ZaaktypeMap:
    return load_zaaktypes(load_register("zaanstad"))


ZT = "https://catalogi.zaanstad.demo/catalogi/api/v1/zaaktypen/3f1e1c36-7c2b-4a55-9d9a-0b2f3c6f1a0"


def _rol(kind: str, generiek: str, **ident: str) -> dict[str, object]:
    return {
        "betrokkeneType": kind,
        "omschrijvingGeneriek": generiek,
        "betrokkeneIdentificatie": ident,
    }


PERSON = _rol("natuurlijk_persoon", "aanvrager", inpBsn="999990019")
OOST = _rol("organisatorische_eenheid", "behandelaar", identificatie="WT-OOST")


def test_facts_come_from_the_register_mapping(mapping):
    zaak = {"zaaktype": f"{ZT}1", "bronorganisatie": "002564440"}
    facts = case_facts(zaak, [PERSON, OOST], mapping)
    assert (facts.category, facts.team, facts.municipality, facts.residents, facts.refusal) == (
        "intake_notes",
        "wt-oost",
        "zaanstad",
        ("999990019",),
        None,
    )


def test_a_zaaktype_with_its_own_unit_ignores_the_handling_role(mapping):
    zaak = {"zaaktype": f"{ZT}4", "bronorganisatie": "002564440"}
    facts = case_facts(zaak, [PERSON, OOST], mapping)
    assert (facts.category, facts.team) == ("enforcement_case", "handhaving-zaanstad")


@pytest.mark.parametrize(
    ("zaak", "rollen", "code"),
    [
        (
            {"zaaktype": f"{ZT}9", "bronorganisatie": "002564440"},
            [PERSON, OOST],
            "unknown_zaaktype",
        ),
        (
            {"zaaktype": f"{ZT}1", "bronorganisatie": "001005650"},
            [PERSON, OOST],
            "unknown_organisation",
        ),
        ({"zaaktype": f"{ZT}1", "bronorganisatie": "002564440"}, [PERSON], "unknown_handling_unit"),
        (
            {"zaaktype": f"{ZT}1", "bronorganisatie": "002564440"},
            [
                PERSON,
                OOST,
                _rol("organisatorische_eenheid", "behandelaar", identificatie="WT-WEST"),
            ],
            "unknown_handling_unit",
        ),
    ],
)
def test_what_the_register_does_not_know_is_refused(mapping, zaak, rollen, code):
    assert case_facts(zaak, rollen, mapping).refusal == code


def test_residents_are_the_natural_persons_with_a_bsn():
    rollen = [
        PERSON,
        PERSON,
        _rol("natuurlijk_persoon", "belanghebbende", inpBsn="999990020"),
        _rol("natuurlijk_persoon", "belanghebbende"),
        _rol("medewerker", "behandelaar", identificatie="u-1"),
    ]
    assert residents_of(rollen) == ("999990019", "999990020")


def test_a_new_case_is_held_by_its_creators_one_team(mapping):
    zaak = {"zaaktype": f"{ZT}1", "bronorganisatie": "002564440"}
    assert case_facts(zaak, [], mapping, creator_teams=["wt-oost"]).team == "wt-oost"
    assert case_facts(zaak, [], mapping, creator_teams=[]).refusal == "unknown_handling_unit"
    assert (
        case_facts(zaak, [], mapping, creator_teams=["a", "b"]).refusal == "unknown_handling_unit"
    )


@pytest.mark.parametrize(
    ("resource", "names", "fields"),
    [
        ("zaak", [], ()),
        ("zaak", ["content"], ("omschrijving", "toelichting")),
        ("zaak", ["toelichting"], ("toelichting",)),
        ("zaak", ["no-such-field"], ("omschrijving", "toelichting")),  # fail closed
        ("rol", ["content"], ("roltoelichting",)),
    ],
)
def test_redaction_names_fields_and_fails_closed(resource, names, fields):
    assert fields_to_remove(resource, names) == fields


def test_redact_removes_the_fields():
    assert redact({"a": 1, "toelichting": "x"}, ("toelichting",)) == {"a": 1}


def test_the_zgw_client_jwt_is_hs256_with_the_standards_claims():
    secret = "a-secret-of-at-least-thirty-two-bytes"
    token = zgw_token("doelbinding", secret, "u-anna", now=1_700_000_000)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, secret, algorithms=["HS256"])
    assert claims == {
        "iss": "doelbinding",
        "iat": 1_700_000_000,
        "client_id": "doelbinding",
        "user_id": "u-anna",
        "user_representation": "u-anna",
    }


def test_a_mapping_naming_what_the_register_lacks_does_not_load(tmp_path):
    bad = tmp_path / "zaanstad.yaml"
    bad.write_text(
        "organisations: {'1': nowhere}\nunits: {X: no-team}\n"
        "zaaktypes: {'https://z/1': {label: x, category: no-category}}\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidRegister) as err:
        load_zaaktypes(load_register("zaanstad"), bad)
    assert "nowhere" in str(err.value)
    assert "no-team" in str(err.value)
    assert "no-category" in str(err.value)


def test_every_profiles_mapping_loads():
    from registry import available_profiles

    for profile in available_profiles():
        load_zaaktypes(load_register(profile))


def test_production_needs_the_upstream_secret(tmp_path):
    from pydantic import ValidationError

    from gateway.secret_files import new_signing_key
    from gateway.settings import Settings

    new_signing_key(tmp_path / "audit-signing-key.pem", "doelbinding.local/audit")
    prod: dict[str, Any] = {
        "environment": "production",
        "auth": {"jwks_url": "https://idp.example/jwks"},
        "pseudonym_key": "k" * 32,
        "web": {"demo_login": False, "session_secret": "s" * 32},
        "audit": {"signing_key_file": tmp_path / "audit-signing-key.pem"},
    }
    Settings.model_validate(prod)  # upstream mode off: nothing more needed
    with pytest.raises(ValidationError, match="DOELBINDING_ZAKEN__SECRET"):
        Settings.model_validate({**prod, "zaken": {"url": "https://oz.example/zaken/api/v1"}})
