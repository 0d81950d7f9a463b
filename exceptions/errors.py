"""Errors of four-eyes exceptions. Messages name fields, ids and roles, never personal data.

ExceptionError
├── ExceptionNotFound         no exception with that id (or not visible to the caller)
├── ExceptionValidationError  the request names something the register does not allow
├── ExceptionNotAllowed       this role may not request, approve or revoke
├── FourEyesViolation         the approver is the requester (or the employee it is granted to)
└── ExceptionStateConflict    approve what is not pending, revoke what is no longer in force
"""


class ExceptionError(Exception):
    """Base class of every four-eyes exception error."""


class ExceptionNotFound(ExceptionError):
    def __init__(self, exception_id: str) -> None:
        self.exception_id = exception_id
        super().__init__(f"exception {exception_id[:40]} not found")


class ExceptionValidationError(ExceptionError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class ExceptionNotAllowed(ExceptionError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class FourEyesViolation(ExceptionError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"four eyes: {reason}")


class ExceptionStateConflict(ExceptionError):
    def __init__(self, exception_id: str, status: str, wanted: str) -> None:
        self.exception_id = exception_id
        self.status = status
        super().__init__(f"exception {exception_id[:40]} is {status}; cannot {wanted} it")
