"""Audited decisions/s through real nginx, for 1 and 2 gateway replicas on one PostgreSQL.

    PYTHONPATH=. python bench/nginx.py        (make bench runs it last)

The whole production path on one machine: HTTP client -> nginx (deploy/replicas.py's
generated config, upstream keep-alive) -> uvicorn replica -> token check, facts query,
embedded policy, audit record durable (group commit) -> answer. Each figure: BENCH_NGINX_N
GET /v1/records/{id} (default 3000) for each count in BENCH_NGINX_REPLICAS (default "1,2")
from BENCH_NGINX_CLIENTS concurrent keep-alive clients
(default 16, threads in this process, after 200 warm-up requests), counted as decisions/s of
answers 200; then the audit records of those requests are counted in the database (every 200
must have one). Prints the load average before and after each run: on a shared machine the
figures move with other people's work, so read them with it.

Bounded: a fresh PostgreSQL database (DOELBINDING_BENCH_POSTGRES_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/test), created and dropped here; loopback only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.audit import pg_database  # noqa: E402
from deploy.replicas import Cluster, nginx_binary  # noqa: E402
from gateway.auth import issue_dev_token, load_or_create_dev_key  # noqa: E402
from gateway.db import make_engine  # noqa: E402

N = int(os.environ.get("BENCH_NGINX_N", "3000"))
CLIENTS = int(os.environ.get("BENCH_NGINX_CLIENTS", "16"))
REPLICAS = [int(n) for n in os.environ.get("BENCH_NGINX_REPLICAS", "1,2").split(",")]
WARMUP = 200


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (1 min) {five:.2f} (5 min)"


def _drive(url: str, headers: dict[str, str], n: int, tag: str) -> tuple[int, int, float]:
    """`n` reads from CLIENTS clients; (answers 200, other answers, seconds)."""
    counter = iter(range(n))
    ok = [0] * CLIENTS
    other = [0] * CLIENTS

    def client(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            for k in counter:
                h = {**headers, "X-Request-ID": f"{tag}-{i}-{k}"}
                try:
                    status = c.get("/v1/records/r-demo-intake", headers=h).status_code
                except httpx.HTTPError:
                    status = 0
                if status == 200:
                    ok[i] += 1
                else:
                    other[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(ok), sum(other), time.perf_counter() - t0


def _audited(db_url: str, tag: str) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM audit_records "
                        "WHERE allowed AND event_type = 'record.read' AND request_id LIKE :p"
                    ),
                    {"p": f"{tag}-%"},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def main() -> None:
    if nginx_binary() is None:
        print("nginx bench: nginx is not installed (apt-get install -y nginx); skipped")
        return
    print(
        f"\naudited decisions/s through nginx ({N} reads per run, {CLIENTS} keep-alive clients, "
        f"{os.cpu_count()} cores shared with the clients, nginx and PostgreSQL)"
    )
    for replicas in REPLICAS:
        with pg_database() as db_url, tempfile.TemporaryDirectory() as tmp:
            env = {
                "DOELBINDING_DATA_DIR": tmp,
                "DOELBINDING_DATABASE__URL": db_url,
                "DOELBINDING_PROFILE": "zaanstad",
                "DOELBINDING_LOG_FORMAT": "json",
                # One token for all clients: a budget it never spends, as bench/run.py gives
                # (the per-subject rate limit would otherwise answer most requests with 429).
                "DOELBINDING_EDGE__RATE_LIMIT": "100000000/minute",
            }
            cli = [sys.executable, "-m", "gateway.cli"]
            for command in ("migrate", "seed-demo"):
                subprocess.run(
                    [*cli, command],
                    cwd=ROOT,
                    env={**os.environ, **env},
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
            key = load_or_create_dev_key(Path(tmp) / "dev-signing-key.pem")
            tok = issue_dev_token(
                key,
                issuer="doelbinding-dev",
                audience="doelbinding",
                sub="u-anna",
                roles=["team_generalist"],
                municipality="zaanstad",
                organisation="gemeente-zaanstad",
                teams=["wt-oost"],
            )
            headers = {"Authorization": f"Bearer {tok}", "X-Processing-Activity": "wmo-support"}
            with Cluster(replicas, env) as cluster:
                _drive(cluster.url, headers, WARMUP, "warm")
                before = _load()
                tag = f"b{uuid.uuid4().hex[:8]}"
                ok, other, seconds = _drive(cluster.url, headers, N, tag)
                after = _load()
            audited = _audited(db_url, tag)
        print(
            f"  {replicas} replica{'s' if replicas > 1 else ' '}: {ok / seconds:6.0f} audited "
            f"decisions/s ({ok} answers 200 in {seconds:.1f} s, {other} other; {audited} "
            f"audit records for them)   {before} before, {after} after"
        )


if __name__ == "__main__":
    main()
