"""Upstream mode's overhead: a case read through the gateway against the same read straight
from the Zaken API, in the same run (called from bench/run.py; `BENCH_ZGW=0` skips it).

    direct   GET /zaken/{uuid} at the upstream, with a ZGW JWT (what a case system does today)
    gateway  GET /zgw/zaken/api/v1/zaken/{uuid}: the gateway fetches the case and its rollen
             (two upstream calls), decides per resident, appends the audit record durably,
             redacts, answers
    audit    one audit record appended and committed on SQLite (synchronous=FULL), alone

Target: gateway p50 <= 2 x direct p50 + the audit's durable write. The upstream is the test
suite's fake Zaken API (werkzeug, validation off), in its own process on 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import free_port, pct, start  # noqa: E402

N = int(os.environ.get("BENCH_ZGW_N", "1000"))
SECRET = "zgw-bench-secret-of-at-least-32-bytes"  # noqa: S105 - the bench's own upstream
WMO = "5d6a1c2e-0f3b-4c7d-9e8f-1a2b3c4d5e01"  # tests/fakes/zaken_api.py: DEMO_WMO


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def _latencies(url: str, headers: dict[str, str], n: int) -> list[float]:
    with httpx.Client(headers=headers) as c:
        for _ in range(100):
            c.get(url).raise_for_status()
        lat = []
        for _ in range(n):
            t0 = time.perf_counter()
            c.get(url).raise_for_status()
            lat.append((time.perf_counter() - t0) * 1e6)
    return lat


def audit_write_us(db_file: Path, n: int = 300) -> float:
    """p50 of one audit record appended and committed (SQLite, as the gateway configures it)."""
    from audit import AuditEntry, AuditStore
    from gateway.db import make_engine, session_scope

    engine = make_engine(f"sqlite:///{db_file}")
    store = AuditStore()
    entry = AuditEntry(
        event_type="record.read",
        occurred_at="2026-12-06T00:00:00.000000Z",
        subject_id="u-bench",
        resident="p-bench",
        record_id="zaak/bench",
        category="intake_notes",
        action="read",
        processing_activity="wmo-support",
        allowed=True,
    )
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        with session_scope(engine) as session:
            store.append_rows(session, [entry])
        lat.append((time.perf_counter() - t0) * 1e6)
    engine.dispose()
    return statistics.median(lat)


def main() -> None:
    from zaken import zgw_token

    tmp = Path(tempfile.mkdtemp(prefix="doelbinding-bench-zgw-"))
    up_port, gw_port = free_port(), free_port()
    env = {
        "DOELBINDING_DATA_DIR": str(tmp),
        "DOELBINDING_LOG_FORMAT": "json",
        "DOELBINDING_ZAKEN__URL": f"http://127.0.0.1:{up_port}/zaken/api/v1",
        "DOELBINDING_ZAKEN__CLIENT_ID": "doelbinding",
        "DOELBINDING_ZAKEN__SECRET": SECRET,
    }
    cli = [sys.executable, "-m", "gateway.cli"]
    subprocess.run(
        [*cli, "migrate"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    token = (
        subprocess.run(
            [
                *cli,
                "token",
                "--sub",
                "u-anna",
                "--role",
                "team_generalist",
                "--team",
                "wt-oost",
                "--municipality",
                "zaanstad",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    upstream = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.zaken_api",
            "--port",
            str(up_port),
            "--secret",
            SECRET,
            "--no-validate",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    gw = None
    try:
        _wait(f"http://127.0.0.1:{up_port}/")
        gw = start("gateway.app:create_app", env, gw_port)
        crs = {"Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326"}
        direct_headers = {
            "Authorization": f"Bearer {zgw_token('doelbinding', SECRET, 'u-anna')}",
            **crs,
        }
        gw_headers = {
            "Authorization": f"Bearer {token}",
            "X-Processing-Activity": "wmo-support",
            **crs,
        }
        direct_url = f"http://127.0.0.1:{up_port}/zaken/api/v1/zaken/{WMO}"
        gw_url = f"http://127.0.0.1:{gw_port}/zgw/zaken/api/v1/zaken/{WMO}"
        # Interleaved halves, so a burst of other load on the machine hits both alike.
        direct, governed = [], []
        for _ in range(2):
            direct += _latencies(direct_url, direct_headers, N // 2)
            governed += _latencies(gw_url, gw_headers, N // 2)
        (migrated,) = tmp.glob("doelbinding-*.db")  # the profile's demo database, migrated
        shutil.copyfile(migrated, tmp / "audit-bench.db")
        audit_us = audit_write_us(tmp / "audit-bench.db")
    finally:
        if gw is not None:
            gw.terminate()
            gw.wait(10)
        upstream.terminate()
        upstream.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    d50, g50 = statistics.median(direct), statistics.median(governed)
    target = 2 * d50 + audit_us
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"upstream mode (ZGW Zaken API), {N} reads each, load average {load}:")
    print(f"  direct upstream read          p50 {d50:7.0f} us   p99 {pct(direct, 99):7.0f} us")
    print(
        f"  through the gateway           p50 {g50:7.0f} us   p99 {pct(governed, 99):7.0f} us"
        "   (case + rollen upstream, decision, audit, redaction)"
    )
    print(f"  audit durable write (SQLite)  p50 {audit_us:7.0f} us")
    print(
        f"  gateway p50 vs target         {g50:7.0f} us   (target <= 2 x direct + audit = "
        f"{target:.0f} us: {'met' if g50 <= target else 'missed'}; "
        f"overhead {g50 - d50:.0f} us, {g50 / d50:.2f}x direct)"
    )


if __name__ == "__main__":
    main()
