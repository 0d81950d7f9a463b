"""Four-eyes exceptions (DESIGN rule 1, fourth bullet): requested by one person, approved by
another, time-limited. Models and service, no HTTP; the policy decides what they allow."""

from exceptions.errors import (
    ExceptionError,
    ExceptionNotAllowed,
    ExceptionNotFound,
    ExceptionStateConflict,
    ExceptionValidationError,
    FourEyesViolation,
)
from exceptions.models import (
    AccessException,
    AccessExceptionEvent,
    ExceptionEventType,
    ExceptionStatus,
)
from exceptions.service import (
    ACTIVE_EXCEPTION_FACTS,
    APPROVER_ROLES,
    MAX_VALID_DAYS,
    Actor,
    ExceptionRequest,
    ExceptionView,
    approve_exception,
    get_exception,
    list_exceptions,
    request_exception,
    revoke_exception,
)

__all__ = [
    "ACTIVE_EXCEPTION_FACTS",
    "APPROVER_ROLES",
    "MAX_VALID_DAYS",
    "AccessException",
    "AccessExceptionEvent",
    "Actor",
    "ExceptionError",
    "ExceptionEventType",
    "ExceptionNotAllowed",
    "ExceptionNotFound",
    "ExceptionRequest",
    "ExceptionStateConflict",
    "ExceptionStatus",
    "ExceptionValidationError",
    "ExceptionView",
    "FourEyesViolation",
    "approve_exception",
    "get_exception",
    "list_exceptions",
    "request_exception",
    "revoke_exception",
]
