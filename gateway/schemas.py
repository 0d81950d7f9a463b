"""HTTP request and response bodies. Table models never cross the HTTP edge."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from audit.checks import value_problem

#: The largest sequence number a BIGINT holds: a larger `seq` is a 422, not a database error.
MAX_SEQ = 2**63 - 1


class _Body(BaseModel):
    """A request body: no unknown fields, and no NUL or lone surrogate in any text (nothing
    downstream, the database and the audit trail least of all, can hold them)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_or_surrogate(cls, value: Any) -> Any:
        problem = value_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


class InvestigationCreate(_Body):
    resident: str = Field(
        min_length=1,
        max_length=64,
        description="The resident id (e.g. a BSN); pseudonymised at once, never stored.",
    )


class InvestigationPublic(BaseModel):
    id: str
    municipality: str
    opened_at: str
    closed_at: str | None = None
    status: Literal["running", "closed"]


class InvestigationList(BaseModel):
    investigations: list[InvestigationPublic]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last."
    )


class RecordCreate(_Body):
    resident: str = Field(min_length=1, max_length=64, description="The resident id, e.g. a BSN.")
    category: str = Field(description="A data category of the register, e.g. intake_notes.")
    team: str = Field(description="The team or unit that holds the record, e.g. wt-oost.")
    content: str = Field(min_length=1, max_length=100_000)
    municipality: str | None = Field(
        default=None,
        description="The resident's municipality; needed only for a unit of a regional "
        "service (e.g. rsd-krh-wi), which holds records for several municipalities.",
    )


class RecordPublic(BaseModel):
    id: str
    resident: str
    category: str
    team: str
    municipality: str
    content: str | None = Field(description="Null when the policy withheld it (`redacted`).")
    created_at: str
    redacted: list[str] = Field(
        default_factory=list, description="Fields the policy withheld from this answer."
    )


class HandoverRequest(_Body):
    to_team: str = Field(description="The team that takes over the case, e.g. wt-west.")


class HandoverResult(BaseModel):
    from_team: str
    to_team: str
    moved: list[str] = Field(description="The ids of the records that moved (the whole case).")


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
    withheld: int | None = Field(
        description="How many records of this page the policy withheld; null for a caller "
        "without a relationship to the resident, who learns nothing."
    )
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last."
    )


_SHA256 = r"^[0-9a-f]{64}$"


class ConsentCreate(_Body):
    categories: list[str] = Field(min_length=1)
    processing_activities: list[str] = Field(min_length=1)
    recipients: list[str] = Field(
        min_length=1,
        description="Who may use the data: units or organisations that work for the "
        "municipality (GET /v1/registry), e.g. wt-oost, wi-zaanstad, gemeente-zaanstad, rsd-krh; "
        "never a whole domain such as team.",
    )
    valid_from: AwareDatetime | None = Field(
        default=None, description="RFC 3339, with offset; default: now."
    )
    valid_until: AwareDatetime | None = Field(default=None, description="RFC 3339, with offset.")
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
    by: str = Field(description="resident, team (never a name), time or gateway")


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
    status: str = Field(
        description="active, withdrawn, expired, not_yet_valid or lapsed (it named no specific "
        "recipient and could not be narrowed: ask again); derived now"
    )
    categories: list[str]
    processing_activities: list[str]
    recipients: list[str] = Field(
        description="Units or organisations; a domain only on a consent from before 0006c"
    )
    recipient_organisations: list[str] = Field(
        description="Organisations a consent from before 0006c named besides its domains"
    )
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
    summary: str = Field(default="", description="What happened, in plain Dutch (B1).")
    proof: str = Field(
        default="", description="Link to the inclusion proof of this entry in the audit tree."
    )


class HeldBackPeriod(BaseModel):
    investigation_started: str = Field(description="When the investigation was registered.")
    held_back_until: str = Field(
        description="When it ended: until then its enforcement entries were held back."
    )


class AccessLog(BaseModel):
    entries: list[AccessLogEntry]
    held_back: int = Field(
        default=0, description="Entries not shown yet: an investigation is still running."
    )
    held_back_message: str | None = Field(default=None, description="Why, in plain Dutch.")
    held_back_ended: list[HeldBackPeriod] = Field(
        default_factory=list,
        description="Investigations that have ended, oldest first: their entries were held "
        "back until `held_back_until` and are shown now.",
    )
    held_back_ended_message: str | None = Field(
        default=None, description="The same, in plain Dutch."
    )
    next_before_seq: int | None = Field(
        default=None, description="Pass as `before_seq` for the next (older) page."
    )


# --- the audit trail's proof API (hashes in base64) ----------------------------------------------


class CheckpointPublic(BaseModel):
    tree_size: int
    root_hash: str
    note: str = Field(description="The C2SP signed note (checkpoint + Ed25519 signature).")
    timestamp: str


class PublicKeyPublic(BaseModel):
    algorithm: str = "ed25519"
    public_key: str = Field(description="The raw 32-byte Ed25519 public key, base64.")
    key_name: str
    origin: str
    vkey: str = Field(description="The C2SP verifier key: name+keyid+base64(0x01||key).")


class AuditKeyPublic(BaseModel):
    key_name: str
    key_id: str = Field(description="The signed note's key id: 4 bytes, hex.")
    public_key: str = Field(description="The raw 32-byte Ed25519 public key, base64.")
    vkey: str = Field(description="The C2SP verifier key: name+keyid+base64(0x01||key).")
    current: bool = Field(description="True for the key that signs new checkpoints.")


class AuditKeysPublic(BaseModel):
    origin: str
    keys: list[AuditKeyPublic] = Field(
        description="The key that signs now, then the earlier keys (after a rotation): a "
        "checkpoint signed by any of them is the log's."
    )


class InclusionProofPublic(BaseModel):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    path: list[str]
    root_hash: str


class ConsistencyProofPublic(BaseModel):
    first: int
    second: int
    path: list[str]


class AuditEntryPublic(BaseModel):
    seq: int
    leaf: str | None = Field(
        description="The RFC 8785 canonical JSON the leaf hash is made from, base64; null for "
        "a tombstone, and for residents (it holds the employee id, which they are not shown)."
    )
    leaf_hash: str
    entry: dict[str, Any]


class AuditExport(BaseModel):
    format: str
    records: list[dict[str, Any]]
    next_after_seq: int | None


class Health(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)


class Readiness(Health):
    reasons: list[str] = Field(
        default_factory=list, description="Why this process is not ready, one line per check."
    )


# --- OpenID AuthZEN 1.0 (Authorization API), NLGov profile -----------------------------------
# https://openid.net/specs/authorization-api-1_0.html ; see docs/authzen.md for the mapping.


class AuthZenSubjectProperties(_Body):
    roles: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="The professional's roles; read only from a case system's token.",
    )
    teams: list[str] = Field(default_factory=list, max_length=50)


class AuthZenSubject(_Body):
    type: str = Field(max_length=64, description="`user` (a professional) or `service`.")
    id: str = Field(min_length=1, max_length=128)
    properties: AuthZenSubjectProperties = Field(default_factory=AuthZenSubjectProperties)


class AuthZenActionProperties(_Body):
    processing_activity_id: str | None = Field(
        default=None,
        max_length=64,
        description="NLGov profile: the processing activity (verwerkingsactiviteit), required.",
    )


class AuthZenAction(_Body):
    name: str = Field(min_length=1, max_length=32, description="`read`, `create`, `update`, …")
    properties: AuthZenActionProperties = Field(default_factory=AuthZenActionProperties)


class AuthZenResourceProperties(_Body):
    category: str | None = Field(default=None, max_length=64)
    team: str | None = Field(default=None, max_length=64)
    municipality: str | None = Field(
        default=None, max_length=64, description="Default: the caller's municipality."
    )
    resident: str | None = Field(
        default=None,
        max_length=64,
        description="The resident id (e.g. a BSN); the gateway pseudonymises it and never "
        "stores or logs it as given.",
    )


class AuthZenResource(_Body):
    # The audit record keeps `<type>.<action>` (64 characters) and the id (80).
    type: str = Field(default="record", min_length=1, max_length=31)
    id: str | None = Field(default=None, max_length=80)
    properties: AuthZenResourceProperties = Field(default_factory=AuthZenResourceProperties)


class AuthZenContext(_Body):
    traceparent: str | None = Field(
        default=None, max_length=55, description="NLGov profile: W3C trace context."
    )


class AuthZenEvaluationRequest(_Body):
    subject: AuthZenSubject
    action: AuthZenAction
    resource: AuthZenResource
    context: AuthZenContext = Field(default_factory=AuthZenContext)


class AuthZenEvaluationItem(_Body):
    """One evaluation of a batch; what it leaves out comes from the request's defaults."""

    subject: AuthZenSubject | None = None
    action: AuthZenAction | None = None
    resource: AuthZenResource | None = None
    context: AuthZenContext | None = None


class AuthZenOptions(_Body):
    evaluations_semantic: str = Field(
        default="execute_all",
        pattern="^(execute_all|deny_on_first_deny|permit_on_first_permit)$",
    )


class AuthZenEvaluationsRequest(_Body):
    subject: AuthZenSubject | None = None
    action: AuthZenAction | None = None
    resource: AuthZenResource | None = None
    context: AuthZenContext | None = None
    evaluations: list[AuthZenEvaluationItem] = Field(default_factory=list, max_length=100)
    options: AuthZenOptions = Field(default_factory=AuthZenOptions)


class AuthZenDecisionContext(BaseModel):
    decision_id: str = Field(description="Request id + index: finds the audit record.")
    reasons: list[dict[str, Any]] = Field(description="`{code, message}` per reason.")
    basis: dict[str, Any] | None = Field(description="`{type, ref}`: what allowed it.")
    redact: list[str] = Field(description="Fields to withhold from the answer.")
    obligations: list[str] = Field(default_factory=list)
    error: dict[str, Any] | None = Field(
        default=None, description="Batch only: why this item could not be evaluated."
    )


class AuthZenDecision(BaseModel):
    decision: bool
    context: AuthZenDecisionContext


class AuthZenEvaluations(BaseModel):
    evaluations: list[AuthZenDecision]


class ExceptionCreate(_Body):
    resident: str = Field(min_length=1, max_length=64, description="The resident id, e.g. a BSN.")
    subject: str | None = Field(
        default=None,
        max_length=200,
        description="The employee id it is for; default: the requester.",
    )
    categories: list[str] = Field(min_length=1, max_length=20)
    processing_activities: list[str] = Field(min_length=1, max_length=10)
    justification: str = Field(
        min_length=1, max_length=4000, description="Why: for the approver and the review."
    )
    valid_days: int = Field(
        default=7, ge=1, le=30, description="How long it holds from the approval (at most 30)."
    )


class ExceptionRevoke(_Body):
    reason: str | None = Field(default=None, max_length=2000)


class ExceptionPublic(BaseModel):
    id: str
    status: str = Field(description="pending, active, expired or revoked (derived).")
    resident_pseudonym: str
    municipality: str
    subject: str
    categories: list[str]
    processing_activities: list[str]
    justification: str
    valid_days: int
    requested_by: str
    requested_at: str
    approved_by: str | None = None
    valid_from: str | None = Field(default=None, description="The approval time.")
    valid_until: str | None = None
    revoked_by: str | None = None
    revoked_at: str | None = None
    revoke_reason: str | None = None


class ExceptionList(BaseModel):
    exceptions: list[ExceptionPublic]


#: Field names that would identify a person: refused by name, before anything else, so a
#: counts endpoint can never be used to store who was counted.
_PERSONAL_FIELDS = re.compile(
    r"resident|bsn|burgerservice|pseudonym|person|client|klant|name|naam|birth|geboorte|"
    r"address|adres|email|phone|telefoon",
    re.I,
)


class AggregateCountCreate(_Body):
    """An anonymous count: a unit, what was counted (a category or an activity), a period and
    a number. No resident field exists, and any field that looks like one is refused."""

    unit: str = Field(
        max_length=80, description="The team or unit that counted, e.g. werkervaring-hilversum."
    )
    category: str | None = Field(default=None, max_length=80)
    processing_activity: str | None = Field(default=None, max_length=80)
    period: str = Field(max_length=8, description="`2025`, `2025-06`, `2025-Q2` or `2025-W23`.")
    count: int = Field(ge=0, le=1_000_000)

    @model_validator(mode="before")
    @classmethod
    def _no_personal_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            personal = sorted(k for k in data if _PERSONAL_FIELDS.search(str(k)))
            if personal:
                raise ValueError(
                    "anonymous counts only: no resident or other personal field "
                    f"({', '.join(p[:40] for p in personal)})"
                )
        return data


class AggregateCountPublic(BaseModel):
    unit: str
    municipality: str
    category: str | None
    processing_activity: str | None
    period: str
    count: int | None = Field(
        description="Null when suppressed: above 0 and below the register's small-cell threshold."
    )
    suppressed: bool = False
    recorded_at: str


class AggregateCountList(BaseModel):
    counts: list[AggregateCountPublic]


# --- residents' questions ("Klopt er iets niet?") ---------------------------------------------


class QuestionCreate(_Body):
    entry_seq: int = Field(
        gt=0, lt=2**62, description="The access-log entry (`seq`) the question is about."
    )
    kind: Literal["question", "objection"] = Field(
        default="question",
        description="`question`: something is unclear; `objection`: you think it was not allowed.",
    )
    text: str = Field(
        min_length=1,
        max_length=2000,
        description="In your own words. Write no more personal data than needed: the entry "
        "already says what it is about.",
    )


class AnswerCreate(_Body):
    text: str = Field(min_length=1, max_length=2000, description="The answer, in plain Dutch.")


class ContactPublic(BaseModel):
    privacy_officer: str = Field(description="Who answers.")
    email: str
    phone: str = ""
    url: str = ""
    answer_days: int = Field(description="The answer term in days, from the asking.")


class AnswerPublic(BaseModel):
    text: str
    answered_at: str
    answered_by: str = Field(
        description="For residents always 'de privacy officer' (never an employee id)."
    )


class QuestionPublic(BaseModel):
    id: str
    entry_seq: int
    kind: str
    text: str
    asked_at: str
    answer_due: str = Field(description="The end of the answer term.")
    status: str = Field(description="open or answered (derived from the answers).")
    answers: list[AnswerPublic]


class QuestionList(BaseModel):
    questions: list[QuestionPublic]
    contact: ContactPublic | None = Field(description="Who answers, and within what term.")


class QuestionSummaryPublic(BaseModel):
    """A question in the officer's queue: no text, no resident (open it to read it)."""

    id: str
    kind: str
    asked_at: str
    answer_due: str
    overdue: bool
    status: str


class QuestionQueue(BaseModel):
    questions: list[QuestionSummaryPublic]


class QuestionDetail(QuestionPublic):
    """A question as the privacy officer reads it: with the entry it is about (audit
    metadata, never case content) and the resident's pseudonym."""

    resident_pseudonym: str
    municipality: str
    entry: AccessLogEntry | None


# --- team oversight (GET /v1/oversight/team…) -------------------------------------------------


class CategoryCountPublic(BaseModel):
    category: str
    count: int | None = Field(
        description="Null when suppressed: above 0 and below the register's small-cell threshold."
    )
    suppressed: bool = False


class MemberCaseloadPublic(BaseModel):
    employee: str = Field(description="The employee id as the audit trail records it.")
    records: int = Field(description="Records the team holds now that she worked on.")
    cases: int = Field(description="Residents (cases) those records are about.")
    by_category: list[CategoryCountPublic]


class TeamCaseloadPublic(BaseModel):
    team: str
    municipality: str
    since: str = Field(description="Work on records counts from this time (RFC 3339 UTC).")
    records: int = Field(description="Records the team holds now.")
    cases: int = Field(description="Residents (cases) the team holds records of.")
    by_category: list[CategoryCountPublic]
    members: list[MemberCaseloadPublic]
    small_cell_threshold: int


class TeamAccessPublic(BaseModel):
    seq: int = Field(description="The audit entry's sequence number.")
    occurred_at: str
    employee: str
    record_id: str
    action: str
    processing_activity: str
    allowed: bool
    reason_codes: list[str]
    basis_type: str | None


class TeamAccessList(BaseModel):
    team: str
    municipality: str
    accesses: list[TeamAccessPublic]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next (older) page; null on the last."
    )
