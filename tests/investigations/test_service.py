"""The register of investigations on both databases: opened and closed events, which are
running, and the table refuses to be changed."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from gateway.db import session_scope
from investigations import (
    InvestigationNotFound,
    InvestigationStateConflict,
    close_investigation,
    get_investigation,
    investigations_of,
    open_investigation,
)


def test_open_and_close_an_investigation(engine: Engine) -> None:
    with session_scope(engine) as s:
        inv = open_investigation(
            s, resident_pseudonym="p-1", municipality="zaanstad", officer="h1", now_ns=100
        )
        open_investigation(
            s, resident_pseudonym="p-2", municipality="zaanstad", officer="h1", now_ns=150
        )
    with session_scope(engine) as s:
        [running] = investigations_of(s, "p-1")
        assert (running.id, running.running, running.opened_at_ns) == (inv.id, True, 100)
        close_investigation(s, inv.id, officer="h2", now_ns=200)
    with session_scope(engine) as s:
        [past] = investigations_of(s, "p-1")
        assert (past.running, past.opened_at_ns, past.closed_at_ns) == (False, 100, 200)
        assert get_investigation(s, inv.id) == past
        # Another resident's investigation is not this one's.
        assert [i.running for i in investigations_of(s, "p-2")] == [True]
        # A new one after the first has closed.
        again = open_investigation(
            s, resident_pseudonym="p-1", municipality="zaanstad", officer="h1", now_ns=300
        )
    with session_scope(engine) as s:
        assert [(i.id, i.running) for i in investigations_of(s, "p-1")] == [
            (inv.id, False),
            (again.id, True),
        ]


def test_state_conflicts_and_unknown_ids(engine: Engine) -> None:
    with session_scope(engine) as s:
        inv = open_investigation(
            s, resident_pseudonym="p-1", municipality="zaanstad", officer="h1", now_ns=100
        )
        with pytest.raises(InvestigationStateConflict, match="already running"):
            open_investigation(
                s, resident_pseudonym="p-1", municipality="zaanstad", officer="h1", now_ns=110
            )
        close_investigation(s, inv.id, officer="h1", now_ns=120)
        with pytest.raises(InvestigationStateConflict, match="already closed"):
            close_investigation(s, inv.id, officer="h1", now_ns=130)
        with pytest.raises(InvestigationNotFound):
            close_investigation(s, "inv-nope", officer="h1", now_ns=130)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE investigation_events SET at_ns = 1", "DELETE FROM investigation_events"],
)
def test_the_register_is_append_only(engine: Engine, statement: str) -> None:
    with session_scope(engine) as s:
        open_investigation(
            s, resident_pseudonym="p-1", municipality="zaanstad", officer="h1", now_ns=100
        )
    with (
        pytest.raises(IntegrityError, match="investigation_events is append-only"),
        engine.begin() as conn,
    ):
        conn.execute(text(statement))
    with session_scope(engine) as s:
        assert [i.opened_at_ns for i in investigations_of(s, "p-1")] == [100]
