"""Issue 13, item 10: a CLI that explains itself.

Expected problems end in one clear line on stderr and a non-zero exit code, never a
traceback: no token (2), no server (3), the server's 401, 403 and 409 (1), a wrong
`--since-checkpoint` (2, never "BROKEN"). `policy versions` and `policy test --version` print
a table (`--json` for scripts). `print-config` shows the values in force, defaults included.

The server tests start the gateway under uvicorn on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner, Result

from gateway.cli import app
from policy import load_modules

from .test_policy_lifecycle_swap import server

__all__ = ["server"]

Token = Callable[..., dict[str, str]]


def _cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env={"DOELBINDING_TOKEN": "", **(env or {})})


def _one_clear_line(res: Result, code: int) -> str:
    assert res.exit_code == code, (res.exit_code, res.stdout, res.stderr)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert lines[0].startswith("doelbinding: ")
    return lines[0]


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # closed again when the block ends


def test_no_token_says_how_to_get_one() -> None:
    line = _one_clear_line(_cli("policy", "versions", "--server", _closed_port()), 2)
    assert "no token" in line
    assert "DOELBINDING_TOKEN" in line
    assert "doelbinding token --sub u-po-1 --role privacy_officer" in line


def test_an_unreachable_server_is_named() -> None:
    url = _closed_port()
    for args in (
        ("policy", "versions"),
        ("policy", "test", "--version", "sha256:" + "0" * 64),
        ("policy", "approve", "sha256:" + "0" * 64),
        ("policy", "log"),
    ):
        line = _one_clear_line(_cli(*args, "--server", url, "--token", "t"), 3)
        assert f"cannot reach the gateway at {url}" in line
        assert "DOELBINDING_SERVER" in line


def test_refusals_tables_and_json_against_a_running_gateway(
    server: str, token: Token, tmp_path: Path
) -> None:
    po1 = token("u-po-1", "privacy_officer")["Authorization"].removeprefix("Bearer ")
    po2 = token("u-po-2", "privacy_officer")["Authorization"].removeprefix("Bearer ")
    anna = token("u-anna", "team_generalist")["Authorization"].removeprefix("Bearer ")

    def run(*args: str, tok: str = po1) -> Result:
        return _cli(*args, "--server", server, "--token", tok)

    # 401: a token the gateway does not accept.
    line = _one_clear_line(run("policy", "versions", tok="not-a-jwt"), 1)
    assert "the gateway refused the token (HTTP 401" in line
    assert "--token or DOELBINDING_TOKEN" in line
    # 403: a valid token without the privacy officer role.
    line = _one_clear_line(run("policy", "versions", tok=anna), 1)
    assert "not allowed (HTTP 403" in line

    # The versions table, and --json for scripts.
    table = run("policy", "versions")
    assert table.exit_code == 0, table.stderr
    head, shipped_row = table.stdout.splitlines()[:2]
    assert head.split() == [
        "REVISION", "STATE", "TESTS", "SIMULATED", "APPROVED", "BY", "CREATED", "AUTHOR", "WHY",
    ]  # fmt: skip
    assert "active" in shipped_row
    assert "not run" in shipped_row
    as_json = json.loads(run("policy", "versions", "--json").stdout)
    assert [v["state"] for v in as_json] == ["active"]
    assert shipped_row.startswith(as_json[0]["revision"][:19])

    # A draft pushed; its start is enough to name it.
    draft = tmp_path / "draft"
    draft.mkdir()
    for name, source in load_modules().items():
        (draft / name).write_text(source + "\n# a comment\n", encoding="utf-8")
    pushed = run("policy", "push", str(draft), "-m", "a comment", "--json")
    assert pushed.exit_code == 0, pushed.stderr
    rev = json.loads(pushed.stdout)["revision"]
    short = rev[:19]

    # 409: approving what was not tested.
    line = _one_clear_line(run("policy", "approve", short, tok=po2), 1)
    assert "refused (HTTP 409, lifecycle)" in line
    assert "not been tested" in line

    # The test report as a table: both engines, the verdict.
    tested = run("policy", "test", "--version", short)
    assert tested.exit_code == 0, tested.stdout + tested.stderr
    out = tested.stdout
    assert "ENGINE" in out
    assert "regopy" in out
    assert "opa" in out
    assert "PASSED:" in out
    assert not out.lstrip().startswith("{")
    assert json.loads(run("policy", "test", "--version", short, "--json").stdout)["passed"]

    # A revision that fits nothing is a usage error, not a server error.
    line = _one_clear_line(run("policy", "approve", "sha256:ffffffffffff"), 2)
    assert "no policy version starts with" in line


def test_verify_since_checkpoint_takes_a_tree_size_and_never_cries_broken(
    client, token, settings
) -> None:
    env = {
        "DOELBINDING_DATA_DIR": str(settings.data_dir),
        "DOELBINDING_DATABASE__URL": settings.database_url,
        "DOELBINDING_LOG_FORMAT": "json",
    }
    for _ in range(3):
        made = client.post(
            "/v1/records",
            json={"resident": "999990019", "category": "signal", "team": "wt-oost",
                  "content": "x"},
            headers=token("u-anna", "team_generalist", teams=("wt-oost",), activity="signalling"),
        )  # fmt: skip
        assert made.status_code == 201, made.text
    assert _cli("audit", "checkpoint", env=env).stdout.strip() == "checkpoint at tree size 3"

    wrong = _cli("audit", "verify", "--since-checkpoint", "2", env=env)
    line = _one_clear_line(wrong, 2)
    assert "no signed checkpoint at tree size 2" in line
    assert "the latest is at tree size 3" in line
    assert "BROKEN" not in wrong.stdout + wrong.stderr
    zero = _cli("audit", "verify", "--since-checkpoint", "0", env=env)
    assert zero.exit_code == 2
    assert "BROKEN" not in zero.stdout + zero.stderr
    assert "TREE_SIZE" in _cli("audit", "verify", "--help", env=env).stdout
    ok = _cli("audit", "verify", "--since-checkpoint", "3", env=env)
    assert ok.exit_code == 0, ok.stderr
    assert "after the checkpoint at tree size 3" in ok.stdout
    bad_key = _cli("audit", "verify", "--public-key", "not base64!", env=env)
    assert "--public-key is not base64" in _one_clear_line(bad_key, 2)


def test_print_config_shows_the_values_in_force(tmp_path: Path) -> None:
    res = _cli("print-config", env={"DOELBINDING_DATA_DIR": str(tmp_path)})
    assert res.exit_code == 0, res.stderr
    shown = json.loads(res.stdout)
    assert (
        shown["database"]["url"] == f"sqlite:///{tmp_path}/doelbinding-zaanstad.db"
    )  # one demo file per profile
    assert shown["auth"]["dev_key_file"] == str(tmp_path / "dev-signing-key.pem")
    assert shown["audit"]["key_name"] == shown["audit"]["origin"]
    assert shown["audit"]["signing_key_file"] == str(tmp_path / "audit-signing-key.pem")
    assert shown["pseudonym_key"] == f"(from the file {tmp_path / 'pseudonym.key'})"
    assert shown["policy"]["rego_dir"].endswith("policy/rego")
    assert shown["policy"]["watch_interval_seconds"] == 0.25  # a default, shown
    secret = _cli(
        "print-config",
        env={
            "DOELBINDING_DATA_DIR": str(tmp_path),
            "DOELBINDING_PSEUDONYM_KEY": "s3cret-value-not-to-print",
            "DOELBINDING_DATABASE__URL": "postgresql+psycopg://u:pw-not-to-print@127.0.0.1/db",
        },
    )
    assert "not-to-print" not in secret.stdout
    assert json.loads(secret.stdout)["pseudonym_key"] == "(set in the environment)"
