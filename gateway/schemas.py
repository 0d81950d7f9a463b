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


_SHA256 = r"^[0-9a-f]{64}$"


class ConsentCreate(_Body):
    categories: list[str] = Field(min_length=1)
    processing_activities: list[str] = Field(min_length=1)
    recipients: list[str] = Field(min_length=1, description="Recipient domains, e.g. work_income.")
    recipient_organisations: list[str] = Field(
        default_factory=list,
        description="Optional: limit the consent to these organisations, e.g. gemeente-zaanstad.",
    )
    valid_from: datetime | None = Field(default=None, description="RFC 3339; default: now.")
    valid_until: datetime | None = Field(default=None, description="RFC 3339, with offset.")
    language: str = Field(default="nl", description="The language of the consent text: nl, en.")
    text_sha256: str | None = Field(
        default=None,
        pattern=_SHA256,
        description="SHA-256 of the text the resident was shown (from /v1/consents/preview); "
        "if given, it must match the text the gateway stores.",
    )
    supersedes: str | None = Field(
        default=None, max_length=40, description="The id of a consent this one replaces."
    )


class ConsentEvidenceIn(_Body):
    form_sha256: str = Field(
        pattern=_SHA256, description="SHA-256 of the consent form the resident signed."
    )


class ConsentRecordCreate(ConsentCreate):
    """A consent given in a conversation, recorded by a wijkteam professional."""

    evidence: ConsentEvidenceIn


class ConsentTextPublic(BaseModel):
    language: str
    text_version: str
    text: str
    text_sha256: str


class ConsentCreated(BaseModel):
    id: str
    status: str
    text_sha256: str


class ConsentHistoryPublic(BaseModel):
    event: str = Field(description="given, withdrawn, superseded or expired")
    at: str
    by: str = Field(description="resident, team (never a name) or time")


class ConsentUsePublic(BaseModel):
    """One access this consent allowed; `seq` is its entry in /v1/me/access-log."""

    seq: int
    when: str
    action: str
    category: str | None
    processing_activity: str
    processing_activity_label: str | None
    organisation: str
    teams: list[str]
    roles: list[str]


class ConsentPublic(BaseModel):
    id: str
    status: str = Field(description="active, withdrawn, expired or not_yet_valid; derived now")
    categories: list[str]
    processing_activities: list[str]
    recipients: list[str]
    recipient_organisations: list[str]
    valid_from: str
    valid_until: str | None
    given_at: str
    given_by: str = Field(description="resident (digitally) or team (recorded in a conversation)")
    given_by_label: str
    recorded_by_team: str | None
    form_sha256: str | None
    language: str | None
    text_version: str | None
    text_sha256: str | None
    withdrawn_at: str | None
    supersedes: str | None
    superseded_by: str | None
    history: list[ConsentHistoryPublic]
    processings: list[ConsentUsePublic] = Field(
        description="The accesses this consent allowed, newest first."
    )


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
