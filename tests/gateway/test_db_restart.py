"""A database server that drops its connections (a restart, a failover): the gateway fails
closed for the request that meets a dead connection and serves the next ones.

PostgreSQL only: SQLite has no server to lose.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from audit import AuditStore
from gateway.settings import Settings
from tests.conftest import terminate_backends

from .conftest import store_record

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(pg_database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, profile="zaanstad", database={"url": pg_database_url}, log_format="json"
    )


def test_a_dropped_connection_fails_one_request_closed_then_the_pool_reconnects(
    client, token, settings, pg_database_url
):
    """Without pre-ping (the default) the request that meets a dropped pooled connection
    gets 503 and no data, SQLAlchemy discards the pool, and the next request is served; the
    group-commit writer's own dropped connection costs no request (it had sent nothing, so
    it retries on a new one). The log stays one verifiable chain."""
    assert settings.database.pre_ping is False
    headers = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    rid = store_record(client, headers)
    assert client.get(f"/v1/records/{rid}", headers=headers).status_code == 200

    assert terminate_backends(pg_database_url) >= 1
    first = client.get(f"/v1/records/{rid}", headers=headers)
    assert first.status_code == 503
    assert "geheim" not in first.text
    after = [client.get(f"/v1/records/{rid}", headers=headers) for _ in range(3)]
    assert [r.status_code for r in after] == [200, 200, 200]
    assert after[-1].json()["content"] == "geheim"

    with Session(client.app.state.services.db) as s:
        assert AuditStore().verify(s).ok


def test_with_pre_ping_no_request_fails(make_client, token, settings, pg_database_url):
    """`DOELBINDING_DATABASE__PRE_PING=true` trades ~0.1 ms per request for not even one 503."""
    settings.database.pre_ping = True
    client = make_client()
    headers = token("u-anna", "team_generalist", teams=("wt-oost",), activity="wmo-support")
    rid = store_record(client, headers, content="x")
    assert client.get(f"/v1/records/{rid}", headers=headers).status_code == 200
    assert terminate_backends(pg_database_url) >= 1
    codes = [client.get(f"/v1/records/{rid}", headers=headers).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
