"""Issue 12, finding 1, end to end: clients that send rows the audit trail cannot store must not
make other clients' reads fail.

A real server on 127.0.0.1 over PostgreSQL with group commit (the production set-up, where the
audit records of concurrent reads share one transaction): 4 professionals read while 3
residents send the rows of the finding. Every read is answered 200; every poisoned request 4xx.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from gateway.app import create_app
from gateway.auth import issue_dev_token, load_or_create_dev_key
from gateway.demo import seed_demo
from gateway.settings import Settings

pytestmark = pytest.mark.postgres

READERS = 4
POISONERS = 3
SECONDS = 4.0


def _body(resource: dict[str, object], activity: str = "", subject: str = "") -> dict[str, object]:
    return {
        "subject": {"type": "user", "id": subject},
        "action": {
            "name": "read",
            "properties": {"processing_activity_id": activity or "wmo-support"},
        },
        "resource": resource,
    }


def _props(**extra: str) -> dict[str, object]:
    return {
        "properties": {"category": "health", "team": "wt-oost", "resident": "999990020"},
        **extra,
    }


def poisoned(sub: str) -> list[tuple[str, str, dict[str, object] | None]]:
    """The requests of finding 1, for a resident whose token subject is `sub`."""
    nul = "wt-\x00oost"
    return [
        ("POST", "/access/v1/evaluation", _body({"type": "r" * 64, **_props()}, subject=sub)),
        ("POST", "/access/v1/evaluation", _body({"id": "x" * 128, **_props()}, subject=sub)),
        (
            "POST",
            "/access/v1/evaluation",
            _body(
                {"properties": {"category": "health", "team": nul, "resident": "1"}}, subject=sub
            ),
        ),
        ("POST", "/access/v1/evaluation", _body(_props(), activity="wmo-\x00", subject=sub)),
        ("POST", "/access/v1/evaluation", _body({"id": "\x00", **_props()}, subject=sub)),
        ("GET", "/v1/aggregates/counts?unit=%00", None),
    ]


@pytest.fixture
def live(pg_database_url: str, tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    settings = Settings(
        data_dir=tmp_path,
        profile="zaanstad",
        database={"url": pg_database_url},
        audit={"group_commit": True, "group_commit_linger_ms": 2.0},
    )
    app = create_app(settings)
    services = app.state.services
    seed_demo(services.db, services.pseudonymize, services.clock, "zaanstad")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}", settings
    server.should_exit = True
    thread.join(timeout=20)
    services.db.dispose()


def _token(settings: Settings, sub: str, role: str, teams: tuple[str, ...] = ()) -> str:
    key = load_or_create_dev_key(settings.dev_key_file)
    return issue_dev_token(
        key,
        issuer=settings.auth.issuer,
        audience=settings.auth.audience,
        sub=sub,
        roles=[role],
        municipality="zaanstad",
        organisation="gemeente-zaanstad",
        teams=teams,
    )


def test_poisoners_get_4xx_and_readers_never_fail(live) -> None:
    base, settings = live
    reader_token = _token(settings, "u-anna", "team_generalist", ("wt-oost",))
    stop = time.monotonic() + SECONDS
    reads: Counter[int] = Counter()
    poison: Counter[int] = Counter()
    lock = threading.Lock()
    errors: list[str] = []

    def reader() -> None:
        headers = {
            "Authorization": f"Bearer {reader_token}",
            "X-Processing-Activity": "wmo-support",
        }
        with httpx.Client(base_url=base, timeout=30) as c:
            while time.monotonic() < stop:
                r = c.get("/v1/records/r-demo-intake", headers=headers)
                with lock:
                    reads[r.status_code] += 1

    def poisoner(n: int) -> None:
        sub = f"99999{n:04d}"
        headers = {
            "Authorization": f"Bearer {_token(settings, sub, 'resident')}",
            "X-Processing-Activity": "statistics",
        }
        requests = poisoned(sub)
        with httpx.Client(base_url=base, timeout=30) as c:
            i = 0
            while time.monotonic() < stop:
                method, path, body = requests[i % len(requests)]
                i += 1
                try:
                    r = c.request(method, path, json=body, headers=headers)
                except httpx.HTTPError as exc:  # a client that cannot even send it
                    errors.append(type(exc).__name__)
                    continue
                with lock:
                    poison[r.status_code] += 1

    threads = [threading.Thread(target=reader) for _ in range(READERS)]
    threads += [threading.Thread(target=poisoner, args=(n,)) for n in range(POISONERS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=SECONDS + 60)

    assert not errors
    assert sum(reads.values()) > 0
    assert sum(poison.values()) > 0
    assert dict(reads) == {200: sum(reads.values())}, f"readers: {dict(reads)}"
    assert all(400 <= s < 500 for s in poison), f"poisoners: {dict(poison)}"
