"""the register of investigations

Revision ID: 0009i
Revises: 0006r
Create Date: 2026-12-06

- `investigation_events`: `opened` and `closed` events of an investigation into one
  resident (by pseudonym), by an enforcement officer, with the municipality. While one is
  running, the enforcement accesses made during it are held back from the resident's access
  log (docs/law.md, section 8).

Append-only like the consent and question tables (triggers refuse UPDATE and DELETE, and
TRUNCATE on PostgreSQL; the trigger function comes from 0001).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009i"
down_revision = "0006r"
branch_labels = None
depends_on = None

_TABLE = "investigation_events"
_KEY = "id = NEW.id"


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("investigation_id", sa.String(length=40), nullable=False),
        sa.Column("resident_pseudonym", sa.String(length=80), nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table(_TABLE, schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_investigation_events_investigation_id"), ["investigation_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_investigation_events_resident_pseudonym"), ["resident_pseudonym"]
        )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            f"CREATE TRIGGER {_TABLE}_append_only BEFORE UPDATE OR DELETE ON {_TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION doelbinding_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {_TABLE}_no_truncate BEFORE TRUNCATE ON {_TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION doelbinding_refuse_change()"
        )
    elif dialect == "sqlite":
        for op_name in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {_TABLE}_no_{op_name.lower()} BEFORE {op_name} ON {_TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{_TABLE} is append-only: {op_name} refused'); END"
            )
        # INSERT OR REPLACE would delete the old row without firing the DELETE trigger.
        op.execute(
            f"CREATE TRIGGER {_TABLE}_no_replace BEFORE INSERT ON {_TABLE} "
            f"WHEN EXISTS (SELECT 1 FROM {_TABLE} WHERE {_KEY}) "
            f"BEGIN SELECT RAISE(ABORT, '{_TABLE} is append-only: REPLACE refused'); END"
        )
    else:
        raise RuntimeError(f"no append-only triggers for dialect {dialect}")


def downgrade() -> None:
    # Dropping a table drops its triggers too, on both databases.
    with op.batch_alter_table(_TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investigation_events_resident_pseudonym"))
        batch_op.drop_index(batch_op.f("ix_investigation_events_investigation_id"))
    op.drop_table(_TABLE)
