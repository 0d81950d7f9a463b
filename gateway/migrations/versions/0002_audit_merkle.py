"""audit: Merkle tree, signed checkpoints, erasure-only tombstones

Revision ID: 0002a
Revises: 0001
Create Date: 2026-11-29

- `audit_records` gains `leaf_hash` (the RFC 9162 leaf hash, kept so the tree outlives erasure)
  and `erased_at` (the tombstone mark), plus an index for the resident's access log.
- `audit_tree_nodes` (perfect-subtree heads) and `audit_checkpoints` (signed notes) are
  append-only, like the log.
- The UPDATE guard on `audit_records` is replaced by one that allows exactly one update per
  row: the retention job's erasure, which empties the personal fields, sets `erased_at`, and
  changes nothing else. Every other UPDATE, and every DELETE, is still refused.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from audit.chain import canonical, payload_of
from audit.merkle import leaf_hash

revision = "0002a"
down_revision = "0001"
branch_labels = None
depends_on = None

NEW_TABLES = ("audit_tree_nodes", "audit_checkpoints")
_SQLITE_KEYS = {
    "audit_tree_nodes": "level = NEW.level AND idx = NEW.idx",
    "audit_checkpoints": "tree_size = NEW.tree_size",
}
# What an erasure sets, and what it must leave alone (keep in step with audit.retention).
_ERASED_TEXT = ("subject_id", "request_id")  # NOT NULL columns: emptied
_ERASED_NULL = ("resident", "record_id", "consent_id", "basis_ref", "policy_input")
_KEPT = (
    "seq", "event_type", "occurred_at", "organisation", "municipality", "category",
    "resource_team", "action", "processing_activity", "purpose", "allowed", "basis_type",
    "policy_revision", "trace_id", "span_id", "policy_input_sha256", "prev_hash", "hash",
    "leaf_hash",
)
_KEPT_JSON = ("subject_roles", "subject_teams", "reason_codes", "redacted", "details")


def _erasure_condition(dialect: str) -> str:
    same = "IS NOT DISTINCT FROM" if dialect == "postgresql" else "IS"
    cast = "::text" if dialect == "postgresql" else ""
    parts = ["OLD.erased_at IS NULL", "NEW.erased_at IS NOT NULL"]
    parts += [f"NEW.{c} = ''" for c in _ERASED_TEXT]
    parts += [f"NEW.{c} IS NULL" for c in _ERASED_NULL]
    parts += [f"NEW.{c} {same} OLD.{c}" for c in _KEPT]
    parts += [f"NEW.{c}{cast} {same} OLD.{c}{cast}" for c in _KEPT_JSON]
    return " AND ".join(parts)


def upgrade() -> None:
    # Plain ALTER TABLE, never a batch "move and copy": that would recreate audit_records on
    # SQLite and lose the append-only triggers of 0001.
    op.add_column("audit_records", sa.Column("leaf_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_records", sa.Column("erased_at", sa.String(length=40), nullable=True))
    op.create_index("ix_audit_records_resident_seq", "audit_records", ["resident", "seq"])

    op.create_table(
        "audit_tree_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tree_size"),
    )

    dialect = op.get_bind().dialect.name
    _drop_update_guard(dialect)
    _backfill_leaf_hashes()
    _create_erasure_guard(dialect)
    _create_append_only_triggers(dialect)


def _backfill_leaf_hashes() -> None:
    bind = op.get_bind()
    table = sa.Table("audit_records", sa.MetaData(), autoload_with=bind)
    rows = bind.execute(sa.select(table).where(table.c.leaf_hash.is_(None))).mappings().all()
    for row in rows:
        lh = leaf_hash(canonical(payload_of(dict(row)))).hex()
        bind.execute(sa.update(table).where(table.c.seq == row["seq"]).values(leaf_hash=lh))


def _drop_update_guard(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_records_append_only ON audit_records")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_records_no_update")


def _create_erasure_guard(dialect: str) -> None:
    cond = _erasure_condition(dialect)
    if dialect == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION doelbinding_audit_guard() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND {cond} THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records "
            "FOR EACH ROW EXECUTE FUNCTION doelbinding_audit_guard()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records "
            f"WHEN NOT ({cond}) "
            "BEGIN SELECT RAISE(ABORT, 'audit_records is append-only: UPDATE refused'); END"
        )


def _create_append_only_triggers(dialect: str) -> None:
    for table in NEW_TABLES:
        if dialect == "postgresql":
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION doelbinding_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION doelbinding_refuse_change()"
            )
        else:
            for op_name in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{op_name.lower()} BEFORE {op_name} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op_name} refused'); END"
                )
            op.execute(
                f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {_SQLITE_KEYS[table]}) "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: REPLACE refused'); END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_update_guard(dialect)
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS doelbinding_audit_guard()")
        op.execute(
            "CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records "
            "FOR EACH ROW EXECUTE FUNCTION doelbinding_refuse_change()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records "
            "BEGIN SELECT RAISE(ABORT, 'audit_records is append-only: UPDATE refused'); END"
        )
    # Dropping the tables drops their triggers.
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_tree_nodes")
    # Plain ALTER TABLE (SQLite >= 3.35 drops columns in place): a batch "move and copy" would
    # recreate audit_records and silently lose the append-only triggers of 0001.
    op.execute("DROP INDEX ix_audit_records_resident_seq")
    op.execute("ALTER TABLE audit_records DROP COLUMN erased_at")
    op.execute("ALTER TABLE audit_records DROP COLUMN leaf_hash")
