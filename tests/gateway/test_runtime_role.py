"""Least privilege on PostgreSQL: `doelbinding migrate --runtime-role` grants the gateway's role
INSERT and SELECT on the append-only tables and nothing more; as that role, UPDATE, DELETE and
TRUNCATE on the audit tables are refused by the privileges themselves (before any trigger),
and the gateway still works."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from gateway.app import create_app
from gateway.cli import app as cli
from gateway.migrate import RUNTIME_GRANTS
from gateway.settings import Settings
from tests.conftest import _pg_admin

from .conftest import BSN_SANNE

AUDIT_TABLES = ("audit_records", "audit_tree_nodes", "audit_checkpoints")
FORBIDDEN = {
    "UPDATE": "UPDATE {t} SET {c} = {c}",
    "DELETE": "DELETE FROM {t}",
    "TRUNCATE": "TRUNCATE {t}",
}
KEY_COLUMN = {"audit_records": "seq", "audit_tree_nodes": "idx", "audit_checkpoints": "tree_size"}


def test_no_table_grants_delete_or_truncate_and_only_case_records_update():
    for table, privileges in RUNTIME_GRANTS.items():
        assert not {"DELETE", "TRUNCATE"} & set(privileges), table
        if table != "case_records":
            assert "UPDATE" not in privileges, table


@pytest.fixture
def runtime_role(pg_database_url: str) -> Iterator[str]:
    role = f"doelbinding_rt_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
    yield role
    dbname = make_url(pg_database_url).database
    url = make_url(pg_database_url)
    with psycopg.connect(
        host=url.host, port=url.port or 5432, user=url.username, dbname=dbname, autocommit=True
    ) as conn:
        conn.execute(f"DROP OWNED BY {role}")
    with _pg_admin() as admin:
        admin.execute(f"DROP ROLE {role}")


@pytest.mark.postgres
def test_the_runtime_role_may_append_and_read_but_never_change_the_audit_log(
    pg_database_url: str, runtime_role: str, tmp_path: Path
):
    owner_env = {"DOELBINDING_DATABASE__URL": pg_database_url, "DOELBINDING_LOG_FORMAT": "json"}
    out = CliRunner().invoke(cli, ["migrate", "--runtime-role", runtime_role], env=owner_env)
    assert out.exit_code == 0, out.output
    assert f"role {runtime_role}: INSERT and SELECT" in out.output

    as_role = make_url(pg_database_url).set(username=runtime_role)
    url = as_role.render_as_string(hide_password=False)
    settings = Settings(data_dir=tmp_path, database={"url": url}, log_format="json")
    application = create_app(settings)
    with TestClient(application, raise_server_exceptions=False) as client:
        from gateway.auth import issue_dev_token, load_or_create_dev_key

        key = load_or_create_dev_key(settings.dev_key_file)
        anna = issue_dev_token(
            key,
            issuer="doelbinding-dev",
            audience="doelbinding",
            sub="u-anna",
            roles=["team_generalist"],
            municipality="zaanstad",
            organisation="gemeente-zaanstad",
            teams=("wt-oost",),
        )
        headers = {"Authorization": f"Bearer {anna}", "X-Processing-Activity": "signalling"}
        body = {"resident": BSN_SANNE, "category": "signal", "team": "wt-oost", "content": "x"}
        created = client.post("/v1/records", json=body, headers=headers)
        assert created.status_code == 201, created.text
        read = client.get(f"/v1/records/{created.json()['id']}", headers=headers)
        assert read.status_code == 200, read.text
        # Handover updates case records: the one table the role may update.
        moved = client.post(
            f"/v1/records/{created.json()['id']}/handover",
            json={"to_team": "wt-west"},
            headers={**headers, "X-Processing-Activity": "wmo-support"},
        )
        assert moved.status_code == 200, moved.text
        checkpoint = application.state.services.checkpointer.run_once()
        assert checkpoint is not None
        assert checkpoint.tree_size >= 3
        assert client.get("/v1/audit/checkpoint").status_code == 200
    application.state.services.db.dispose()

    with psycopg.connect(
        host=as_role.host, port=as_role.port or 5432, user=runtime_role, dbname=as_role.database
    ) as conn:
        # Every table of the migrated schema has a decided grant (a new table needs one).
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables "
                                             "WHERE schemaname = current_schema()")}  # fmt: skip
        assert tables == set(RUNTIME_GRANTS)
        assert conn.execute("SELECT count(*) FROM audit_records").fetchone() == (3,)
        for table in AUDIT_TABLES:
            for verb, sql in FORBIDDEN.items():
                stmt = sql.format(t=table, c=KEY_COLUMN[table])
                with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
                    conn.execute(stmt)
                conn.rollback()
                assert f"permission denied for table {table}" in str(refused.value), verb
        # Nor can it change the schema: the owner does that.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DROP TRIGGER audit_records_append_only ON audit_records")
        conn.rollback()
    # The owner still could (and the trigger, the second wall, still stops it).
    with (
        psycopg.connect(
            host=as_role.host, port=as_role.port or 5432, user="postgres", dbname=as_role.database
        ) as conn,
        pytest.raises(psycopg.errors.IntegrityConstraintViolation),
    ):
        conn.execute("DELETE FROM audit_records")
