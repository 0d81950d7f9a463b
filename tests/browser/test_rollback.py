"""The restore drill, end to end on PostgreSQL: a `pg_dump` taken before newer entries is
restored under a real gateway (uvicorn). The gateway refuses to start on it, `audit watch`
reports the rollback, and the resident's "Controleer" in Chromium says so in plain Dutch;
when the restored log has grown past the old size, the browser reports another history."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.gateway.restore import backup, restore

from .conftest import login
from .server import ROOT, _free_port, gateway_env, run_cli, running_gateway

pytestmark = pytest.mark.postgres


def _check(page: Page, gw) -> str:
    """Click the newest entry's Controleer once its entry is signed; the message shown."""
    page.goto("/mijn/inzage")
    box = page.locator(".proof[data-seq]").first
    gw.wait_for_checkpoint(int(box.get_attribute("data-seq") or "0"), timeout=60)
    box.get_by_role("button", name=re.compile("^Controleer")).click()
    result = box.locator(".proof-result")
    expect(result).not_to_have_text(re.compile("^Bezig"), timeout=10_000)
    return result.inner_text()


def _watch(env: dict[str, str], url: str, state: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(env, "audit", "watch", "--once", "--server", url, "--state", str(state))


def test_restore_drill_gateway_monitor_and_browser_each_notice(
    browser: Browser, pg_database_url: str, tmp_path: Path
):
    data = tmp_path / "gw"
    data.mkdir()
    port = _free_port()
    settings = {
        "DOELBINDING_DATABASE__URL": pg_database_url,
        "DOELBINDING_AUDIT__REFUSE_ROLLBACK": "true",
    }
    env = gateway_env(data, **settings)
    state = tmp_path / "watch.json"
    context = browser.new_context(base_url=f"http://127.0.0.1:{port}", locale="nl-NL")
    page = context.new_page()

    with running_gateway(data, port=port, extra_env=settings) as gw:
        gw.demo_activity()
        login(page)
        first = _check(page, gw)
        assert first.startswith("Gecontroleerd: deze regel staat in het ondertekende logboek")
        assert "Deze browser onthoudt deze controle" in first
        assert _watch(env, gw.url, state).returncode == 0
        backup(pg_database_url, tmp_path / "before.dump")

        for _ in range(3):  # well past what the restored log will hold at first
            gw.demo_activity()
        grew = _check(page, gw)
        assert "zijn er alleen regels bijgekomen" in grew, grew  # a consistency proof, in JS
        watched = _watch(env, gw.url, state)
        assert watched.returncode == 0, watched.stderr
        assert "the log only grew" in watched.stdout
        seen = gw.checkpoint_size()

    restore(pg_database_url, tmp_path / "before.dump")

    # (a) The gateway will not serve the restored database.
    log = data / "refused.log"
    with log.open("wb") as out:
        refused = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "uvicorn", "gateway.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=60,
        )  # fmt: skip
    assert refused.returncode != 0
    assert "audit_log_rolled_back" in log.read_text()
    accepted = run_cli(
        env, "audit", "accept-restore", "--reason", "restore drill", "--operator", "ops-test"
    )
    assert accepted.returncode == 0, accepted.stderr

    with running_gateway(data, port=port, prepare=False, extra_env=settings) as gw:
        assert gw.checkpoint_size() < seen
        # (b) The monitor: a rollback, exit 1, its evidence kept.
        watched = _watch(env, gw.url, state)
        assert watched.returncode == 1
        assert "ROLLBACK" in watched.stderr
        # (c) The resident's browser remembers what it verified.
        rolled = _check(page, gw)
        assert rolled.startswith("Pas op: het logboek is kleiner dan bij uw vorige controle.")
        assert re.search(r"Toen had het \d+ regels, nu \d+ regels\.", rolled), rolled
        expect(page.locator(".proof-result").first).to_have_class(re.compile("proof-bad"))

        while gw.checkpoint_size() <= seen:  # the restored log grows past the old size
            gw.demo_activity()
            # Signed by the operator's command: the old wait here, for a checkpoint one past the
            # size read *after* the activity, never ended when the background checkpointer had
            # already covered every new entry (more likely under load). `_check` still waits for
            # the background checkpointer to cover the resident's newest entry.
            signed = run_cli(env, "audit", "checkpoint")
            assert signed.returncode == 0, signed.stderr
        forked = _check(page, gw)
        assert forked.startswith("Pas op: het logboek past niet bij uw vorige controle"), forked
        assert _watch(env, gw.url, state).returncode == 1
    context.close()
