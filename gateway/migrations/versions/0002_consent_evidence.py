"""consent evidence: how a consent was given, the exact text, named organisations, supersession

Revision ID: 0002c
Revises: 0001
Create Date: 2026-11-29

A new table rather than new columns on `consents`: a consent row is never altered, and the
new facts are written once, with the consent, as a row of their own. The table is append-only
like the other consent tables (triggers refuse UPDATE and DELETE, and TRUNCATE on PostgreSQL;
the trigger function comes from 0001).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002c"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLE = "consent_evidence"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("consent_id", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("recorded_by_team", sa.String(length=80), nullable=True),
        sa.Column("form_sha256", sa.String(length=64), nullable=True),
        sa.Column("controller", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text_version", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("recipient_organisations", sa.JSON(), nullable=False),
        sa.Column("supersedes", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["consent_id"], ["consents.id"]),
        sa.ForeignKeyConstraint(["supersedes"], ["consents.id"]),
        sa.PrimaryKeyConstraint("consent_id"),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_evidence_supersedes"), ["supersedes"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION doelbinding_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION doelbinding_refuse_change()"
        )
    elif dialect == "sqlite":
        for op_name in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{op_name.lower()} BEFORE {op_name} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {op_name} refused'); END"
            )
        # INSERT OR REPLACE would delete the old row without firing the DELETE trigger (see 0001).
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_replace BEFORE INSERT ON {TABLE} "
            f"WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE consent_id = NEW.consent_id) "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: REPLACE refused'); END"
        )
    else:
        raise RuntimeError(f"no append-only triggers for dialect {dialect}")


def downgrade() -> None:
    # Dropping the table drops its triggers too, on both databases.
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_evidence_supersedes"))
    op.drop_table(TABLE)
