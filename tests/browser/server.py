"""The real gateway for the browser tests: uvicorn on 127.0.0.1 (ephemeral port), a temp data
dir with its own SQLite file and keys, the demo data seeded by the CLI, and a few accesses by
professionals through the JSON API (so the timeline has something to show)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from gateway.auth import issue_dev_token, load_or_create_dev_key

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BSN_SANNE = "999990019"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Gateway:
    url: str
    data_dir: Path

    def headers(
        self, sub: str, role: str, activity: str, teams: tuple[str, ...] = ()
    ) -> dict[str, str]:
        key = load_or_create_dev_key(self.data_dir / "dev-signing-key.pem")
        token = issue_dev_token(
            key,
            issuer="doelbinding-dev",
            audience="doelbinding",
            sub=sub,
            roles=[role],
            municipality="zaanstad",
            organisation="gemeente-zaanstad",
            teams=teams,
        )
        return {"Authorization": f"Bearer {token}", "X-Processing-Activity": activity}

    def read(self, record: str, sub: str, role: str, activity: str, teams=()) -> int:
        resp = httpx.get(
            f"{self.url}/v1/records/{record}", headers=self.headers(sub, role, activity, teams)
        )
        return resp.status_code

    def kees_reads_health(self) -> int:
        return self.read(
            "r-demo-health", "u-kees", "wi_client_manager", "pw-reintegration", ("wi-zaanstad",)
        )

    def checkpoint_size(self) -> int:
        resp = httpx.get(f"{self.url}/v1/audit/checkpoint")
        return int(resp.json()["tree_size"]) if resp.status_code == 200 else 0

    def wait_for_checkpoint(self, size: int, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while self.checkpoint_size() < size:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no checkpoint covers entry {size}")
            time.sleep(0.2)

    def demo_activity(self) -> None:
        """Accesses a resident would see: allowed by role and by law, refused, and held back
        (after an investigation into Sanne is registered: its opening and Henk's look)."""
        wt = ("wt-oost",)
        self.read("r-demo-intake", "u-anna", "team_generalist", "wmo-support", wt)
        self.kees_reads_health()  # refused: consent required
        self.read("r-demo-intake", "u-henk", "enforcement_officer", "pw-enforcement")  # refused
        self.read("r-demo-income", "u-kees", "wi_client_manager", "pw-reintegration")  # by law
        # Into Sanne (held back, as what follows), unless one already runs (a second round).
        self.open_investigation("999990019", if_none_running=True)
        self.read("r-demo-income", "u-henk", "enforcement_officer", "pw-enforcement")  # held back

    def open_investigation(self, bsn: str, *, if_none_running: bool = False) -> str | None:
        """Henk registers an investigation into a resident (docs/law.md section 8); with
        `if_none_running`, one that already runs (409) is left as it is (None)."""
        resp = httpx.post(
            f"{self.url}/v1/investigations",
            json={"resident": bsn},
            headers=self.headers("u-henk", "enforcement_officer", "pw-enforcement", ()),
        )
        if if_none_running and resp.status_code == 409:
            return None
        resp.raise_for_status()
        return str(resp.json()["id"])


def gateway_env(data_dir: Path, profile: str = "zaanstad", **extra: str) -> dict[str, str]:
    """The environment of a test gateway (and of the CLI run against it)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DOELBINDING_DATA_DIR": str(data_dir),
        "DOELBINDING_PROFILE": profile,
        "DOELBINDING_LOG_FORMAT": "json",
        "DOELBINDING_AUDIT__CHECKPOINT_INTERVAL_SECONDS": "0.5",
    }
    for name in [k for k in env if k.startswith("DOELBINDING_DATABASE")]:
        del env[name]
    return env | extra


CLI = [sys.executable, "-c", "from gateway.cli import main; main()"]


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, cwd=ROOT, capture_output=True, text=True)  # noqa: S603


@contextmanager
def running_gateway(
    data_dir: Path,
    profile: str = "zaanstad",
    *,
    port: int | None = None,
    prepare: bool = True,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Gateway]:
    """uvicorn on 127.0.0.1 (`port`, or a free one) serving `profile`; `prepare`: migrate and
    seed first; `extra_env`: more settings (e.g. DOELBINDING_DATABASE__URL)."""
    env = gateway_env(data_dir, profile, **(extra_env or {}))
    if prepare:
        for command in ("migrate", "seed-demo"):
            run_cli(env, command).check_returncode()
    port = port or _free_port()
    log = (data_dir / "uvicorn.log").open("ab")
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "uvicorn", "gateway.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the gateway did not start: see " + str(log.name))
            time.sleep(0.1)
        yield Gateway(url, data_dir)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
