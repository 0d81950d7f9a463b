"""Consent that residents control: given, listed and withdrawn; status derived, never stored."""

from consent.errors import (
    ConsentError,
    ConsentNotFound,
    ConsentNotYours,
    ConsentValidationError,
)
from consent.models import Consent, ConsentEvent, ConsentStatus
from consent.service import (
    ConsentRequest,
    ConsentView,
    active_consents,
    give_consent,
    list_consents,
    withdraw_consent,
)

__all__ = [
    "Consent",
    "ConsentError",
    "ConsentEvent",
    "ConsentNotFound",
    "ConsentNotYours",
    "ConsentRequest",
    "ConsentStatus",
    "ConsentValidationError",
    "ConsentView",
    "active_consents",
    "give_consent",
    "list_consents",
    "withdraw_consent",
]
