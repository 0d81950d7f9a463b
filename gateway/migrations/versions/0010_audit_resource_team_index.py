"""an index on the audit trail by the team that holds the resource

Revision ID: 0010t
Revises: 0009i
Create Date: 2026-12-06

A team lead's oversight views (`oversight/service.py`) read the audit records of her team's
records: `resource_team = :team`, newest first. Without an index that is a scan of the whole
trail per page, which grows with every decision; `(resource_team, seq)` answers it from the
team's own entries, in order.
"""

from __future__ import annotations

from alembic import op

revision = "0010t"
down_revision = "0009i"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_records_resource_team_seq", "audit_records", ["resource_team", "seq"])


def downgrade() -> None:
    op.drop_index("ix_audit_records_resource_team_seq", table_name="audit_records")
