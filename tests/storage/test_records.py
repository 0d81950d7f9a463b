"""Case records and the schema itself, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlmodel import Session

from gateway.db import make_engine, read_scope, session_scope
from gateway.migrate import alembic_config
from records import (
    RecordNotFound,
    RecordRow,
    create_record,
    fetch_record,
    get_record,
    list_for_resident,
)
from tests.conftest import terminate_backends
from tests.factories import make_record

TABLES = {"audit_records", "case_records", "consents", "consent_events"}


def test_a_created_record_can_be_read_back_in_a_new_session(engine: Engine) -> None:
    with session_scope(engine) as s:
        created = create_record(
            s, make_record(content="Gesprek: zorgen om huur — €1.250 achterstand. 🏠")
        )

    with Session(engine) as s:
        fetched = get_record(s, created.id)

    assert fetched.model_dump() == created.model_dump()


def test_an_unknown_record_is_not_found(engine: Engine) -> None:
    with Session(engine) as s, pytest.raises(RecordNotFound) as caught:
        get_record(s, "r-missing")
    assert caught.value.record_id == "r-missing"
    assert isinstance(caught.value, LookupError)


def test_fetch_record_reads_what_the_orm_reads(engine: Engine) -> None:
    """The governed read's Core fetch gives every column as `get_record` does, on the
    request's own session (read_scope: autocommit on PostgreSQL, a transaction on SQLite)."""
    with session_scope(engine) as s:
        created = create_record(
            s,
            make_record(
                content="Gesprek: zorgen om huur — €1.250 achterstand. 🏠",
                created_at_ns=1_733_000_000_123_456_789,
            ),
        )
        create_record(s, make_record(id="r-other", content="iets anders"))

    with read_scope(engine) as s:
        fetched = fetch_record(s, created.id)
    with Session(engine) as s:
        orm = get_record(s, created.id)

    assert isinstance(fetched, RecordRow)
    assert {name: getattr(fetched, name) for name in RecordRow.__slots__} == orm.model_dump()
    assert set(RecordRow.__slots__) == set(orm.model_dump())
    assert type(fetched.created_at_ns) is int


def test_fetch_record_of_an_unknown_id_is_not_found(engine: Engine) -> None:
    with read_scope(engine) as s, pytest.raises(RecordNotFound) as caught:
        fetch_record(s, "r-missing")
    assert caught.value.record_id == "r-missing"


def test_fetch_record_fails_as_a_database_error(engine: Engine) -> None:
    """A failing query is SQLAlchemy's error (the gateway's 503, fail closed), not the
    driver's own exception (a 500)."""
    with session_scope(engine) as s:
        create_record(s, make_record(id="r-1"))
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE case_records RENAME TO case_records_gone"))
    with read_scope(engine) as s, pytest.raises(SQLAlchemyError):
        fetch_record(s, "r-1")


@pytest.mark.postgres
def test_fetch_record_on_a_dropped_connection_invalidates_it(pg_database_url: str) -> None:
    """The driver's error on a connection the server dropped goes through SQLAlchemy, which
    invalidates the pool: the request fails closed, the next one connects anew."""
    engine = make_engine(pg_database_url)
    try:
        with session_scope(engine) as s:
            create_record(s, make_record(id="r-1"))
        with read_scope(engine) as s:
            s.connection()  # checked out and alive
            assert terminate_backends(pg_database_url) >= 1
            with pytest.raises(DBAPIError) as caught:
                fetch_record(s, "r-1")
        assert caught.value.connection_invalidated
        with read_scope(engine) as s:
            assert fetch_record(s, "r-1").id == "r-1"
    finally:
        engine.dispose()


def test_a_record_id_is_used_once(engine: Engine) -> None:
    with session_scope(engine) as s:
        create_record(s, make_record(id="r-1"))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        create_record(s, make_record(id="r-1"))


def test_list_for_resident_returns_only_theirs_oldest_first(engine: Engine) -> None:
    with session_scope(engine) as s:
        late = create_record(s, make_record(created_at_ns=30))
        other = create_record(s, make_record(resident_pseudonym="ps-resident-b", created_at_ns=10))
        early = create_record(s, make_record(created_at_ns=20))
        tie_b = create_record(s, make_record(id="r-tie-b", created_at_ns=40))
        tie_a = create_record(s, make_record(id="r-tie-a", created_at_ns=40))

    with Session(engine) as s:
        ids = [r.id for r in list_for_resident(s, "ps-resident-a")]
        assert [r.id for r in list_for_resident(s, "ps-resident-b")] == [other.id]
        assert list_for_resident(s, "ps-nobody") == []
    assert ids == [early.id, late.id, tie_a.id, tie_b.id]


def test_migrations_go_down_to_base_and_up_again(database_url: str) -> None:
    cfg = alembic_config(database_url)

    command.downgrade(cfg, "base")
    engine = make_engine(database_url)
    try:
        assert TABLES.isdisjoint(inspect(engine).get_table_names())
        engine.dispose()

        command.upgrade(cfg, "heads")

        assert set(inspect(engine).get_table_names()) >= TABLES
        with Session(engine) as s:
            create_record(s, make_record(id="r-1"))
            s.commit()
        # The append-only triggers came back with the tables.
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO consents VALUES ('c-1', 'p', '[]', '[]', '[]', 1, NULL, 1, 'r')")
            )
        with pytest.raises(IntegrityError, match="append-only"), engine.begin() as conn:
            conn.execute(text("DELETE FROM consents"))
    finally:
        engine.dispose()


def test_the_models_and_the_migrations_agree(database_url: str) -> None:
    """`alembic check`: autogenerate finds nothing to add, so no model change lacks a migration."""
    command.check(alembic_config(database_url))


def test_a_team_leads_oversight_reads_her_teams_entries_through_an_index(engine: Engine) -> None:
    """The oversight views select the audit entries of one team's records, newest first;
    the database answers that from `(resource_team, seq)`, not by reading the whole trail."""
    from oversight.service import _team_member_work

    query = _team_member_work("wt-oost", "zaanstad").order_by(text("seq DESC")).limit(50)
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL enable_seqscan = off"))  # an empty table: force the choice
            plan = " ".join(str(r[0]) for r in conn.execute(text(f"EXPLAIN {compiled}")))
        else:
            plan = " ".join(
                str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            )
    assert "ix_audit_records_resource_team_seq" in plan, plan
