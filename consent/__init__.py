"""Consent that residents control: given or recorded, listed, withdrawn; status derived.

Scope is categories x processing activities x recipients (units or organisations, never a
whole domain) within a validity window; the register decides which activities admit consent.
"""

from consent.errors import (
    ConsentError,
    ConsentNotFound,
    ConsentNotYours,
    ConsentValidationError,
    RecorderNotAllowed,
)
from consent.models import (
    Consent,
    ConsentEvent,
    ConsentEventType,
    ConsentEvidence,
    ConsentMethod,
    ConsentStatus,
)
from consent.receipt import KANTARA_VERSION, consent_receipt
from consent.recipients import Narrowed, narrow, recipient_labels, recipients_for
from consent.service import (
    ACTIVE_CONSENT_FACTS,
    RESIDENT,
    TEAM_ROLES,
    ConsentRequest,
    ConsentView,
    GivenBy,
    HistoryEvent,
    active_consents,
    consent_text,
    counts_for,
    get_consent,
    give_consent,
    list_consents,
    recorded_by,
    withdraw_consent,
)
from consent.texts import LANGUAGES, TEXT_VERSION, ConsentText

__all__ = [
    "ACTIVE_CONSENT_FACTS",
    "KANTARA_VERSION",
    "LANGUAGES",
    "RESIDENT",
    "TEAM_ROLES",
    "TEXT_VERSION",
    "Consent",
    "ConsentError",
    "ConsentEvent",
    "ConsentEventType",
    "ConsentEvidence",
    "ConsentMethod",
    "ConsentNotFound",
    "ConsentNotYours",
    "ConsentRequest",
    "ConsentStatus",
    "ConsentText",
    "ConsentValidationError",
    "ConsentView",
    "GivenBy",
    "HistoryEvent",
    "Narrowed",
    "RecorderNotAllowed",
    "active_consents",
    "consent_receipt",
    "consent_text",
    "counts_for",
    "get_consent",
    "give_consent",
    "list_consents",
    "narrow",
    "recipient_labels",
    "recipients_for",
    "recorded_by",
    "withdraw_consent",
]
