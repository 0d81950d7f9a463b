"""Run the Alembic migrations for a database URL (`doelbinding migrate`), and give the
gateway's runtime role on PostgreSQL exactly the privileges it needs.

Least privilege: the migrations run as the owner role (it creates the tables, so it owns
them); the gateway runs as another role. That role may only INSERT and SELECT on the
append-only tables (the audit log, consents, exceptions, aggregates, policy versions): no
UPDATE, DELETE or TRUNCATE grant exists for it, so the database refuses those before the
append-only triggers (the second wall) are even reached. The case records are the one table
it also updates (a handover moves a case to another team). Retention (`audit erase-expired`)
updates audit records and runs as the owner.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: What the runtime role may do, table by table. Every table of the schema is listed here
#: (a test checks it), so a new table needs a decision.
RUNTIME_GRANTS: dict[str, tuple[str, ...]] = {
    "audit_records": ("SELECT", "INSERT"),
    "audit_tree_nodes": ("SELECT", "INSERT"),
    "audit_checkpoints": ("SELECT", "INSERT"),
    "consents": ("SELECT", "INSERT"),
    "consent_evidence": ("SELECT", "INSERT"),
    "consent_events": ("SELECT", "INSERT"),
    "access_exceptions": ("SELECT", "INSERT"),
    "access_exception_events": ("SELECT", "INSERT"),
    "aggregate_counts": ("SELECT", "INSERT"),
    "policy_versions": ("SELECT", "INSERT"),
    "policy_version_events": ("SELECT", "INSERT"),
    "resident_questions": ("SELECT", "INSERT"),
    "resident_question_answers": ("SELECT", "INSERT"),
    "case_records": ("SELECT", "INSERT", "UPDATE"),
    "investigation_events": ("SELECT", "INSERT"),
    "alembic_version": ("SELECT",),
}


class RoleMissing(Exception):
    """The runtime role does not exist (the database administrator creates it)."""


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the database at `url` to `revision`."""
    command.upgrade(alembic_config(url), revision)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_runtime_role(url: str, role: str) -> list[str]:
    """Give `role` the RUNTIME_GRANTS on the database at `url` (PostgreSQL), after taking away
    whatever it held on those tables; the statements run, in order. Run as the owner."""
    engine = create_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            raise ValueError("a runtime role is a PostgreSQL setting")
        with engine.begin() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
                raise RoleMissing(role)
            tables = set(
                conn.scalars(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                )
            )
            schema = conn.scalar(text("SELECT current_schema()"))
            r = _ident(role)
            statements = [f"GRANT USAGE ON SCHEMA {_ident(str(schema))} TO {r}"]
            for table in sorted(tables):
                statements.append(f"REVOKE ALL ON TABLE {_ident(table)} FROM {r}")
                privileges = RUNTIME_GRANTS.get(table)
                if privileges:
                    statements.append(
                        f"GRANT {', '.join(privileges)} ON TABLE {_ident(table)} TO {r}"
                    )
            statements.append(
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_ident(str(schema))} TO {r}"
            )
            for stmt in statements:
                conn.execute(text(stmt))
        return statements
    finally:
        engine.dispose()
