"""the audit record keeps the municipality of the resource it is about

Revision ID: 0006d
Revises: 0006c
Create Date: 2026-12-06

`resource_municipality`: whose data a decision was about (a record's municipality, which for
a regional service's unit is the resident's, not the unit's seat). A privacy officer
supervises the entries of her own municipality (docs/policy.md, "The perimeter"); rows
written before this column have none, and count as their subject's municipality. Nullable,
and left out of the hashed payload when null, so every older record hashes as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006d"
down_revision = "0006c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_records", sa.Column("resource_municipality", sa.String(100)))


def downgrade() -> None:
    with op.batch_alter_table("audit_records") as batch:
        batch.drop_column("resource_municipality")
