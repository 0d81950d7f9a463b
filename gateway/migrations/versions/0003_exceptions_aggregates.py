"""four-eyes exceptions and anonymous counts; merges the audit (0002a) and consent (0002c) heads

Revision ID: 0003e
Revises: 0002a, 0002c
Create Date: 2026-11-30

- `access_exceptions` (the request) and `access_exception_events` (requested, approved with
  the window's end, revoked): a four-eyes exception, DESIGN rule 1's fourth bullet.
- `aggregate_counts`: anonymous counts a no-dossier unit keeps instead of files (Hilversum's
  work-experience company); no resident column at all.

All three are append-only like the consent tables (triggers refuse UPDATE and DELETE, and
TRUNCATE on PostgreSQL; the trigger function comes from 0001).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003e"
down_revision = ("0002a", "0002c")
branch_labels = None
depends_on = None

_KEYS = {
    "access_exceptions": "id = NEW.id",
    "access_exception_events": "id = NEW.id",
    "aggregate_counts": "id = NEW.id",
}


def upgrade() -> None:
    op.create_table(
        "access_exceptions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("resident_pseudonym", sa.String(length=80), nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("processing_activities", sa.JSON(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("access_exceptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_exceptions_resident_pseudonym"), ["resident_pseudonym"]
        )
        batch_op.create_index(batch_op.f("ix_access_exceptions_subject"), ["subject"])
    op.create_table(
        "access_exception_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exception_id", sa.String(length=40), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("at_ns", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("valid_until_ns", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["exception_id"], ["access_exceptions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("access_exception_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_exception_events_exception_id"), ["exception_id"]
        )
    op.create_table(
        "aggregate_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("unit", sa.String(length=80), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=True),
        sa.Column("processing_activity", sa.String(length=80), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("aggregate_counts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aggregate_counts_municipality"), ["municipality"])
    dialect = op.get_bind().dialect.name
    for table, key in _KEYS.items():
        if dialect == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION doelbinding_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION doelbinding_refuse_change()"
            )
        elif dialect == "sqlite":
            for op_name in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{op_name.lower()} BEFORE {op_name} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op_name} refused'); END"
                )
            # INSERT OR REPLACE would delete the old row without firing the DELETE trigger.
            op.execute(
                f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {key}) "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: REPLACE refused'); END"
            )
        else:
            raise RuntimeError(f"no append-only triggers for dialect {dialect}")


def downgrade() -> None:
    # Dropping a table drops its triggers too, on both databases.
    with op.batch_alter_table("aggregate_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_aggregate_counts_municipality"))
    op.drop_table("aggregate_counts")
    with op.batch_alter_table("access_exception_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_exception_events_exception_id"))
    op.drop_table("access_exception_events")
    with op.batch_alter_table("access_exceptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_exceptions_subject"))
        batch_op.drop_index(batch_op.f("ix_access_exceptions_resident_pseudonym"))
    op.drop_table("access_exceptions")
