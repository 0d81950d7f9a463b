"""What a decision needs to know about a resident besides the record, in one round trip.

    input.consents    the resident's consents active at decision time (consent/), with
                      their recipient units and organisations; the policy matches them
                      against the subject's teams and organisation. A consent from before
                      0006c that named organisations besides its domains counts only for
                      those (`counts_for`); 0006c narrowed or ended every running one.
    input.exceptions  the subject's active four-eyes exceptions for them (exceptions/)

Each package owns its rule as one Core statement with bind parameters; this module only puts
the two side by side (UNION ALL), so that a governed request costs one query instead of two
ORM queries. The statement is built once at import, compiled once per dialect, and run on the
driver's cursor of the session's connection (inside its transaction, if it has one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CompoundSelect,
    String,
    cast,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlmodel import Session, col

from consent import ACTIVE_CONSENT_FACTS, counts_for
from exceptions import ACTIVE_EXCEPTION_FACTS
from policy.contract import ConsentFact, ExceptionFact
from records import CaseRecord

_CONSENT, _EXCEPTION = "c", "e"


def _statement() -> CompoundSelect[*tuple[Any, ...]]:
    c = ACTIVE_CONSENT_FACTS.selected_columns
    e = ACTIVE_EXCEPTION_FACTS.selected_columns
    consents = ACTIVE_CONSENT_FACTS.order_by(None).with_only_columns(
        literal(_CONSENT, String).label("kind"),
        c.given_at_ns.label("ord"),
        c.id,
        c.categories,
        c.processing_activities,
        c.valid_from_ns,
        c.valid_until_ns,
        c.recipients,
        c.recipient_organisations,
        cast(null(), String).label("subject"),
        maintain_column_froms=True,
    )
    exceptions = ACTIVE_EXCEPTION_FACTS.order_by(None).with_only_columns(
        literal(_EXCEPTION, String),
        literal(0, BigInteger),
        e.id,
        e.categories,
        e.processing_activities,
        e.at_ns,
        e.valid_until_ns,
        cast(null(), JSON),
        cast(null(), JSON),
        e.subject,
        maintain_column_froms=True,
    )
    union = union_all(consents, exceptions)
    cols = union.selected_columns
    return union.order_by(cols.kind, cols.ord, cols.id)


FACTS = _statement()


@dataclass(frozen=True)
class _Compiled:
    """FACTS as one dialect's SQL text, run on the driver's cursor: SQLAlchemy's execution
    context (parameter processing, result metadata) cost as much as the query itself."""

    sql: str
    constants: dict[str, Any]
    positional: tuple[str, ...] | None  # qmark (sqlite3): the parameter order
    json_as_text: bool  # sqlite3 returns JSON columns as text; psycopg parses them

    def params(self, values: dict[str, Any]) -> Any:
        merged = {**self.constants, **values}
        if self.positional is None:
            return merged
        return tuple(merged[name] for name in self.positional)


_BY_DIALECT: dict[tuple[str, str], _Compiled] = {}


def _compiled(dialect: Dialect) -> _Compiled:
    key = (dialect.name, dialect.paramstyle)
    if key not in _BY_DIALECT:
        c = FACTS.compile(dialect=dialect)
        positional = tuple(c.positiontup) if c.positional and c.positiontup else None
        _BY_DIALECT[key] = _Compiled(str(c), dict(c.params), positional, dialect.name == "sqlite")
    return _BY_DIALECT[key]


@dataclass(frozen=True)
class ResidentFacts:
    consents: tuple[ConsentFact, ...]
    exceptions: tuple[ExceptionFact, ...]


def resident_facts(
    session: Session, resident: str, subject: str, organisation: str, now_ns: int
) -> ResidentFacts:
    """The consents and exceptions that go into a decision about `resident` by `subject` of
    `organisation` at `now_ns`, in one query."""
    consents: list[ConsentFact] = []
    exceptions: list[ExceptionFact] = []
    query = _compiled(session.get_bind().dialect)
    params = query.params({"resident": resident, "subject": subject, "now": now_ns})
    conn = session.connection()
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(query.sql, params)
        rows = cursor.fetchall()
    except conn.dialect.loaded_dbapi.Error:
        # Once more through SQLAlchemy, as `records.fetch_record` does: it raises its own
        # error (the gateway's 503, fail closed) and, for a connection the server dropped,
        # invalidates the pool, so the next request connects anew.
        rows = conn.exec_driver_sql(query.sql, params).fetchall()
    finally:
        cursor.close()
    for kind, _ord, id_, cats, acts, since, until, recipients, named, who in rows:
        if query.json_as_text:
            cats, acts = json.loads(cats), json.loads(acts)
            recipients = json.loads(recipients) if recipients is not None else None
            named = json.loads(named) if named is not None else None
        if kind == _CONSENT:
            if counts_for(named, organisation):
                consents.append(
                    ConsentFact(
                        id=id_,
                        categories=tuple(cats),
                        processing_activities=tuple(acts),
                        recipients=tuple(recipients),
                        valid_from_ns=since,
                        valid_until_ns=until or 0,
                    )
                )
        else:
            exceptions.append(
                ExceptionFact(
                    id=id_,
                    subject=who,
                    categories=tuple(cats),
                    processing_activities=tuple(acts),
                    valid_from_ns=since or 0,
                    valid_until_ns=until or 0,
                )
            )
    return ResidentFacts(tuple(consents), tuple(exceptions))


#: An aggregate is about no resident: no consents, no exceptions.
NO_FACTS = ResidentFacts((), ())


def holding_units(session: Session, resident: str) -> dict[str, str]:
    """The teams and units that hold a record of `resident` (a pseudonym), each with the
    municipality of its records there: whose client the resident is."""
    rows = session.execute(
        select(col(CaseRecord.team), col(CaseRecord.municipality))
        .where(col(CaseRecord.resident_pseudonym) == resident)
        .distinct()
    ).all()
    return {str(team): str(municipality) for team, municipality in sorted(rows)}
