"""policy versions and their lifecycle events

Revision ID: 0004p
Revises: 0003e
Create Date: 2026-12-01

- `policy_versions`: a version's content (Rego modules, the register with its profiles),
  keyed by its content hash, with author, message and parent. Never edited.
- `policy_version_events`: drafted, tested, simulated, approved, activated,
  rollback_requested, rolled_back, each with its actor, time and report. The state of a
  version is derived from these; the active version is the latest activation or rollback.

Both are append-only like the other evidence tables (triggers refuse UPDATE and DELETE, and
TRUNCATE on PostgreSQL; the trigger function comes from 0001).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004p"
down_revision = "0003e"
branch_labels = None
depends_on = None

_KEYS = {
    "policy_versions": "revision = NEW.revision",
    "policy_version_events": "id = NEW.id",
}


def upgrade() -> None:
    op.create_table(
        "policy_versions",
        sa.Column("revision", sa.String(length=80), nullable=False),
        sa.Column("parent", sa.String(length=80), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("modules", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("revision"),
    )
    op.create_table(
        "policy_version_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.String(length=80), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at_ns", sa.BigInteger(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["revision"], ["policy_versions.revision"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("policy_version_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_version_events_revision"), ["revision"])
        batch_op.create_index("ix_policy_version_events_event_id", ["event", "id"])
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
    with op.batch_alter_table("policy_version_events", schema=None) as batch_op:
        batch_op.drop_index("ix_policy_version_events_event_id")
        batch_op.drop_index(batch_op.f("ix_policy_version_events_revision"))
    op.drop_table("policy_version_events")
    op.drop_table("policy_versions")
