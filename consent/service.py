"""Consent rules as plain functions over a session: give, record, withdraw, list, the active set.

Status is derived from time and events at the moment of asking, so an expiry needs no
background job and a withdrawal counts from the very next request. Nothing is ever updated:
giving writes a consent, its evidence and a `given` event; withdrawing and superseding append
an event.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, bindparam, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from consent.errors import (
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
from consent.recipients import municipality_of, recipients_for
from consent.texts import LANGUAGES, ConsentText, organisations, render
from registry import Register

#: Roles that work in a wijkteam and may record a consent given at the kitchen table.
TEAM_ROLES = frozenset({"team_generalist", "team_wi_specialist", "team_lead"})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
RESIDENT_ACTOR = "resident"
#: Actors of a change the gateway itself made (e.g. `gateway:0006c`, the migration that
#: narrowed domain recipients); the resident sees them as `gateway`, never as themselves.
GATEWAY_ACTOR = "gateway"
#: The events that end a consent before its window does.
_ENDING = (
    ConsentEventType.WITHDRAWN.value,
    ConsentEventType.SUPERSEDED.value,
    ConsentEventType.LAPSED.value,
)


class ConsentRequest(BaseModel):
    """What a resident consents to: categories x processing activities x recipients, each
    recipient a unit or organisation that works for the controller's municipality."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    categories: list[str] = Field(min_length=1)
    processing_activities: list[str] = Field(min_length=1)
    recipients: list[str] = Field(min_length=1)
    valid_from_ns: int | None = Field(default=None, description="Default: now.")
    valid_until_ns: int | None = None
    language: str = "nl"
    text_sha256: str | None = Field(
        default=None, description="The hash of the text the resident was shown; must match."
    )
    supersedes: str | None = Field(default=None, description="A consent this one replaces.")


@dataclass(frozen=True)
class GivenBy:
    """Who gave or recorded a consent, and the evidence of a recorded one."""

    method: ConsentMethod
    actor: str
    team: str | None = None
    form_sha256: str | None = None


RESIDENT = GivenBy(ConsentMethod.DIGITAL, RESIDENT_ACTOR)


@dataclass(frozen=True)
class HistoryEvent:
    event: ConsentEventType
    at_ns: int
    by: str  # `resident`, `team` (a professional, never named) or `time`


@dataclass(frozen=True)
class ConsentView:
    consent: Consent
    status: ConsentStatus
    withdrawn_at_ns: int | None
    evidence: ConsentEvidence | None = None
    superseded_by: str | None = None
    history: tuple[HistoryEvent, ...] = field(default_factory=tuple)

    @property
    def method(self) -> ConsentMethod:
        if self.evidence is not None:
            return ConsentMethod(self.evidence.method)
        is_resident = self.consent.given_by == RESIDENT_ACTOR
        return ConsentMethod.DIGITAL if is_resident else ConsentMethod.RECORDED


# --- validation ---------------------------------------------------------------------------------


def _inadmissible(register: Register, act_id: str) -> str:
    act = register.activities[act_id]
    return (
        f"consent is not admissible for {act_id}: {act.label} rests on "
        f"{act.legal_basis.article}. Toestemming kan hier geen grondslag zijn: de gemeente mag "
        "dit alleen doen als de wet het toestaat, en u bent niet vrij om hierin toe te stemmen."
    )


def _validate(register: Register, req: ConsentRequest, now_ns: int, municipality: str) -> None:
    def refuse_unknown(fld: str, what: str, items: list[str], known: object) -> None:
        unknown = [i[:80] for i in items if i not in known]  # type: ignore[operator]
        if unknown:
            raise ConsentValidationError(fld, f"unknown {what}: {', '.join(unknown)}")

    refuse_unknown("categories", "categories", req.categories, register.categories)
    refuse_unknown(
        "processing_activities",
        "processing activities",
        req.processing_activities,
        register.activities,
    )
    # A recipient is a unit or organisation working for this municipality (a domain such as
    # `team` is no specific recipient). The value is not echoed: it is free text.
    known = recipients_for(register, municipality)
    if any(r not in known for r in req.recipients):
        raise ConsentValidationError(
            "recipients", "name units or organisations that work for this municipality"
        )
    for act_id in req.processing_activities:
        if not register.activities[act_id].consent_admissible:
            raise ConsentValidationError("processing_activities", _inadmissible(register, act_id))
    allowed = {c for a in req.processing_activities for c in register.activities[a].categories}
    wider = [c for c in req.categories if c not in allowed]
    if wider:
        raise ConsentValidationError(
            "categories",
            f"wider than the processing activities may touch: {', '.join(wider)}",
        )
    if req.language not in LANGUAGES:
        raise ConsentValidationError(
            "language", f"no consent text in this language; available: {', '.join(LANGUAGES)}"
        )
    if req.valid_from_ns is not None and req.valid_from_ns < now_ns:
        raise ConsentValidationError("valid_from", "lies in the past: consent never reaches back")
    if req.valid_until_ns is not None and req.valid_until_ns <= now_ns:
        raise ConsentValidationError("valid_until", "lies in the past")
    if req.valid_until_ns is not None and req.valid_until_ns <= (req.valid_from_ns or now_ns):
        raise ConsentValidationError("valid_until", "lies before valid_from")


def _normalised(req: ConsentRequest) -> ConsentRequest:
    return req.model_copy(
        update={
            "categories": sorted(set(req.categories)),
            "processing_activities": sorted(set(req.processing_activities)),
            "recipients": sorted(set(req.recipients)),
        }
    )


def consent_text(
    register: Register, req: ConsentRequest, now_ns: int, controller: str
) -> ConsentText:
    """Validate a request and render the exact text the resident is to be shown."""
    municipality = municipality_of(register, controller)
    if municipality is None:
        raise ConsentValidationError("controller", "not an organisation this gateway serves")
    _validate(register, req, now_ns, municipality)
    req = _normalised(req)
    return render(
        register,
        controller=controller,
        categories=req.categories,
        processing_activities=req.processing_activities,
        recipients=req.recipients,
        valid_from_ns=req.valid_from_ns or now_ns,
        valid_until_ns=req.valid_until_ns,
        language=req.language,
        now_ns=now_ns,
    )


def recorded_by(
    register: Register,
    *,
    professional: str,
    roles: Sequence[str],
    teams: Sequence[str],
    municipality: str,
    form_sha256: str,
) -> GivenBy:
    """Who records a consent from a conversation: a team role, in a team of this municipality."""
    if not TEAM_ROLES.intersection(roles):
        raise RecorderNotAllowed("only wijkteam roles record a consent given in a conversation")
    own = [
        t
        for t in teams
        if t in register.teams
        and register.teams[t].domain == "team"
        and register.teams[t].municipality == municipality
    ]
    if not own:
        raise RecorderNotAllowed("the professional is in no wijkteam of this municipality")
    if not _SHA256.fullmatch(form_sha256):
        raise ConsentValidationError(
            "evidence.form_sha256", "must be the SHA-256 of the signed form, 64 lowercase hex"
        )
    return GivenBy(ConsentMethod.RECORDED, professional, own[0], form_sha256)


# --- give ---------------------------------------------------------------------------------------


def give_consent(
    session: Session,
    register: Register,
    pseudonym: str,
    req: ConsentRequest,
    now_ns: int,
    given_by: GivenBy = RESIDENT,
    *,
    controller: str | None = None,
) -> Consent:
    """Validate against the register and store a new consent, its evidence and its events.

    `controller` is the responsible organisation; it may be left out where the profile serves
    one municipality. A consent that `supersedes` another ends that one at `now_ns` with a
    `superseded` event.
    """
    if controller is None:
        orgs = sorted(organisations(register))
        if len(orgs) != 1:
            raise ConsentValidationError("controller", "name the responsible organisation")
        controller = orgs[0]
    text = consent_text(register, req, now_ns, controller)
    if req.text_sha256 is not None and req.text_sha256 != text.sha256:
        raise ConsentValidationError(
            "text_sha256",
            f"differs from the current consent text (version {text.version}); "
            "show the resident the current text first",
        )
    if req.supersedes is not None:
        old = _own_view(session, pseudonym, req.supersedes, now_ns, "supersedes")
        if old.status not in (ConsentStatus.ACTIVE, ConsentStatus.NOT_YET_VALID):
            raise ConsentValidationError("supersedes", "that consent has already ended")
    req = _normalised(req)
    consent = Consent(
        id=f"c-{uuid.uuid4().hex[:20]}",
        resident_pseudonym=pseudonym,
        categories=req.categories,
        processing_activities=req.processing_activities,
        recipients=req.recipients,
        valid_from_ns=req.valid_from_ns or now_ns,
        valid_until_ns=req.valid_until_ns,
        given_at_ns=now_ns,
        given_by=given_by.actor,
    )
    session.add(consent)
    session.flush()
    session.add(
        ConsentEvidence(
            consent_id=consent.id,
            method=given_by.method,
            recorded_by=given_by.actor if given_by.method is ConsentMethod.RECORDED else None,
            recorded_by_team=given_by.team,
            form_sha256=given_by.form_sha256,
            controller=controller,
            language=text.language,
            text_version=text.version,
            text=text.text,
            text_sha256=text.sha256,
            # Recipients are units and organisations now; the column keeps what consents
            # from before 0006c named besides their domains.
            recipient_organisations=[],
            supersedes=req.supersedes,
        )
    )
    session.add(
        ConsentEvent(
            consent_id=consent.id, event=ConsentEventType.GIVEN, at_ns=now_ns, actor=given_by.actor
        )
    )
    if req.supersedes is not None:
        session.add(
            ConsentEvent(
                consent_id=req.supersedes,
                event=ConsentEventType.SUPERSEDED,
                at_ns=now_ns,
                actor=given_by.actor,
            )
        )
    session.flush()
    return consent


# --- read ---------------------------------------------------------------------------------------


def _views(session: Session, consents: Sequence[Consent], now_ns: int) -> list[ConsentView]:
    if not consents:
        return []
    ids = [c.id for c in consents]
    events = session.exec(
        select(ConsentEvent)
        .where(col(ConsentEvent.consent_id).in_(ids))
        .order_by(col(ConsentEvent.at_ns), col(ConsentEvent.id))
    ).all()
    evidence = {
        e.consent_id: e
        for e in session.exec(
            select(ConsentEvidence).where(col(ConsentEvidence.consent_id).in_(ids))
        ).all()
    }
    successors = {
        e.supersedes: e.consent_id
        for e in session.exec(
            select(ConsentEvidence).where(col(ConsentEvidence.supersedes).in_(ids))
        ).all()
        if e.supersedes is not None
    }
    by_consent: dict[str, list[ConsentEvent]] = {}
    for e in events:
        by_consent.setdefault(e.consent_id, []).append(e)
    return [
        _view(c, by_consent.get(c.id, []), evidence.get(c.id), successors.get(c.id), now_ns)
        for c in consents
    ]


def _view(
    c: Consent,
    events: list[ConsentEvent],
    evidence: ConsentEvidence | None,
    successor: str | None,
    now_ns: int,
) -> ConsentView:
    # Events dated after `now_ns` have not happened yet for this question.
    past = [e for e in events if e.at_ns <= now_ns]
    ending = next((e for e in past if e.event in _ENDING), None)
    history = [
        HistoryEvent(ConsentEventType(e.event), e.at_ns, _who(e.actor))
        for e in past
        if ending is None or e.at_ns <= ending.at_ns
    ]
    ended_at = ending.at_ns if ending else None
    until = c.valid_until_ns
    if until is not None and until <= now_ns and (ended_at is None or until < ended_at):
        # Expiry is a fact of time, not an action: shown in the history, never written.
        history = [h for h in history if h.at_ns <= until]
        history.append(HistoryEvent(ConsentEventType.EXPIRED, until, "time"))
        ending = None
    if ending is not None and ending.event == ConsentEventType.LAPSED:
        status = ConsentStatus.LAPSED
    elif ending is not None:
        status = ConsentStatus.WITHDRAWN
    elif now_ns < c.valid_from_ns:
        status = ConsentStatus.NOT_YET_VALID
    elif c.valid_until_ns is not None and now_ns >= c.valid_until_ns:
        status = ConsentStatus.EXPIRED
    else:
        status = ConsentStatus.ACTIVE
    return ConsentView(
        consent=c,
        status=status,
        withdrawn_at_ns=ending.at_ns if ending else None,
        evidence=evidence,
        superseded_by=successor
        if ending is not None and ending.event == ConsentEventType.SUPERSEDED
        else None,
        history=tuple(history),
    )


def _who(actor: str) -> str:
    if actor == RESIDENT_ACTOR:
        return RESIDENT_ACTOR
    return GATEWAY_ACTOR if actor.split(":", 1)[0] == GATEWAY_ACTOR else "team"


def list_consents(session: Session, pseudonym: str, now_ns: int) -> list[ConsentView]:
    """Every consent of one resident, oldest first, with its status and history at `now_ns`."""
    consents = session.exec(
        select(Consent)
        .where(Consent.resident_pseudonym == pseudonym)
        .order_by(col(Consent.given_at_ns), col(Consent.id))
    ).all()
    return _views(session, consents, now_ns)


def _active(resident: ColumnElement[str] | str, now: ColumnElement[int] | int) -> list[Any]:
    """The active-consent rule as SQL: within its window (`valid_from_ns <= now <
    valid_until_ns`) and no withdrawal or supersession at or before `now`; an expiry is only a
    matter of the window. One rule for `active_consents` and `ACTIVE_CONSENT_FACTS`."""
    ended = (
        select(ConsentEvent.id)
        .where(
            ConsentEvent.consent_id == Consent.id,
            # Two comparisons, not IN: an IN list is expanded on every execution.
            or_(*(col(ConsentEvent.event) == e for e in _ENDING)),
            col(ConsentEvent.at_ns) <= now,
        )
        .exists()
    )
    return [
        col(Consent.resident_pseudonym) == resident,
        col(Consent.valid_from_ns) <= now,
        or_(col(Consent.valid_until_ns).is_(None), col(Consent.valid_until_ns) > now),
        ~ended,
    ]


def active_consents(
    session: Session, pseudonym: str, now_ns: int, organisation: str | None = None
) -> list[Consent]:
    """The consents of one resident that are active at `now_ns`: what goes into a decision.

    With `organisation`, a consent limited to named organisations counts only for those
    (`counts_for`). One query: the same rule as the status `list_consents` derives, in SQL;
    tests/consent check both agree.
    """
    rows = session.exec(
        select(Consent, ConsentEvidence.recipient_organisations)
        .outerjoin(ConsentEvidence, col(ConsentEvidence.consent_id) == Consent.id)
        .where(*_active(pseudonym, now_ns))
        .order_by(col(Consent.given_at_ns), col(Consent.id))
    ).all()
    return [consent for consent, orgs in rows if counts_for(orgs, organisation)]


def counts_for(named: Sequence[str] | None, organisation: str | None) -> bool:
    """Whether a consent limited to the `named` organisations (none: any) counts for
    `organisation` (None: no filter)."""
    return organisation is None or not named or organisation in named


#: `active_consents` as one Core statement for the enforcement point's hot path: built once,
#: compiled once, no ORM objects. Bind `resident` and `now`; filter the rows by `counts_for`
#: on `recipient_organisations`.
ACTIVE_CONSENT_FACTS = (
    sa_select(
        col(Consent.id),
        col(Consent.categories),
        col(Consent.processing_activities),
        col(Consent.recipients),
        col(Consent.valid_from_ns),
        col(Consent.valid_until_ns),
        col(ConsentEvidence.recipient_organisations),
        col(Consent.given_at_ns),
    )
    .outerjoin(ConsentEvidence, col(ConsentEvidence.consent_id) == Consent.id)
    .where(*_active(bindparam("resident"), bindparam("now")))
    .order_by(col(Consent.given_at_ns), col(Consent.id))
)


def _own_view(
    session: Session, pseudonym: str, consent_id: str, now_ns: int, fld: str | None = None
) -> ConsentView:
    consent = session.get(Consent, consent_id)
    if consent is None or consent.resident_pseudonym != pseudonym:
        if fld is not None:
            raise ConsentValidationError(fld, "no consent of this resident with that id")
        if consent is None:
            raise ConsentNotFound(consent_id)
        raise ConsentNotYours(consent_id)
    return _views(session, [consent], now_ns)[0]


def get_consent(session: Session, pseudonym: str, consent_id: str, now_ns: int) -> ConsentView:
    """One consent of this resident, with its status and history at `now_ns`."""
    return _own_view(session, pseudonym, consent_id, now_ns)


# --- withdraw -----------------------------------------------------------------------------------


def withdraw_consent(
    session: Session,
    pseudonym: str,
    consent_id: str,
    now_ns: int,
    actor: str = RESIDENT_ACTOR,
) -> ConsentView:
    """Withdraw a consent of this resident; it no longer counts from `now_ns` on.

    Withdrawing an ended consent appends nothing and answers its status as it is.
    """
    view = _own_view(session, pseudonym, consent_id, now_ns)
    if view.withdrawn_at_ns is not None or view.status is ConsentStatus.EXPIRED:
        return view
    session.add(
        ConsentEvent(
            consent_id=consent_id, event=ConsentEventType.WITHDRAWN, at_ns=now_ns, actor=actor
        )
    )
    session.flush()
    return _views(session, [view.consent], now_ns)[0]
