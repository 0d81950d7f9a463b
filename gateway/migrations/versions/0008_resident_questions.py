"""residents' questions about their access log, and the privacy officer's answers

Revision ID: 0006r
Revises: 0006d
Create Date: 2026-12-06

- `resident_questions`: a question or objection about one entry of the resident's own
  access log ("Klopt er iets niet?"), by pseudonym, with the municipality whose privacy
  officer answers.
- `resident_question_answers`: the officer's answers, appended.

Both are append-only like the consent tables (triggers refuse UPDATE and DELETE, and
TRUNCATE on PostgreSQL; the trigger function comes from 0001).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006r"
down_revision = "0006d"
branch_labels = None
depends_on = None

_KEYS = {"resident_questions": "id = NEW.id", "resident_question_answers": "id = NEW.id"}


def upgrade() -> None:
    op.create_table(
        "resident_questions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("resident_pseudonym", sa.String(length=80), nullable=False),
        sa.Column("municipality", sa.String(length=80), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at_ns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("resident_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resident_questions_resident_pseudonym"), ["resident_pseudonym"]
        )
        batch_op.create_index(batch_op.f("ix_resident_questions_municipality"), ["municipality"])
    op.create_table(
        "resident_question_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(length=200), nullable=False),
        sa.Column("answered_at_ns", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["resident_questions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("resident_question_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resident_question_answers_question_id"), ["question_id"]
        )
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
    with op.batch_alter_table("resident_question_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resident_question_answers_question_id"))
    op.drop_table("resident_question_answers")
    with op.batch_alter_table("resident_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resident_questions_municipality"))
        batch_op.drop_index(batch_op.f("ix_resident_questions_resident_pseudonym"))
    op.drop_table("resident_questions")
