"""`make bench`: decision latency, governed vs bare reads over HTTP, and worker memory.

Prints figures and ratios; it asserts nothing. Targets (docs: bench/README.md):
decision p50 <= 150 us and p99 <= 500 us; governed read p50 <= 2x the bare read's p50 in the
same run; peak RSS of one gateway worker <= 250 MB.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.audit import main as audit_bench  # noqa: E402
from bench.decision import engines_side_by_side, print_decisions  # noqa: E402
from bench.nginx import main as nginx_bench  # noqa: E402

N_WARMUP = 200
N_SEQUENTIAL = int(os.environ.get("BENCH_N", "2000"))
N_CONCURRENT = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def start(app: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=0.5)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{app} did not start")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(url: str, headers: dict[str, str]) -> dict[str, float]:
    """Sequential latency (one keep-alive connection), then throughput with a few clients."""
    with httpx.Client(headers=headers) as c:
        for _ in range(N_WARMUP):
            c.get(url).raise_for_status()
        lat: list[float] = []
        for _ in range(N_SEQUENTIAL):
            t0 = time.perf_counter()
            r = c.get(url)
            lat.append((time.perf_counter() - t0) * 1e6)
            r.raise_for_status()
    import concurrent.futures as cf

    per_client = N_SEQUENTIAL // N_CONCURRENT

    def worker() -> int:
        with httpx.Client(headers=headers) as c:
            for _ in range(per_client):
                c.get(url).raise_for_status()
        return per_client

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(N_CONCURRENT) as pool:
        done = sum(pool.map(lambda _: worker(), range(N_CONCURRENT)))
    rps = done / (time.perf_counter() - t0)
    return {
        "p50_us": statistics.median(lat),
        "p99_us": pct(lat, 99),
        "seq_rps": 1e6 / statistics.mean(lat),
        "rps": rps,
    }


def main() -> None:
    print(f"doelbinding bench on {os.cpu_count()} cores, python {sys.version.split()[0]}")
    print_decisions(5000)
    rows = engines_side_by_side()
    base = rows[0]["p50_us"]
    print("engines on the same inputs (every profile's decision tables):")
    for row in rows:
        print(
            f"  {row['engine']:<22} {row['inputs']} inputs  p50 {row['p50_us']:7.1f} us  "
            f"p99 {row['p99_us']:7.1f} us  {row['p50_us'] / base:4.2f}x regopy's p50  "
            f"disagree {row['disagree']} (must be 0)"
        )
    if not os.environ.get("DOELBINDING_BENCH_OPA_URL"):
        print("  (OPA server over HTTP: set DOELBINDING_BENCH_OPA_URL to include one)")

    tmp = Path(tempfile.mkdtemp(prefix="doelbinding-bench-"))
    try:
        env = {
            "DOELBINDING_DATA_DIR": str(tmp),
            "DOELBINDING_LOG_FORMAT": "json",
            # One token sends every request: a budget it never spends (the limiter still
            # counts each read, so its cost is in the figures).
            "DOELBINDING_EDGE__RATE_LIMIT": "100000000/minute",
        }
        cli = [sys.executable, "-m", "gateway.cli"]
        subprocess.run(
            [*cli, "migrate"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [*cli, "seed-demo"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        out = subprocess.run(
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
        token = out.stdout.strip().splitlines()[-1]
        bare_db = tmp / "bare.db"
        shutil.copyfile(tmp / "doelbinding-zaanstad.db", bare_db)

        gw_port, bare_port = free_port(), free_port()
        gw = start("gateway.app:create_app", env, gw_port)
        bare = start(
            "bench.bare_app:create_app", {"BARE_DATABASE_URL": f"sqlite:///{bare_db}"}, bare_port
        )
        try:
            governed = measure(
                f"http://127.0.0.1:{gw_port}/v1/records/r-demo-intake",
                {"Authorization": f"Bearer {token}", "X-Processing-Activity": "wmo-support"},
            )
            plain = measure(f"http://127.0.0.1:{bare_port}/bare/records/r-demo-intake", {})
            rss = peak_rss_mb(gw.pid)
        finally:
            gw.terminate()
            bare.terminate()
            gw.wait(10)
            bare.wait(10)
        from bench.zgw import audit_write_us

        # What the bare read never does: one audit record appended and committed with
        # synchronous=FULL (an fsync of the WAL), alone, on the same disk.
        shutil.copyfile(tmp / "doelbinding-zaanstad.db", tmp / "audit-bench.db")  # migrated
        durable_us = audit_write_us(tmp / "audit-bench.db")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    for name, m in (("governed read (gateway)", governed), ("bare read (no policy/audit)", plain)):
        print(
            f"{name:28s} p50 {m['p50_us']:7.0f} us   p99 {m['p99_us']:7.0f} us   "
            f"{m['seq_rps']:6.0f} req/s sequential   {m['rps']:6.0f} req/s with "
            f"{N_CONCURRENT} clients"
        )
    ratio = governed["p50_us"] / plain["p50_us"]
    print(f"ratio governed/bare p50:      {ratio:.2f}x   (target <= 2.0x)")
    rest = governed["p50_us"] - durable_us
    print(
        f"audit durable write (SQLite): p50 {durable_us:7.0f} us   (the fsync the bare read never "
        f"makes; governed p50 without it: {rest:.0f} us, {rest / plain['p50_us']:.2f}x bare)"
    )
    print(f"ratio governed/bare req/s:    {governed['rps'] / plain['rps']:.2f}x")
    print(f"gateway worker peak RSS:      {rss:.0f} MB   (target <= 250 MB)")
    if os.environ.get("BENCH_ZGW", "1") != "0":  # BENCH_ZGW=0: skip upstream mode
        from bench.zgw import main as zgw_bench

        zgw_bench()
    if os.environ.get("BENCH_AUDIT", "1") != "0":  # BENCH_AUDIT=0: the figures above only
        audit_bench()
    if os.environ.get("BENCH_NGINX", "1") != "0":  # BENCH_NGINX=0: skip the replicas run
        nginx_bench()


if __name__ == "__main__":
    main()
