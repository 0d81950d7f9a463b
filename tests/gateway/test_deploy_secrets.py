"""Secrets and start-up for production: `init-secrets`, every problem at once, key rotation."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from audit import open_note_any, parse_vkey
from gateway.app import create_app
from gateway.cli import app
from gateway.services import build_pseudonymizer, build_signer
from gateway.settings import Settings, SettingsError, get_settings

from .conftest import BSN_SANNE

JWKS = "https://idp.example/jwks"


def _cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env or {})


def _printed_settings(output: str) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in output.splitlines() if line.startswith("DOELBINDING_")
    )


def test_init_secrets_creates_private_files_prints_settings_and_never_overwrites(tmp_path: Path):
    target = tmp_path / "secrets"
    out = _cli("init-secrets", str(target), "--origin", "zaanstad.nl/audit")
    assert out.exit_code == 0, out.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    files = sorted(p.name for p in target.iterdir())
    assert files == ["audit-signing-key.pem", "pseudonym.key", "web-session.key"]
    for p in target.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    printed = _printed_settings(out.output)
    assert printed["DOELBINDING_AUDIT__SIGNING_KEY_FILE"] == str(target / "audit-signing-key.pem")
    assert printed["DOELBINDING_PSEUDONYM_KEY_FILE"] == str(target / "pseudonym.key")
    assert printed["DOELBINDING_WEB__SESSION_SECRET_FILE"] == str(target / "web-session.key")
    # The last line is the verifier key of the key that was written.
    vkey = parse_vkey(out.output.strip().splitlines()[-1])
    assert vkey.name == "zaanstad.nl/audit"
    settings = Settings(
        data_dir=tmp_path, audit={"signing_key_file": target / "audit-signing-key.pem"}
    )
    assert build_signer(settings).public_key == vkey.public_key

    before = {p.name: p.read_bytes() for p in target.iterdir()}
    again = _cli("init-secrets", str(target))
    assert again.exit_code == 1
    assert "refusing to overwrite" in again.output
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before


def test_production_starts_on_the_printed_settings_and_uses_the_files(tmp_path: Path, monkeypatch):
    out = _cli("init-secrets", str(tmp_path / "s"))
    for name, value in _printed_settings(out.output).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DOELBINDING_AUTH__JWKS_URL", JWKS)
    settings = get_settings()
    key = (tmp_path / "s" / "pseudonym.key").read_text().strip()
    # The file means what the same text in DOELBINDING_PSEUDONYM_KEY would mean.
    by_file = build_pseudonymizer(settings)(BSN_SANNE)
    by_value = build_pseudonymizer(Settings(data_dir=tmp_path, pseudonym_key=key))(BSN_SANNE)
    assert by_file == by_value
    assert (
        settings.session_secret()
        == (tmp_path / "s" / "web-session.key").read_text().strip().encode()
    )


def test_production_lists_every_problem_at_once_and_how_to_fix_it(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("DOELBINDING_ENVIRONMENT", "production")
    monkeypatch.setenv("DOELBINDING_DATA_DIR", str(tmp_path))
    with pytest.raises(SettingsError) as err:
        get_settings()
    message = str(err.value)
    for needed in (
        "DOELBINDING_AUTH__JWKS_URL",
        "DOELBINDING_PSEUDONYM_KEY_FILE",
        "DOELBINDING_WEB__SESSION_SECRET_FILE",
        f"DOELBINDING_AUDIT__SIGNING_KEY_FILE: no file at {tmp_path / 'audit-signing-key.pem'}",
        "DOELBINDING_WEB__DEMO_LOGIN",
    ):
        assert needed in message
    assert message.count("doelbinding init-secrets DIR") == 3  # each secret says how
    # The CLI and the server's factory say the same, without a traceback.
    out = _cli("print-config", env={"DOELBINDING_ENVIRONMENT": "production",
                                    "DOELBINDING_DATA_DIR": str(tmp_path)})  # fmt: skip
    assert out.exit_code == 2
    assert "production cannot start; fix all of these:" in out.output
    assert "Traceback" not in out.output
    assert "FileNotFoundError" not in out.output
    with pytest.raises(SystemExit) as stop:
        create_app()
    assert "DOELBINDING_AUDIT__SIGNING_KEY_FILE" in str(stop.value.code)


def test_production_refuses_secret_files_others_can_read(tmp_path: Path, monkeypatch):
    out = _cli("init-secrets", str(tmp_path / "s"))
    for name, value in _printed_settings(out.output).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DOELBINDING_AUTH__JWKS_URL", JWKS)
    (tmp_path / "s" / "audit-signing-key.pem").chmod(0o644)
    (tmp_path / "s" / "pseudonym.key").write_text("short\n")
    with pytest.raises(SettingsError) as err:
        get_settings()
    assert f"chmod 600 {tmp_path / 's' / 'audit-signing-key.pem'}" in str(err.value)
    assert "pseudonym.key holds less than 16 bytes" in str(err.value)


def _store(client, token) -> None:
    r = client.post(
        "/v1/records",
        json={"resident": BSN_SANNE, "category": "signal", "team": "wt-oost", "content": "x"},
        headers=token("u-anna", "team_generalist", teams=("wt-oost",), activity="signalling"),
    )
    assert r.status_code == 201, r.text


def test_a_rotated_key_signs_new_checkpoints_and_the_old_ones_still_verify(
    make_client, settings, token, tmp_path: Path
):
    env = {
        "DOELBINDING_DATA_DIR": str(settings.data_dir),
        "DOELBINDING_DATABASE__URL": settings.database_url,
        "DOELBINDING_LOG_FORMAT": "json",
    }
    old_client = make_client()
    _store(old_client, token)
    old_cp = old_client.app.state.services.checkpointer.run_once()
    old_key = old_client.get("/v1/audit/public-key").json()

    rotated = _cli("audit", "rotate-key", str(tmp_path / "new-key.pem"), env=env)
    assert rotated.exit_code == 0, rotated.output
    printed = _printed_settings(rotated.output)
    previous = printed["DOELBINDING_AUDIT__PREVIOUS_KEYS"].strip("'")
    assert old_key["vkey"] in previous
    new_vkey = parse_vkey(rotated.output.strip().splitlines()[-1])

    new_env = {**env, **printed, "DOELBINDING_AUDIT__PREVIOUS_KEYS": previous}
    new_settings = settings.model_copy(
        update={
            "audit": settings.audit.model_copy(
                update={
                    "signing_key_file": tmp_path / "new-key.pem",
                    "previous_keys": [old_key["vkey"]],
                }
            )
        }
    )
    new_app = create_app(new_settings)
    new_client = TestClient(new_app, raise_server_exceptions=False)
    _store(new_client, token)
    new_cp = new_app.state.services.checkpointer.run_once()
    assert new_cp is not None
    assert new_cp.tree_size > old_cp.tree_size
    keys = new_client.get("/v1/audit/keys").json()["keys"]
    assert [k["vkey"] for k in keys] == [new_vkey.vkey, old_key["vkey"]]
    assert [k["current"] for k in keys] == [True, False]
    # Each checkpoint by its own key: the new one by the new key only.
    published = [parse_vkey(k["vkey"]) for k in keys]
    assert open_note_any(new_cp.note, published[:1]).tree_size == new_cp.tree_size
    assert open_note_any(old_cp.note, published[1:]).tree_size == old_cp.tree_size
    assert base64.b64decode(keys[1]["public_key"]) == published[1].public_key

    ok = _cli("audit", "verify", env=new_env)
    assert ok.exit_code == 0, ok.output
    assert "2 checkpoints" in ok.output
    # Without the old key published, the old checkpoint is not the log's.
    without = _cli("audit", "verify", env={**new_env, "DOELBINDING_AUDIT__PREVIOUS_KEYS": "[]"})
    assert without.exit_code == 1
    assert "no signature by the log's key" in without.output
    new_app.state.services.db.dispose()
