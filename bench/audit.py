"""Audit trail figures: audited decisions/s, verify speed, proofs and the access log at 1 M.

    PYTHONPATH=. python bench/audit.py          (BENCH_AUDIT_ENTRIES=1000000 by default)

1. Audited decisions/s: what GET /v1/records/{id} does per request (a read scope, the facts
   query, the embedded policy, the audit record durable before the answer), from concurrent
   clients, in 1 worker process and in one per core (as `uvicorn --workers N` runs the
   gateway), each worker started as the app starts it (`Services.start`) and with its
   group-commit writer; then what GET /v1/residents/{resident}/records does for a dossier
   of 10 records (10 decisions and 10 audit records per request). SQLite: the records in
   the request's transaction; PostgreSQL: group commit. Printed with the CPU each decision
   cost, in the workers and on the whole machine (database and OS included). Target
   >= 1,500/s on PostgreSQL, 2 workers (issue 16).
2. Verify speed: `verify_log` (chain, leaf hashes, tree, signatures) over that log.
3. At 1 M entries (PostgreSQL): inclusion-proof time and the resident access-log query p99.
   The million rows are precomputed (a valid chain, leaf hashes, every tree node and a signed
   checkpoint) and loaded with COPY, so generating them takes seconds, not an hour of appends.

Prints figures; asserts nothing. Needs PostgreSQL at DOELBINDING_BENCH_POSTGRES_URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/test); without it, the PostgreSQL
figures are skipped and said so.
"""

from __future__ import annotations

import hashlib
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from audit import GENESIS_HASH, verify_log  # noqa: E402
from audit.chain import canonical, input_digest, payload_of  # noqa: E402
from audit.checkpoint import Checkpoint  # noqa: E402
from audit.merkle import Frontier, leaf_hash  # noqa: E402
from audit.models import stored_json  # noqa: E402
from gateway.auth import Principal  # noqa: E402
from gateway.db import read_scope, session_scope  # noqa: E402
from gateway.migrate import upgrade  # noqa: E402
from gateway.pep import RequestContext, ResourceFacts  # noqa: E402
from gateway.services import Services, build_services  # noqa: E402
from gateway.settings import Settings  # noqa: E402

PG_URL = os.environ.get(
    "DOELBINDING_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: Concurrent clients (request threads, spread over the workers).
THREADS = int(os.environ.get("BENCH_AUDIT_THREADS", "16"))
#: Worker processes for the audited-decisions figure, as `uvicorn --workers N` runs the
#: gateway (one per core), sharing the THREADS clients: 16 concurrent clients in all.
WORKERS = int(os.environ.get("BENCH_AUDIT_WORKERS", str(os.cpu_count() or 1)))
DECISIONS = int(os.environ.get("BENCH_AUDIT_DECISIONS", "4000"))
ENTRIES = int(os.environ.get("BENCH_AUDIT_ENTRIES", "1000000"))
RESIDENTS = 10_000


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _admin() -> psycopg.Connection[Any]:
    u = make_url(PG_URL)
    return psycopg.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password,
        dbname=u.database or "postgres",
        autocommit=True,
    )


@contextmanager
def pg_database() -> Iterator[str]:
    name = f"doelbinding_bench_{uuid.uuid4().hex[:8]}"
    with _admin() as a:
        a.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin() as a:
            a.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _services(url: str, data_dir: Path, *, migrate: bool = True) -> Services:
    if migrate:
        upgrade(url)
    settings = Settings(data_dir=data_dir, database={"url": url}, log_format="json")
    return build_services(settings)


def _decide_loop(
    services: Services, threads: int, per_thread: int, tag: str, records: int = 1
) -> None:
    """`threads` clients, each making `per_thread` requests: with `records` 1, a read as
    GET /v1/records/{id} does it (a read scope, the enforcement point: facts query, embedded
    policy, audit append; the answer only after the record is durable); with more, a
    dossier listing as GET /v1/residents/{resident}/records does it (one facts query for the
    resident, a decision and an audit record per record, one group commit)."""
    principal = Principal(
        sub="u-anna",
        roles=("team_generalist",),
        organisation="gemeente-zaanstad",
        teams=("wt-oost",),
        municipality="zaanstad",
    )
    errors: list[BaseException] = []

    def run(t: int) -> None:
        try:
            for i in range(per_thread):
                dossier = [
                    ResourceFacts(
                        id=f"r-{tag}-{t}-{i}-{k}",
                        category="intake_notes",
                        team="wt-oost",
                        municipality="zaanstad",
                        resident=f"p-{i % 100}",
                    )
                    for k in range(records)
                ]
                ctx = RequestContext(request_id=f"b-{tag}-{t}-{i}", now_ns=time.time_ns())
                with read_scope(services.db) as session:  # as the read routes do
                    out = services.pep.decide(
                        session, principal, "wmo-support", "read", dossier, ctx
                    )
                assert out.allowed
                assert len(out.decisions) == records
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    pool = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    if errors:
        raise errors[0]


def _quiet_logs() -> None:
    import structlog

    structlog.configure(processors=[], logger_factory=structlog.ReturnLoggerFactory())


def _worker(
    url: str,
    data_dir: str,
    no: int,
    threads: int,
    per_thread: int,
    start: Any,
    out: Any,
    records: int = 1,
) -> None:
    """One gateway worker process, as `uvicorn --workers N` runs them: its own services,
    policy engine, connection pool, group-commit writer and checkpointer; all append to the
    one chain and extend the one tree."""
    _quiet_logs()
    services = _services(url, Path(data_dir), migrate=False)
    assert services.checkpointer is not None
    services.start()  # as the app's lifespan does: signing while appending
    _decide_loop(services, threads, 20, f"warm{no}")  # compile, connect, warm up
    start.wait()
    t0, c0 = time.monotonic(), time.process_time()
    _decide_loop(services, threads, per_thread, str(no), records)
    out.put((t0, time.monotonic(), time.process_time() - c0))
    services.stop()
    services.db.dispose()


@dataclass(frozen=True)
class Throughput:
    workers: int
    clients: int
    records: int  # decisions per request
    per_s: float
    worker_cpu_ms: float  # the gateway workers' CPU per decision
    machine_cpu_ms: float  # every core's busy time per decision: workers, database, OS
    machine_busy: float  # share of all cores busy during the run

    def line(self, db: str) -> str:
        per = "" if self.records == 1 else f", {self.records} records per request"
        return (
            f"audited decisions, {db}, {self.workers} worker(s), {self.clients} clients{per}: "
            f"{self.per_s:6.0f} /s   CPU per decision: workers {self.worker_cpu_ms:.2f} ms, "
            f"whole machine {self.machine_cpu_ms:.2f} ms ({self.machine_busy:.0%} busy)"
        )


def _busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of every core since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / hz, sum(values) / hz


def audited_decisions(
    url: str, data_dir: Path, workers: int, clients: int, records: int = 1
) -> Throughput:
    """Audited decisions/s over `workers` processes sharing `clients` concurrent clients,
    `records` decisions per request; each is decided, audited and durable before it counts."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    threads = max(1, clients // workers)
    per_thread = max(1, DECISIONS // (workers * threads * records))
    start = ctx.Barrier(workers + 1)
    out = ctx.Queue()
    procs = [
        ctx.Process(
            target=_worker,
            args=(url, str(data_dir), n, threads, per_thread, start, out, records),
        )
        for n in range(workers)
    ]
    for p in procs:
        p.start()
    start.wait(timeout=600)
    busy0, total0 = _busy_seconds()
    results = [out.get(timeout=600) for _ in procs]
    busy1, total1 = _busy_seconds()
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"bench worker exited with {p.exitcode}")
    n = workers * threads * per_thread * records
    elapsed = max(r[1] for r in results) - min(r[0] for r in results)
    return Throughput(
        workers=workers,
        clients=workers * threads,
        records=records,
        per_s=n / elapsed,
        worker_cpu_ms=sum(r[2] for r in results) / n * 1000,
        machine_cpu_ms=(busy1 - busy0) / n * 1000,
        machine_busy=(busy1 - busy0) / max(1e-9, total1 - total0),
    )


def throughput_runs() -> list[tuple[int, int, int]]:
    """(workers, clients, records per request): single reads in one worker, in one per core,
    in one per core with twice the clients; then dossier listings of 10 records."""
    runs = [
        (1, THREADS, 1),
        (WORKERS, THREADS, 1),
        (WORKERS, 2 * THREADS, 1),
        (WORKERS, THREADS, 10),
    ]
    return list(dict.fromkeys(runs))


def audit_appends(services: Services) -> float:
    """The audit layer alone: single-entry appends/s from 16 threads, each waiting for its
    own durable record (group commit on PostgreSQL, the request's transaction on SQLite)."""
    from audit import AuditEntry

    entry = AuditEntry(
        event_type="record.read",
        occurred_at="2026-11-29T10:00:00.000000Z",
        subject_id="u-anna",
        resident="p-1",
        processing_activity="wmo-support",
        allowed=True,
    )
    per_thread = DECISIONS // THREADS
    pg = services.db.dialect.name == "postgresql"
    writer = services.pep._writer  # the gateway's own group-commit writer

    def run() -> None:
        for _ in range(per_thread):
            if pg and writer is not None:
                writer.append([entry])
            else:
                with session_scope(services.db) as session:
                    services.audit.append(session, [entry])

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return per_thread * THREADS / (time.perf_counter() - t0)


def verify_speed(services: Services, workers: int = 1) -> tuple[float, int]:
    """Entries/s of `audit verify` over the whole log, in this process (`workers` 1) or
    with worker processes, as the CLI runs it (one per core)."""
    cp = services.checkpointer
    assert cp is not None
    cp.run_once()
    t0 = time.perf_counter()
    with Session(services.db) as s:
        report = verify_log(s, cp.signer.name, cp.signer.public_key, cp.origin, workers=workers)
    assert report.ok, report
    return report.checked / (time.perf_counter() - t0), report.checked


# --- one million entries, precomputed ------------------------------------------------------------

_COLUMNS = [
    "seq",
    "event_type",
    "occurred_at",
    "subject_id",
    "subject_roles",
    "organisation",
    "subject_teams",
    "municipality",
    "resident",
    "record_id",
    "category",
    "resource_team",
    "action",
    "processing_activity",
    "purpose",
    "allowed",
    "reason_codes",
    "basis_type",
    "basis_ref",
    "consent_id",
    "redacted",
    "policy_revision",
    "request_id",
    "trace_id",
    "span_id",
    "details",
    "policy_input",
    "policy_input_sha256",
    "prev_hash",
    "hash",
    "leaf_hash",
]
_JSON = {"subject_roles", "subject_teams", "reason_codes", "redacted", "details", "policy_input"}


def _rows(
    n: int, frontier: Frontier, nodes: list[tuple[int, int, str]]
) -> Iterator[tuple[Any, ...]]:
    prev = GENESIS_HASH
    cats = ("intake_notes", "health", "debts", "signal", "income")
    acts = ("wmo-support", "wmo-support", "signalling", "pw-reintegration", "pw-enforcement")
    for seq in range(1, n + 1):
        k = seq % 5
        row: dict[str, Any] = {
            "seq": seq,
            "event_type": "record.read",
            "occurred_at": f"2026-{1 + seq % 11:02d}-{1 + seq % 28:02d}T10:00:00.000000Z",
            "subject_id": f"u-{seq % 500}",
            "subject_roles": ["team_generalist"],
            "organisation": "gemeente-zaanstad",
            "subject_teams": ["wt-oost"],
            "municipality": "zaanstad",
            "resident": f"p-{seq % RESIDENTS:08d}",
            "record_id": f"r-{seq}",
            "category": cats[k],
            "resource_team": "wt-oost",
            "action": "read",
            "processing_activity": acts[k],
            "purpose": "support",
            "allowed": seq % 7 != 0,
            "reason_codes": ["team_member_support"],
            "basis_type": "role",
            "basis_ref": "Wmo 2015 art. 5.1.1",
            "consent_id": None,
            "redacted": [],
            "policy_revision": "bench",
            "request_id": f"req-{seq}",
            "trace_id": f"{seq:032x}",
            "span_id": f"{seq:016x}",
            "details": {},
            "policy_input": None,
        }
        row["policy_input_sha256"] = input_digest(None)
        row["prev_hash"] = prev
        data = canonical(payload_of(row))
        row["hash"] = hashlib.sha256(data).hexdigest()
        lh = leaf_hash(data)
        row["leaf_hash"] = lh.hex()
        nodes.extend((lvl, idx, h.hex()) for (lvl, idx), h in frontier.push(lh))
        prev = row["hash"]
        yield tuple(stored_json(row[c]) if c in _JSON else row[c] for c in _COLUMNS)


def load_million(url: str, services: Services) -> float:
    cp = services.checkpointer
    assert cp is not None
    frontier = Frontier()
    nodes: list[tuple[int, int, str]] = []
    u = make_url(url)
    t0 = time.perf_counter()
    with psycopg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database
    ) as conn:
        with conn.cursor() as cur:
            with cur.copy(f"COPY audit_records ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                for row in _rows(ENTRIES, frontier, nodes):
                    copy.write_row(row)
            with cur.copy("COPY audit_tree_nodes (level, idx, hash) FROM STDIN") as copy:
                for node in nodes:
                    copy.write_row(node)
            root = frontier.root()
            note = cp.signer.sign(Checkpoint(cp.origin, ENTRIES, root))
            cur.execute(
                "INSERT INTO audit_checkpoints (tree_size, root_hash, created_at, note) "
                "VALUES (%s, %s, %s, %s)",
                (ENTRIES, root.hex(), "2026-11-29T00:00:00.000000Z", note),
            )
        conn.commit()
        conn.execute("ANALYZE audit_records")
        conn.execute("ANALYZE audit_tree_nodes")
    return time.perf_counter() - t0


def proofs_and_access_log(services: Services) -> dict[str, float]:
    from audit import inclusion_proof
    from audit.merkle import verify_inclusion

    rnd = random.Random(5)
    proof_ms: list[float] = []
    with Session(services.db) as s:
        for _ in range(300):
            seq = rnd.randint(1, ENTRIES)
            t0 = time.perf_counter()
            p = inclusion_proof(s, seq)
            proof_ms.append((time.perf_counter() - t0) * 1000)
            assert verify_inclusion(p.leaf_index, p.tree_size, p.leaf_hash, p.path, p.root_hash)
    held = {"pw-enforcement": "2026-06-01T00:00:00.000000Z"}
    log_ms: list[float] = []
    with Session(services.db) as s:
        for _ in range(300):
            resident = f"p-{rnd.randrange(RESIDENTS):08d}"
            t0 = time.perf_counter()
            records, _held = services.audit.resident_log(s, resident, held_back_from=held, limit=50)
            log_ms.append((time.perf_counter() - t0) * 1000)
            del records  # (a resident whose entries are all held back gets an empty page)
    return {
        "proof_p50_ms": statistics.median(proof_ms),
        "proof_p99_ms": _pct(proof_ms, 99),
        "log_p50_ms": statistics.median(log_ms),
        "log_p99_ms": _pct(log_ms, 99),
    }


def main() -> None:
    print(
        f"audit bench: {DECISIONS} audited decisions per run, each a GET of a record "
        f"(facts query, embedded policy, audit record durable before the answer)"
    )
    with tempfile.TemporaryDirectory(prefix="doelbinding-audit-bench-") as tmp:
        sqlite_url = f"sqlite:///{tmp}/bench.db"
        sqlite = _services(sqlite_url, Path(tmp))
        for workers, clients, records in throughput_runs():
            run = audited_decisions(sqlite_url, Path(tmp), workers, clients, records)
            print(run.line("SQLite"))
        print(f"audit appends alone, SQLite:   {audit_appends(sqlite):7.0f} /s")
        for w in (1, os.cpu_count() or 1):
            speed, n = verify_speed(sqlite, workers=w)
            print(
                f"audit verify, SQLite, {w} process(es): {speed:7.0f} entries/s  "
                f"({n} entries; target >= 100000)"
            )
        sqlite.db.dispose()
        try:
            _admin().close()
        except psycopg.OperationalError:
            print("PostgreSQL not reachable: PostgreSQL figures skipped")
            return
        with pg_database() as url:
            pg = _services(url, Path(tmp))
            for workers, clients, records in throughput_runs():
                run = audited_decisions(url, Path(tmp), workers, clients, records)
                print(run.line("PostgreSQL"))
            print("  (target: >= 1500 /s on PostgreSQL, 2 workers)")
            print(f"audit appends alone, PostgreSQL: {audit_appends(pg):5.0f} /s  (group commit)")
            for w in (1, os.cpu_count() or 1):
                speed, n = verify_speed(pg, workers=w)
                print(
                    f"audit verify, PostgreSQL, {w} process(es): {speed:7.0f} entries/s  "
                    f"({n} entries; target >= 100000)"
                )
            pg.db.dispose()
        with pg_database() as url:
            pg = _services(url, Path(tmp))
            took = load_million(url, pg)
            print(f"{ENTRIES} entries precomputed and loaded (COPY) in {took:.0f} s")
            speed, n = verify_speed(pg, workers=os.cpu_count() or 1)
            print(f"audit verify at {ENTRIES}, {os.cpu_count()} processes: {speed:7.0f} entries/s")
            f = proofs_and_access_log(pg)
            print(
                f"inclusion proof at {ENTRIES}:   p50 {f['proof_p50_ms']:.2f} ms   "
                f"p99 {f['proof_p99_ms']:.2f} ms"
            )
            print(
                f"resident access log at {ENTRIES}: p50 {f['log_p50_ms']:.2f} ms   "
                f"p99 {f['log_p99_ms']:.2f} ms  (50 newest of ~{ENTRIES // RESIDENTS})"
            )
            pg.db.dispose()


if __name__ == "__main__":
    main()
