"""consent recipients: units and organisations, never a whole domain

Revision ID: 0006c
Revises: 0005a
Create Date: 2026-12-06

Issue 17, finding 6 (docs/law.md): a consent names its recipient unit or organisation; a
consent to the domain `team` opened every wijkteam of the municipality. Every consent that is
still running (not withdrawn, superseded or expired) and names a domain is narrowed, never
widened, by the rule in `consent.recipients.narrow`, against the register of the profile the
gateway serves (`DOELBINDING_PROFILE`):

- narrowed: a new consent with the narrowed scope, the same window, the same person who gave
  it and the same evidence (method, form hash, the text the resident agreed to), superseding
  the old one, and a `superseded` event on the old one;
- not narrowable: a `lapsed` event; it stops counting, and the resident's page says so and
  asks again.

Consents are append-only (triggers refuse UPDATE and DELETE), so nothing is changed: every
fact is a new row. Events are by `gateway:0006c`. Running it again finds nothing to do.
Downgrade appends nothing and removes nothing: the narrowing stays.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from consent.recipients import narrow
from registry import Register, load_register

revision = "0006c"
down_revision = "0005a"
branch_labels = None
depends_on = None

ACTOR = "gateway:0006c"
_ENDING = ("withdrawn", "superseded", "lapsed")

_consents = sa.table(
    "consents",
    sa.column("id", sa.String),
    sa.column("resident_pseudonym", sa.String),
    sa.column("categories", sa.JSON),
    sa.column("processing_activities", sa.JSON),
    sa.column("recipients", sa.JSON),
    sa.column("valid_from_ns", sa.BigInteger),
    sa.column("valid_until_ns", sa.BigInteger),
    sa.column("given_at_ns", sa.BigInteger),
    sa.column("given_by", sa.String),
)
_evidence = sa.table(
    "consent_evidence",
    sa.column("consent_id", sa.String),
    sa.column("method", sa.String),
    sa.column("recorded_by", sa.String),
    sa.column("recorded_by_team", sa.String),
    sa.column("form_sha256", sa.String),
    sa.column("controller", sa.String),
    sa.column("language", sa.String),
    sa.column("text_version", sa.String),
    sa.column("text", sa.Text),
    sa.column("text_sha256", sa.String),
    sa.column("recipient_organisations", sa.JSON),
    sa.column("supersedes", sa.String),
)
_events = sa.table(
    "consent_events",
    sa.column("consent_id", sa.String),
    sa.column("event", sa.String),
    sa.column("at_ns", sa.BigInteger),
    sa.column("actor", sa.String),
)


def _register() -> Register:
    given = context.config.attributes.get("register")
    if isinstance(given, Register):
        return given
    from gateway.settings import Settings  # the profile the gateway serves

    return load_register(Settings().profile)


def _json(value: Any) -> list[str]:
    """A JSON column as a list: SQLite may hand back the stored text."""
    if isinstance(value, str):
        value = json.loads(value)
    return list(value or [])


def upgrade() -> None:
    bind = op.get_bind()
    now = time.time_ns()
    ended = {
        row.consent_id
        for row in bind.execute(
            sa.select(_events.c.consent_id).where(
                _events.c.event.in_(_ENDING), _events.c.at_ns <= now
            )
        )
    }
    rows = bind.execute(
        sa.select(_consents, _evidence)
        .select_from(
            _consents.outerjoin(_evidence, _evidence.c.consent_id == _consents.c.id)
        )
        .order_by(_consents.c.given_at_ns, _consents.c.id)
    ).all()
    register: Register | None = None
    for row in rows:
        c = row._mapping
        recipients = _json(c["recipients"])
        if c["id"] in ended or (c["valid_until_ns"] is not None and c["valid_until_ns"] <= now):
            continue
        register = register or _register()
        if not any(r in register.domains for r in recipients):
            continue  # already names units or organisations
        narrowed = narrow(
            register,
            categories=_json(c["categories"]),
            processing_activities=_json(c["processing_activities"]),
            recipients=recipients,
            recorded_by_team=c["recorded_by_team"],
            organisations=_json(c["recipient_organisations"]),
        )
        if narrowed is None:
            bind.execute(
                _events.insert().values(consent_id=c["id"], event="lapsed", at_ns=now, actor=ACTOR)
            )
            continue
        new_id = f"c-{uuid.uuid4().hex[:20]}"
        bind.execute(
            _consents.insert().values(
                id=new_id,
                resident_pseudonym=c["resident_pseudonym"],
                categories=narrowed.categories,
                processing_activities=narrowed.processing_activities,
                recipients=narrowed.recipients,
                valid_from_ns=c["valid_from_ns"],
                valid_until_ns=c["valid_until_ns"],
                given_at_ns=c["given_at_ns"],
                given_by=c["given_by"],
            )
        )
        has_evidence = c["method"] is not None
        bind.execute(
            _evidence.insert().values(
                consent_id=new_id,
                method=c["method"] if has_evidence else "digital",
                recorded_by=c["recorded_by"],
                recorded_by_team=c["recorded_by_team"],
                form_sha256=c["form_sha256"],
                # A consent from before 0002c has no evidence: its controller is the profile's
                # organisation where it serves one, as give_consent decided then.
                controller=c["controller"] if has_evidence else _only_controller(register),
                language=c["language"] if has_evidence else "nl",
                text_version=c["text_version"] if has_evidence else "",
                text=c["text"] if has_evidence else "",
                text_sha256=c["text_sha256"] if has_evidence else "",
                recipient_organisations=[],
                supersedes=c["id"],
            )
        )
        bind.execute(
            _events.insert(),
            [
                {"consent_id": new_id, "event": "given", "at_ns": now, "actor": ACTOR},
                {"consent_id": c["id"], "event": "superseded", "at_ns": now, "actor": ACTOR},
            ],
        )


def _only_controller(register: Register) -> str:
    orgs = sorted({m.organisation for m in register.municipalities.values()})
    return orgs[0] if len(orgs) == 1 else ""


def downgrade() -> None:
    """The narrowing stays: consents are append-only and a wider consent is never restored."""
