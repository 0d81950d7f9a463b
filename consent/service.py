"""Consent rules as plain functions over a session: give, withdraw, list, and the active set.

Status is derived from time and events at the moment of asking, so an expiry needs no
background job and a withdrawal counts from the very next request.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from consent.errors import ConsentNotFound, ConsentNotYours, ConsentValidationError
from consent.models import Consent, ConsentEvent, ConsentEventType, ConsentStatus
from registry import Register


class ConsentRequest(BaseModel):
    """What a resident consents to: categories x processing activities x recipient domains."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    categories: list[str] = Field(min_length=1)
    processing_activities: list[str] = Field(min_length=1)
    recipients: list[str] = Field(min_length=1)
    valid_until_ns: int | None = None


@dataclass(frozen=True)
class ConsentView:
    consent: Consent
    status: ConsentStatus
    withdrawn_at_ns: int | None


def _validate(register: Register, req: ConsentRequest, now_ns: int) -> None:
    unknown = [c for c in req.categories if c not in register.categories]
    if unknown:
        raise ConsentValidationError("categories", f"unknown categories: {', '.join(unknown)}")
    unknown = [a for a in req.processing_activities if a not in register.activities]
    if unknown:
        raise ConsentValidationError(
            "processing_activities", f"unknown processing activities: {', '.join(unknown)}"
        )
    unknown = [r for r in req.recipients if r not in register.domains]
    if unknown:
        raise ConsentValidationError("recipients", f"unknown recipients: {', '.join(unknown)}")
    for act_id in req.processing_activities:
        act = register.activities[act_id]
        if not act.consent_admissible:
            raise ConsentValidationError(
                "processing_activities",
                f"consent is not admissible for {act_id}: {act.label} rests on "
                f"{act.legal_basis.article}. Toestemming kan hier geen grondslag zijn: de "
                "gemeente mag dit alleen doen als de wet het toestaat, en u bent niet vrij "
                "om hierin toe te stemmen.",
            )
    allowed = {c for a in req.processing_activities for c in register.activities[a].categories}
    wider = [c for c in req.categories if c not in allowed]
    if wider:
        raise ConsentValidationError(
            "categories",
            f"wider than the processing activities may touch: {', '.join(wider)}",
        )
    # The policy matches a consent's recipient against the domain acting under the activity;
    # any other recipient would be shown to the resident but could never receive anything.
    acting = {register.activities[a].domain for a in req.processing_activities}
    stray = [r for r in req.recipients if r not in acting]
    if stray:
        raise ConsentValidationError(
            "recipients",
            f"not acting under the processing activities: {', '.join(stray)}",
        )
    if req.valid_until_ns is not None and req.valid_until_ns <= now_ns:
        raise ConsentValidationError("valid_until", "lies in the past")


def give_consent(
    session: Session,
    register: Register,
    pseudonym: str,
    req: ConsentRequest,
    now_ns: int,
    given_by: str = "resident",
) -> Consent:
    """Validate against the register and store a new consent with its `given` event."""
    _validate(register, req, now_ns)
    consent = Consent(
        id=f"c-{uuid.uuid4().hex[:20]}",
        resident_pseudonym=pseudonym,
        categories=sorted(set(req.categories)),
        processing_activities=sorted(set(req.processing_activities)),
        recipients=sorted(set(req.recipients)),
        valid_from_ns=now_ns,
        valid_until_ns=req.valid_until_ns,
        given_at_ns=now_ns,
        given_by=given_by,
    )
    session.add(consent)
    session.flush()
    session.add(
        ConsentEvent(
            consent_id=consent.id, event=ConsentEventType.GIVEN, at_ns=now_ns, actor=given_by
        )
    )
    session.flush()
    return consent


def _status(consent: Consent, withdrawn_at: int | None, now_ns: int) -> ConsentStatus:
    if withdrawn_at is not None and withdrawn_at <= now_ns:
        return ConsentStatus.WITHDRAWN
    if now_ns < consent.valid_from_ns:
        return ConsentStatus.NOT_YET_VALID
    if consent.valid_until_ns is not None and now_ns >= consent.valid_until_ns:
        return ConsentStatus.EXPIRED
    return ConsentStatus.ACTIVE


def list_consents(session: Session, pseudonym: str, now_ns: int) -> list[ConsentView]:
    """Every consent of one resident, oldest first, with its status at `now_ns`."""
    consents = session.exec(
        select(Consent)
        .where(Consent.resident_pseudonym == pseudonym)
        .order_by(col(Consent.given_at_ns), col(Consent.id))
    ).all()
    withdrawn = _withdrawals(session, [c.id for c in consents])
    return [
        ConsentView(c, _status(c, withdrawn.get(c.id), now_ns), withdrawn.get(c.id))
        for c in consents
    ]


def active_consents(session: Session, pseudonym: str, now_ns: int) -> list[Consent]:
    """The consents of one resident that are active at `now_ns`: what goes into a decision."""
    return [
        v.consent
        for v in list_consents(session, pseudonym, now_ns)
        if v.status is ConsentStatus.ACTIVE
    ]


def _withdrawals(session: Session, ids: Sequence[str]) -> dict[str, int]:
    if not ids:
        return {}
    events = session.exec(
        select(ConsentEvent).where(
            col(ConsentEvent.consent_id).in_(ids),
            ConsentEvent.event == ConsentEventType.WITHDRAWN,
        )
    ).all()
    out: dict[str, int] = {}
    for e in events:
        out[e.consent_id] = min(out.get(e.consent_id, e.at_ns), e.at_ns)
    return out


def withdraw_consent(
    session: Session, pseudonym: str, consent_id: str, now_ns: int, actor: str = "resident"
) -> ConsentView:
    """Withdraw a consent of this resident; it no longer counts from `now_ns` on."""
    consent = session.get(Consent, consent_id)
    if consent is None:
        raise ConsentNotFound(consent_id)
    if consent.resident_pseudonym != pseudonym:
        raise ConsentNotYours(consent_id)
    earlier = _withdrawals(session, [consent_id]).get(consent_id)
    if earlier is None:
        session.add(
            ConsentEvent(
                consent_id=consent_id, event=ConsentEventType.WITHDRAWN, at_ns=now_ns, actor=actor
            )
        )
        session.flush()
        earlier = now_ns
    return ConsentView(consent, _status(consent, earlier, now_ns), earlier)
