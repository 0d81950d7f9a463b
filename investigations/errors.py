"""Errors of the register of investigations. Messages name ids, never a person.

InvestigationError
├── InvestigationNotFound       no such investigation
└── InvestigationStateConflict  open one while one is running, close one that is closed
"""


class InvestigationError(Exception):
    """Base class of every investigation error."""


class InvestigationNotFound(InvestigationError):
    def __init__(self, investigation_id: str) -> None:
        self.investigation_id = investigation_id
        super().__init__(f"investigation {investigation_id[:40]} not found")


class InvestigationStateConflict(InvestigationError):
    def __init__(self, message: str, status: str) -> None:
        self.status = status
        super().__init__(message)
