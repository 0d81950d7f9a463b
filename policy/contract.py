"""The policy contract: one input document per decision, one result. Imports nothing of ours.

This module is the most stable code in the project. The gateway builds a `DecisionInput`,
an engine evaluates `data.doelbinding.authz.decision`, and the raw result is *parsed* into a
`Decision` (unknown fields refused), so a malformed result becomes `InvalidDecision` and
then a refusal. Tests pin both shapes (see docs/policy.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import cached_property
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

#: The rule every engine evaluates.
DECISION_PATH = "doelbinding/authz/decision"
DECISION_QUERY = "data.doelbinding.authz.decision"


class _Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Subject(_Contract):
    id: str = Field(description="Employee id, service id, or the resident's pseudonym.")
    roles: tuple[str, ...]
    organisation: str
    teams: tuple[str, ...] = ()
    municipality: str


class Resource(_Contract):
    type: str = Field(description="`record`, or another kind of resource such as `audit_log`.")
    id: str | None = None
    category: str | None = None
    team: str | None = None
    municipality: str | None = None
    resident: str | None = Field(default=None, description="The resident's pseudonym, never a BSN.")


class ConsentFact(_Contract):
    id: str
    categories: tuple[str, ...]
    processing_activities: tuple[str, ...]
    recipients: tuple[str, ...]
    valid_from_ns: int = 0
    valid_until_ns: int = Field(default=0, description="0 means no end.")


class ExceptionFact(_Contract):
    """A four-eyes exception: requested by one person, approved by another, time-limited.

    The gateway passes only approved, unrevoked exceptions for the resident the resource is
    about; the policy itself checks the subject, category, activity and window.
    """

    id: str
    subject: str = Field(description="The employee id the exception is granted to.")
    categories: tuple[str, ...]
    processing_activities: tuple[str, ...]
    valid_from_ns: int = Field(description="The approval time.")
    valid_until_ns: int = Field(description="Always set: an exception ends (0 never matches).")


class BreakGlass(_Contract):
    justification: str


class Context(_Contract):
    now_ns: int
    break_glass: BreakGlass | None = None
    request_id: str = ""
    traceparent: str = ""


class DecisionInput(_Contract):
    subject: Subject
    action: str
    processing_activity: str
    resource: Resource
    consents: tuple[ConsentFact, ...] = ()
    exceptions: tuple[ExceptionFact, ...] = ()
    context: Context

    def to_policy_input(self) -> dict[str, Any]:
        """The JSON document the engine receives as `input` (built once per input: the engine
        and the audit record both need it, on the decision path). Treat it as read-only."""
        return self._document

    @cached_property
    def _document(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy whose policy input is built again: pydantic copies the instance `__dict__`,
        where `cached_property` keeps the document, so a copy `update`d after a decision
        would otherwise hand the engine (and the memo) the original's input."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("_document", None)
        return copied


class BasisType(StrEnum):
    ROLE = "role"
    LAW = "law"
    CONSENT = "consent"
    BREAK_GLASS = "break_glass"
    EXCEPTION = "exception"


class Basis(_Contract):
    type: BasisType
    ref: str


class Reason(_Contract):
    code: str
    message: str = Field(description="English.")
    message_nl: str = Field(default="", description="Dutch, plain language (B1).")


class Decision(_Contract):
    allow: bool
    reasons: tuple[Reason, ...]
    basis: Basis | None
    redact: tuple[str, ...] = ()
    obligations: tuple[str, ...] = ()

    @property
    def reason_codes(self) -> list[str]:
        return [r.code for r in self.reasons]
