"""Investigations as plain functions over a session: open, close, and which of a resident's
investigations are running now and when past ones ran. Who may open and close is the
policy's decision (the gateway asks it first); nothing here is ever updated: opening and
closing are appended events.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from investigations.errors import InvestigationNotFound, InvestigationStateConflict
from investigations.models import EventKind, InvestigationEvent


@dataclass(frozen=True)
class Investigation:
    id: str
    resident_pseudonym: str
    municipality: str
    opened_at_ns: int
    closed_at_ns: int | None

    @property
    def running(self) -> bool:
        return self.closed_at_ns is None


def _fold(events: list[InvestigationEvent]) -> list[Investigation]:
    """Investigations from their events (in `id` order), oldest opening first."""
    out: dict[str, Investigation] = {}
    for e in events:
        if e.kind == EventKind.OPENED:
            out[e.investigation_id] = Investigation(
                e.investigation_id, e.resident_pseudonym, e.municipality, e.at_ns, None
            )
        elif e.kind == EventKind.CLOSED and e.investigation_id in out:
            inv = out[e.investigation_id]
            out[e.investigation_id] = Investigation(
                inv.id, inv.resident_pseudonym, inv.municipality, inv.opened_at_ns, e.at_ns
            )
    return sorted(out.values(), key=lambda i: (i.opened_at_ns, i.id))


def investigations_of(session: Session, resident_pseudonym: str) -> list[Investigation]:
    """Every investigation of a resident, running and past, oldest first."""
    rows = session.exec(
        select(InvestigationEvent)
        .where(col(InvestigationEvent.resident_pseudonym) == resident_pseudonym)
        .order_by(col(InvestigationEvent.id))
    ).all()
    return _fold(list(rows))


def get_investigation(session: Session, investigation_id: str) -> Investigation:
    rows = session.exec(
        select(InvestigationEvent)
        .where(col(InvestigationEvent.investigation_id) == investigation_id[:40])
        .order_by(col(InvestigationEvent.id))
    ).all()
    found = _fold(list(rows))
    if not found:
        raise InvestigationNotFound(investigation_id)
    return found[0]


def _append(
    session: Session,
    inv_id: str,
    pseudonym: str,
    municipality: str,
    kind: EventKind,
    by: str,
    now_ns: int,
) -> None:
    session.add(
        InvestigationEvent(
            investigation_id=inv_id,
            resident_pseudonym=pseudonym,
            municipality=municipality,
            kind=kind.value,
            by=by,
            at_ns=now_ns,
        )
    )
    session.flush()


def open_investigation(
    session: Session, *, resident_pseudonym: str, municipality: str, officer: str, now_ns: int
) -> Investigation:
    """Register an investigation into a resident; refused while the municipality already runs
    one into them (one is enough to hold entries back)."""
    for inv in investigations_of(session, resident_pseudonym):
        if inv.running and inv.municipality == municipality:
            raise InvestigationStateConflict(
                f"investigation {inv.id} into this resident is already running", "running"
            )
    inv_id = f"inv-{uuid.uuid4().hex[:20]}"
    _append(session, inv_id, resident_pseudonym, municipality, EventKind.OPENED, officer, now_ns)
    return Investigation(inv_id, resident_pseudonym, municipality, now_ns, None)


def close_investigation(
    session: Session, investigation_id: str, *, officer: str, now_ns: int
) -> Investigation:
    """Close a running investigation (the policy decided that `officer` may)."""
    inv = get_investigation(session, investigation_id)
    if not inv.running:
        raise InvestigationStateConflict(f"investigation {inv.id} is already closed", "closed")
    _append(
        session,
        inv.id,
        inv.resident_pseudonym,
        inv.municipality,
        EventKind.CLOSED,
        officer,
        now_ns,
    )
    return Investigation(inv.id, inv.resident_pseudonym, inv.municipality, inv.opened_at_ns, now_ns)
