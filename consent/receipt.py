"""A consent receipt: the resident's own record of one consent, as JSON.

Field names follow the Kantara Initiative Consent Receipt Specification v1.1 where they fit
(`version`, `jurisdiction`, `consentTimestamp`, `collectionMethod`, `consentReceiptID`,
`language`, `piiPrincipalId`, `piiControllers`, `policyUrl`, `services[].purposes[]`,
`sensitive`, `spiCat`). What the specification has no field for (the derived status, the
validity window, the exact text and its hash, the evidence of a recorded consent, the history)
sits under `doelbinding`. The professional who recorded a consent is never named in it.
"""

from __future__ import annotations

from typing import Any

from consent.models import ConsentMethod
from consent.recipients import recipient_labels
from consent.service import ConsentView
from consent.texts import organisations
from registry import Register

KANTARA_VERSION = "KI-CR-v1.1.0"
#: GDPR art. 9 special categories among the register's categories (health data).
SPECIAL_CATEGORIES = frozenset({"health"})

_COLLECTION = {
    ConsentMethod.DIGITAL: "digitaal gegeven door de inwoner",
    ConsentMethod.RECORDED: "vastgelegd door het wijkteam na een gesprek, met getekend formulier",
}


def _seconds(ns: int | None) -> int | None:
    return None if ns is None else ns // 1_000_000_000


def consent_receipt(
    register: Register,
    view: ConsentView,
    *,
    policy_url: str,
    issued_at_ns: int,
) -> dict[str, Any]:
    """The receipt of `view` as a JSON-ready dict."""
    c, ev = view.consent, view.evidence
    controller = ev.controller if ev else ""
    names = organisations(register)
    # Units and organisations by name; a domain (a consent from before 0006c) by its label.
    who = recipient_labels(register) | {k: d.label for k, d in register.domains.items()}
    third_parties = sorted({who.get(r, r) for r in c.recipients})
    termination = (
        f"Tot {_seconds(c.valid_until_ns)} (seconden sinds 1970, UTC), of tot u haar intrekt."
        if c.valid_until_ns
        else "Tot u haar intrekt."
    )
    services = [
        {
            "service": act.label,
            "purposes": [
                {
                    "purpose": act.label,
                    "purposeCategory": [
                        register.purposes[act.purpose].label
                        if act.purpose in register.purposes
                        else act.purpose
                    ],
                    "consentType": "EXPLICIT",
                    "piiCategory": [
                        register.categories[cat].label
                        for cat in c.categories
                        if cat in register.categories and cat in act.categories
                    ],
                    "primaryPurpose": True,
                    "termination": termination,
                    "thirdPartyDisclosure": True,
                    "thirdPartyName": ", ".join(third_parties),
                }
            ],
        }
        for a in c.processing_activities
        if (act := register.activities.get(a)) is not None
    ]
    special = sorted(set(c.categories) & SPECIAL_CATEGORIES)
    return {
        "version": KANTARA_VERSION,
        "jurisdiction": "NL",
        "consentTimestamp": _seconds(c.given_at_ns),
        "collectionMethod": _COLLECTION[view.method],
        "consentReceiptID": c.id,
        "language": ev.language if ev else "nl",
        "piiPrincipalId": c.resident_pseudonym,
        "piiControllers": [
            {
                "piiController": names.get(controller, controller),
                "onBehalf": False,
                "piiControllerUrl": policy_url,
            }
        ],
        "policyUrl": policy_url,
        "services": services,
        "sensitive": bool(special),
        "spiCat": [register.categories[s].label for s in special],
        "doelbinding": {
            "status": view.status.value,
            "issuedAt": _seconds(issued_at_ns),
            "validFrom": _seconds(c.valid_from_ns),
            "validUntil": _seconds(c.valid_until_ns),
            "withdrawnAt": _seconds(view.withdrawn_at_ns),
            "supersedes": ev.supersedes if ev else None,
            "supersededBy": view.superseded_by,
            "scope": {
                "categories": list(c.categories),
                "processingActivities": list(c.processing_activities),
                "recipients": list(c.recipients),
                "recipientOrganisations": list(ev.recipient_organisations) if ev else [],
            },
            "legalBasis": "AVG art. 6 lid 1 onder a; art. 9 lid 2 onder a"
            if special
            else "AVG art. 6 lid 1 onder a",
            "method": view.method.value,
            "recordedByTeam": ev.recorded_by_team if ev else None,
            "formSha256": ev.form_sha256 if ev else None,
            "text": ev.text if ev else None,
            "textVersion": ev.text_version if ev else None,
            "textSha256": ev.text_sha256 if ev else None,
            "history": [
                {"event": h.event.value, "at": _seconds(h.at_ns), "by": h.by} for h in view.history
            ],
        },
    }
