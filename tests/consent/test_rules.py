"""Consent rules without a database: who may record, the text the resident sees, the receipt."""

from __future__ import annotations

import hashlib

import pytest

from consent import (
    KANTARA_VERSION,
    TEXT_VERSION,
    Consent,
    ConsentEventType,
    ConsentEvidence,
    ConsentMethod,
    ConsentStatus,
    ConsentValidationError,
    ConsentView,
    GivenBy,
    HistoryEvent,
    RecorderNotAllowed,
    consent_receipt,
    consent_text,
    recorded_by,
)
from registry import Register
from tests.factories import make_consent_request

T0 = 1_764_400_000_000_000_000
FORM = hashlib.sha256(b"form").hexdigest()


# --- who may record a consent given in a conversation -------------------------------------------


def _recorder(register: Register, **kw: object) -> GivenBy:
    fields: dict[str, object] = {
        "professional": "emp-7",
        "roles": ["team_generalist"],
        "teams": ["wt-oost"],
        "municipality": "zaanstad",
        "form_sha256": FORM,
    }
    fields.update(kw)
    return recorded_by(register, **fields)  # type: ignore[arg-type]


def test_a_team_member_records_with_the_form_hash(register: Register) -> None:
    assert _recorder(register) == GivenBy(ConsentMethod.RECORDED, "emp-7", "wt-oost", FORM)
    # The team is one of the professional's wijkteams, not their W&I unit.
    who = _recorder(register, roles=["team_wi_specialist"], teams=["wi-zaanstad", "wt-zuid"])
    assert who.team == "wt-zuid"


@pytest.mark.parametrize(
    "kw",
    [
        pytest.param({"roles": ["wi_client_manager"]}, id="not a team role"),
        pytest.param({"roles": ["enforcement_officer"], "teams": []}, id="enforcement"),
        pytest.param({"teams": ["wi-zaanstad"]}, id="in no wijkteam"),
        pytest.param({"municipality": "haarlem"}, id="a team of another municipality"),
    ],
)
def test_only_wijkteam_members_record_consent(register: Register, kw: dict[str, object]) -> None:
    with pytest.raises(RecorderNotAllowed):
        _recorder(register, **kw)


def test_a_recorded_consent_needs_the_hash_of_the_form(register: Register) -> None:
    with pytest.raises(ConsentValidationError) as caught:
        _recorder(register, form_sha256="signed, really")
    assert caught.value.field == "evidence.form_sha256"


# --- the text ---------------------------------------------------------------------------------


def test_the_text_names_the_scope_in_the_residents_language(register: Register) -> None:
    req = make_consent_request(
        categories=["health", "debts"],
        processing_activities=["pw-reintegration"],
        recipients=["wi-zaanstad"],
        valid_until_ns=T0 + 3_600 * 10**9,
    )
    nl = consent_text(register, req, T0, "gemeente-zaanstad")
    en = consent_text(register, req.model_copy(update={"language": "en"}), T0, "gemeente-zaanstad")

    assert nl.text.startswith("Ik geef gemeente Zaanstad toestemming. Werk en Inkomen Zaanstad mag")
    assert "schulden en gezondheid" in nl.text  # sorted, labels from the register
    assert "begeleiding naar werk" in nl.text
    assert "tot 2025-11-29 08:06 UTC" in nl.text
    assert "niet minder hulp" in nl.text  # freely given: refusing costs nothing
    assert en.text.startswith("I give my consent to the municipality of Zaanstad.")
    assert (nl.language, en.language, nl.version) == ("nl", "en", TEXT_VERSION)
    assert nl.sha256 == hashlib.sha256(nl.text.encode()).hexdigest() != en.sha256
    # The same scope gives the same text: a client can show it first and send its hash.
    assert consent_text(register, req, T0, "gemeente-zaanstad") == nl


def test_the_text_is_refused_for_an_unknown_controller(register: Register) -> None:
    with pytest.raises(ConsentValidationError) as caught:
        consent_text(register, make_consent_request(), T0, "gemeente-elders")
    assert caught.value.field == "controller"


# --- the receipt ------------------------------------------------------------------------------


def _view(method: ConsentMethod) -> ConsentView:
    consent = Consent(
        id="c-1",
        resident_pseudonym="ps-a",
        categories=["debts", "health"],
        processing_activities=["pw-reintegration"],
        recipients=["wi-zaanstad"],
        valid_from_ns=T0,
        valid_until_ns=T0 + 10**12,
        given_at_ns=T0,
        given_by="emp-7" if method is ConsentMethod.RECORDED else "resident",
    )
    evidence = ConsentEvidence(
        consent_id="c-1",
        method=method,
        recorded_by="emp-7" if method is ConsentMethod.RECORDED else None,
        recorded_by_team="wt-oost" if method is ConsentMethod.RECORDED else None,
        form_sha256=FORM if method is ConsentMethod.RECORDED else None,
        controller="gemeente-zaanstad",
        language="nl",
        text_version=TEXT_VERSION,
        text="Ik geef …",
        text_sha256="ab" * 32,
        recipient_organisations=[],
    )
    history = (HistoryEvent(ConsentEventType.GIVEN, T0, "team"),)
    return ConsentView(consent, ConsentStatus.ACTIVE, None, evidence, None, history)


def test_the_receipt_uses_the_kantara_field_names(register: Register) -> None:
    r = consent_receipt(
        register, _view(ConsentMethod.RECORDED), policy_url="https://x/v1/registry", issued_at_ns=T0
    )

    assert list(r)[:13] == [
        "version",
        "jurisdiction",
        "consentTimestamp",
        "collectionMethod",
        "consentReceiptID",
        "language",
        "piiPrincipalId",
        "piiControllers",
        "policyUrl",
        "services",
        "sensitive",
        "spiCat",
        "doelbinding",
    ]
    assert (r["version"], r["jurisdiction"], r["consentReceiptID"]) == (
        KANTARA_VERSION,
        "NL",
        "c-1",
    )
    assert r["consentTimestamp"] == T0 // 10**9
    assert r["collectionMethod"].startswith("vastgelegd door het wijkteam")
    assert r["piiControllers"][0]["piiController"] == "gemeente Zaanstad"
    (service,) = r["services"]
    (purpose,) = service["purposes"]
    assert service["service"] == "Begeleiding naar werk"
    assert purpose["consentType"] == "EXPLICIT"
    assert purpose["purposeCategory"] == ["Re-integratie naar werk"]
    assert purpose["piiCategory"] == ["Schulden", "Gezondheid"]
    assert purpose["thirdPartyName"] == "Werk en Inkomen Zaanstad"
    # Health data is a special category (GDPR art. 9): flagged, and the basis says so.
    assert (r["sensitive"], r["spiCat"]) == (True, ["Gezondheid"])
    ours = r["doelbinding"]
    assert "art. 9 lid 2 onder a" in ours["legalBasis"]
    assert (ours["method"], ours["recordedByTeam"], ours["formSha256"]) == (
        "recorded",
        "wt-oost",
        FORM,
    )
    assert (ours["status"], ours["textSha256"], ours["history"][0]["by"]) == (
        "active",
        "ab" * 32,
        "team",
    )
    assert "emp-7" not in str(r)  # the professional is never named to the resident
