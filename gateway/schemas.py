"""HTTP request and response bodies. Table models never cross the HTTP edge."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecordCreate(_Body):
    resident: str = Field(min_length=1, max_length=64, description="The resident id, e.g. a BSN.")
    category: str = Field(description="A data category of the register, e.g. intake_notes.")
    team: str = Field(description="The team or unit that holds the record, e.g. wt-oost.")
    content: str = Field(min_length=1, max_length=100_000)


class RecordPublic(BaseModel):
    id: str
    resident: str
    category: str
    team: str
    municipality: str
    content: str
    created_at: str


class RecordCreated(BaseModel):
    id: str
    category: str
    team: str
    municipality: str
    created_at: str


class ReasonPublic(BaseModel):
    code: str
    message: str


class RecordList(BaseModel):
    records: list[RecordPublic]
    withheld: int = Field(description="How many records the policy withheld.")


class ConsentCreate(_Body):
    categories: list[str] = Field(min_length=1)
    processing_activities: list[str] = Field(min_length=1)
    recipients: list[str] = Field(min_length=1, description="Recipient domains, e.g. work_income.")
    valid_until: datetime | None = Field(default=None, description="RFC 3339, with offset.")


class ConsentCreated(BaseModel):
    id: str


class ConsentPublic(BaseModel):
    id: str
    status: str
    categories: list[str]
    processing_activities: list[str]
    recipients: list[str]
    valid_from: str
    valid_until: str | None
    given_at: str
    given_by: str
    withdrawn_at: str | None


class ConsentList(BaseModel):
    consents: list[ConsentPublic]


class LegalBasisPublic(BaseModel):
    type: str = Field(description="role, law, consent, break_glass or exception")
    ref: str
    article: str | None = None
    link: str | None = None
    explanation: str | None = None


class AccessLogEntry(BaseModel):
    """One access to the resident's data. Never an employee id, never content."""

    seq: int
    when: str
    event: str
    action: str
    category: str | None
    processing_activity: str
    processing_activity_label: str | None
    purpose: str
    purpose_label: str | None
    legal_basis: LegalBasisPublic | None
    consent_id: str | None
    organisation: str
    teams: list[str]
    roles: list[str]
    allowed: bool
    reasons: list[str]


class AccessLog(BaseModel):
    entries: list[AccessLogEntry]


class Health(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)
