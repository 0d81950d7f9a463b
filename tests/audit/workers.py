"""Child-process bodies for the concurrency and crash tests (importable by `spawn` children)."""

from __future__ import annotations

import threading
from typing import Any

from audit import AuditStore, GroupCommitWriter
from tests.factories import make_entry


def group_commit_worker(url: str, worker: int, threads: int, appends: int, barrier: Any) -> None:
    """`threads` request threads, each appending `appends` single entries through group commit
    and waiting for each to be durable, as a gateway worker's request threads do."""
    from gateway.db import make_engine

    engine = make_engine(url)
    writer = GroupCommitWriter(engine, AuditStore())
    errors: list[BaseException] = []

    def run(t: int) -> None:
        try:
            for i in range(appends):
                writer.append([make_entry(request_id=f"p{worker}-t{t}-{i}")])
        except BaseException as exc:  # noqa: BLE001  (re-raised below)
            errors.append(exc)

    try:
        barrier.wait(timeout=120)
        pool = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
        for th in pool:
            th.start()
        for th in pool:
            th.join()
        if errors:
            raise errors[0]
    finally:
        engine.dispose()


def append_forever(url: str, threads: int) -> None:
    """Append until killed (kill -9 lands wherever it lands: mid-transaction, mid-commit)."""
    from gateway.db import make_engine

    engine = make_engine(url)
    writer = GroupCommitWriter(engine, AuditStore())

    def run(t: int) -> None:
        i = 0
        while True:
            writer.append([make_entry(request_id=f"k-t{t}-{i}"), make_entry(request_id="pair")])
            i += 1

    pool = [threading.Thread(target=run, args=(t,), daemon=True) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
