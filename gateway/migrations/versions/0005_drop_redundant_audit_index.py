"""drop the audit log's single-column resident index

Revision ID: 0005a
Revises: 0004p
Create Date: 2026-11-29

`ix_audit_records_resident_seq` (resident, seq), added in 0002a for the resident's access
log, answers every lookup by resident too. The older `ix_audit_records_resident` only cost a
B-tree insert per appended record, inside the chain's lock.
"""

from __future__ import annotations

from alembic import op

revision = "0005a"
down_revision = "0004p"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_audit_records_resident", table_name="audit_records")


def downgrade() -> None:
    op.create_index("ix_audit_records_resident", "audit_records", ["resident"])
