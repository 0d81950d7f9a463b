"""The policy CLI against a running gateway: push, test --version, simulate, approve,
activate, log (and the four-eyes refusal as an exit code), with --json for scripts.
The readable output and the error cases: tests/gateway/test_cli_errors.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from gateway.cli import app
from policy import load_modules

from .test_policy_lifecycle_swap import server

__all__ = ["server"]

PO_1 = ("u-po-1", "privacy_officer")
PO_2 = ("u-po-2", "privacy_officer")


def test_push_test_simulate_approve_activate_log(
    server: str, token: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    runner = CliRunner()
    po1 = token(*PO_1)["Authorization"].removeprefix("Bearer ")
    po2 = token(*PO_2)["Authorization"].removeprefix("Bearer ")
    rego = tmp_path / "draft"
    rego.mkdir()
    for name, source in load_modules().items():
        (rego / name).write_text(source + "\n# a comment\n", encoding="utf-8")

    def run(*args: str, tok: str = po1) -> tuple[int, object]:
        res = runner.invoke(app, [*args, "--server", server, "--token", tok, "--json"])
        out = res.stdout if res.exit_code == 0 else res.stderr
        return res.exit_code, json.loads(out) if out.strip().startswith(("{", "[")) else out

    code, pushed = run("policy", "push", str(rego), "-m", "a comment")
    assert code == 0, pushed
    assert isinstance(pushed, dict)
    rev = pushed["revision"]
    code, tested = run("policy", "test", "--version", rev)
    assert code == 0
    assert isinstance(tested, dict)
    assert tested["passed"]
    code, sim = run("policy", "simulate", rev, "--last", "10")
    assert code == 0
    assert isinstance(sim, dict)
    assert sim["flips"] == 0
    code, refused = run("policy", "approve", rev)
    assert code == 1
    assert isinstance(refused, str)
    assert "not allowed (HTTP 403, four_eyes)" in refused
    assert "Traceback" not in refused
    assert run("policy", "approve", rev, tok=po2)[0] == 0
    code, active = run("policy", "activate", rev)
    assert code == 0
    assert isinstance(active, dict)
    assert active["state"] == "active"
    code, log = run("policy", "log")
    assert code == 0
    assert isinstance(log, list)
    assert [e["event"] for e in log[:5]] == [
        "activated",
        "approved",
        "simulated",
        "tested",
        "drafted",
    ]
