"""Errors of the consent domain. Messages name fields and ids, never personal data.

ConsentError
├── ConsentNotFound          no consent with that id
│   └── ConsentNotYours      the consent belongs to another resident (answered as not found)
├── ConsentValidationError   the request names something the register does not allow
└── RecorderNotAllowed       this professional may not record consent on a resident's behalf
"""


class ConsentError(Exception):
    """Base class of every consent error."""


class ConsentNotFound(ConsentError):
    def __init__(self, consent_id: str) -> None:
        self.consent_id = consent_id
        super().__init__(f"consent {consent_id[:40]} not found")


class ConsentNotYours(ConsentNotFound):
    """Raised as a not-found: a resident must not learn that another's consent exists."""


class ConsentValidationError(ConsentError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class RecorderNotAllowed(ConsentError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"recording consent on a resident's behalf is not allowed: {reason}")
