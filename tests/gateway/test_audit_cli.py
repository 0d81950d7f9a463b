"""`doelbinding audit verify | checkpoint | erase-expired` on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text
from typer.testing import CliRunner

from gateway.cli import app

from .conftest import BSN_SANNE


def _run(settings, *args: str):
    env = {
        "DOELBINDING_DATA_DIR": str(settings.data_dir),
        "DOELBINDING_DATABASE__URL": settings.database_url,
        "DOELBINDING_LOG_FORMAT": "json",
    }
    return CliRunner().invoke(app, list(args), env=env)


def _store(client, token, n: int) -> None:
    for _ in range(n):
        r = client.post(
            "/v1/records",
            json={"resident": BSN_SANNE, "category": "signal", "team": "wt-oost", "content": "x"},
            headers=token("u-anna", "team_generalist", teams=("wt-oost",), activity="signalling"),
        )
        assert r.status_code == 201, r.text


def test_verify_checks_chain_tree_and_signatures_and_names_the_bad_seq(client, token, settings):
    _store(client, token, 3)
    client.app.state.services.checkpointer.run_once()
    # HTTP before the CLI: the CLI reconfigures logging onto the runner's (then closed) stdout.
    _store(client, token, 2)
    assert _run(settings, "audit", "checkpoint").output.strip() == "checkpoint at tree size 5"
    assert _run(settings, "audit", "checkpoint").output.strip() == "nothing new to sign"

    ok = _run(settings, "audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert "5 records, 2 checkpoints" in ok.output
    since = _run(settings, "audit", "verify", "--since-checkpoint", "3")
    assert since.exit_code == 0, since.output
    assert "2 records, 1 checkpoints" in since.output

    db = client.app.state.services.db
    with db.begin() as conn:
        if db.dialect.name == "postgresql":
            conn.execute(
                text("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only")
            )
        else:
            conn.execute(text("DROP TRIGGER audit_records_no_update"))
        conn.execute(text("UPDATE audit_records SET allowed = false WHERE seq = 4"))
    bad = _run(settings, "audit", "verify")
    assert bad.exit_code == 1
    assert "BROKEN at seq 4" in bad.output
    assert _run(settings, "audit", "verify", "--since-checkpoint", "3").exit_code == 1


def test_erase_expired_runs_and_verify_still_passes(client, token, settings):
    _store(client, token, 2)
    _run(settings, "audit", "checkpoint")
    erased = _run(settings, "audit", "erase-expired")
    assert erased.exit_code == 0
    assert erased.output.startswith("0 audit entries erased")  # nothing is old enough
    assert _run(settings, "audit", "verify").exit_code == 0
