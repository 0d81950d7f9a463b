"""A restored backup cannot pass unnoticed: the gateway refuses it until an operator accepts
the restore (audited), and `audit watch` (public endpoints only) reports the rollback, then
the fork when the restored log grows past the old size. SQLite and PostgreSQL (pg_dump)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from audit import AuditRecord, LogRolledBack, VerifierKey
from audit.witness import Growth
from gateway.app import create_app
from gateway.audit_watch import WatchError, watch_once
from gateway.cli import app as cli
from gateway.db import session_scope
from gateway.settings import Settings

from .conftest import BSN_SANNE
from .restore import backup, restore


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        profile="zaanstad",
        database={"url": database_url},
        log_format="json",
        audit={"refuse_rollback": True, "checkpoint_interval_seconds": 0},
    )


def _store(client, token, n: int) -> None:
    headers = token("u-anna", "team_generalist", teams=("wt-oost",), activity="signalling")
    for _ in range(n):
        body = {"resident": BSN_SANNE, "category": "signal", "team": "wt-oost", "content": "x"}
        assert client.post("/v1/records", json=body, headers=headers).status_code == 201


def _checkpoint(client) -> int:
    cp = client.app.state.services.checkpointer.run_once()
    assert cp is not None
    return int(cp.tree_size)


def _stop(client) -> None:
    client.app.state.services.db.dispose()


def test_a_restored_backup_is_refused_then_accepted_and_watchers_still_see_it(
    make_client, settings: Settings, token, tmp_path: Path
):
    state = tmp_path / "watch.json"
    witness_file = settings.audit_last_checkpoint_file
    first = make_client()
    _store(first, token, 2)
    assert _checkpoint(first) == 2
    assert watch_once(first, state).old is None  # trusted from now on
    stranger = VerifierKey("doelbinding.local/audit", bytes(32))
    with pytest.raises(WatchError, match="does not verify"):  # pinned to another key
        watch_once(first, tmp_path / "pinned.json", [stranger])
    backup(settings.database_url, tmp_path / "backup")
    _store(first, token, 3)
    assert _checkpoint(first) == 5
    grew = watch_once(first, state)
    assert grew.growth is Growth.GREW
    assert "5" in witness_file.read_text().splitlines()[1]
    _stop(first)

    restore(settings.database_url, tmp_path / "backup")

    # (a) The gateway: it will not start on the restored database, nor sign on it.
    restored = create_app(settings)
    smaller = r"tree size 2\) is smaller than .* \(tree size 5\)"
    with pytest.raises(LogRolledBack, match=smaller), TestClient(restored):
        pass
    with pytest.raises(LogRolledBack):
        restored.state.services.checkpointer.run_once()
    # (b) The monitor sees the rollback from the public endpoints (served here without the
    # lifespan, as a gateway without the witness file would), and keeps its evidence.
    served: Any = TestClient(restored)  # an httpx.Client
    rolled = watch_once(served, state)
    assert rolled.growth is Growth.ROLLED_BACK
    assert "ROLLBACK" in rolled.describe()
    assert '"tree_size": 5' in state.read_text()
    restored.state.services.db.dispose()

    env = {
        "DOELBINDING_DATA_DIR": str(settings.data_dir),
        "DOELBINDING_DATABASE__URL": settings.database_url,
        "DOELBINDING_LOG_FORMAT": "json",
        "DOELBINDING_AUDIT__REFUSE_ROLLBACK": "true",
    }
    refused = CliRunner().invoke(cli, ["audit", "checkpoint"], env=env)
    assert refused.exit_code == 1
    assert "accept-restore" in refused.output
    reason = "disk failure, backup of 02:00"
    accepted = CliRunner().invoke(
        cli, ["audit", "accept-restore", "--reason", reason, "--operator", "ops-1"], env=env
    )
    assert accepted.exit_code == 0, accepted.output
    assert "the log was 5 entries, the database held 2" in accepted.output
    assert list(tmp_path.glob("audit-last-checkpoint.superseded-*"))
    again = CliRunner().invoke(
        cli, ["audit", "accept-restore", "--reason", "x", "--operator", "ops-1"], env=env
    )
    assert "nothing to accept" in again.output

    after = make_client()
    with TestClient(after.app):  # starts now
        with session_scope(after.app.state.services.db) as session:
            entry = session.get(AuditRecord, 3)
        assert entry is not None
        assert entry.event_type == "audit.restore_accepted"
        assert entry.subject_id == "ops-1"
        assert entry.details["witnessed_tree_size"] == "5"
        assert entry.details["database_tree_size"] == "2"
        assert entry.details["reason"] == reason
        # The watcher is not told to forget: still smaller than what it saw ...
        assert watch_once(after, state).growth is Growth.ROLLED_BACK
        # ... and once the log is larger again, the proof shows it is another history.
        _store(after, token, 3)
        assert _checkpoint(after) == 6
        forked = watch_once(after, state)
        assert forked.growth is Growth.FORKED
        assert "FORK" in forked.describe()
    verify = CliRunner().invoke(cli, ["audit", "verify"], env=env)
    assert verify.exit_code == 0, verify.output


def test_development_adopts_a_deleted_database_with_a_warning(
    database_url: str, tmp_path: Path, token
):
    settings = Settings(
        data_dir=tmp_path,
        database={"url": database_url},
        log_format="json",
        audit={"checkpoint_interval_seconds": 0},
    )
    assert settings.audit_refuse_rollback is False  # development's default
    app = create_app(settings)
    client = TestClient(app)
    _store(client, token, 2)
    assert _checkpoint(client) == 2
    backup(database_url, tmp_path / "empty-ish")
    _store(client, token, 1)
    assert _checkpoint(client) == 3
    app.state.services.db.dispose()
    restore(database_url, tmp_path / "empty-ish")
    again = create_app(settings)
    with TestClient(again):  # starts, and takes the database's checkpoint as the last one
        pass
    assert "\n2\n" in settings.audit_last_checkpoint_file.read_text()
    again.state.services.db.dispose()


def test_a_backup_restored_under_a_running_gateway_stops_it_answering(
    make_client, settings: Settings, token, tmp_path: Path
):
    client = make_client()
    _store(client, token, 2)
    assert _checkpoint(client) == 2
    backup(settings.database_url, tmp_path / "backup")
    _store(client, token, 2)
    assert _checkpoint(client) == 4
    services = client.app.state.services
    services.db.dispose()
    restore(settings.database_url, tmp_path / "backup")

    with pytest.raises(LogRolledBack):  # the checkpointer's next round
        services.checkpointer.run_once()
    headers = token("u-anna", "team_generalist", teams=("wt-oost",), activity="signalling")
    body = {"resident": BSN_SANNE, "category": "signal", "team": "wt-oost", "content": "x"}
    refused = client.post("/v1/records", json=body, headers=headers)
    assert refused.status_code == 503
    assert refused.json()["code"] == "audit_rolled_back"
    assert client.get("/v1/audit/checkpoint").json()["tree_size"] == 2  # still public
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["audit_log"] == "rolled_back"
    with session_scope(services.db) as session:
        assert session.get(AuditRecord, 3) is None  # nothing was appended
