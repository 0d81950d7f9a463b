"""Fixtures for the HTTP tests: an app per test on a fresh database (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.auth import issue_dev_token, load_or_create_dev_key
from gateway.demo import seed_demo
from gateway.settings import Settings

BSN_SANNE = "999990019"
BSN_JOOST = "999990020"
NOW_NS = 1_796_000_000_000_000_000  # 2026-11-29


@dataclass
class FakeClock:
    now_ns: int = NOW_NS

    def __call__(self) -> int:
        return self.now_ns

    def advance(self, seconds: float) -> None:
        self.now_ns += int(seconds * 1_000_000_000)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        profile="zaanstad",
        database={"url": database_url},
        log_format="json",
    )


@pytest.fixture
def make_client(settings: Settings, clock: FakeClock) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        app = create_app(settings, clock=clock, **overrides)  # type: ignore[arg-type]
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.app.state.services.db.dispose()  # type: ignore[attr-defined]
        c.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def token(settings: Settings, clock: FakeClock) -> Callable[..., dict[str, str]]:
    """`token(sub, role, team=…, activity=…)` → request headers with a dev bearer token."""
    key = load_or_create_dev_key(settings.dev_key_file)

    def make(
        sub: str,
        *roles: str,
        teams: tuple[str, ...] = (),
        municipality: str = "zaanstad",
        activity: str | None = None,
    ) -> dict[str, str]:
        tok = issue_dev_token(
            key,
            issuer=settings.auth.issuer,
            audience=settings.auth.audience,
            sub=sub,
            roles=list(roles),
            municipality=municipality,
            organisation=f"gemeente-{municipality}",
            teams=teams,
        )
        headers = {"Authorization": f"Bearer {tok}"}
        if activity:
            headers["X-Processing-Activity"] = activity
        return headers

    return make


def store_record(client: TestClient, headers: dict[str, str], **fields: str) -> str:
    """POST /v1/records (Sanne's intake notes in wt-oost unless `fields` say otherwise); the
    new record's id."""
    body = {
        "resident": BSN_SANNE,
        "category": "intake_notes",
        "team": "wt-oost",
        "content": "geheim",
        **fields,
    }
    resp = client.post("/v1/records", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def web_client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    """The app over https://testserver with the demo data, redirects not followed: for the
    resident pages and the console (a fixture's body: `yield from web_client(...)`)."""
    app = create_app(settings, clock=clock)
    services = app.state.services
    seed_demo(services.db, services.pseudonymize, clock, "zaanstad")
    with TestClient(
        app, base_url="https://testserver", follow_redirects=False, raise_server_exceptions=False
    ) as c:
        yield c
    services.db.dispose()


@pytest.fixture
def web(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    yield from web_client(settings, clock)


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client: TestClient, path: str) -> str:
    """The CSRF token of the form on `path`."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = CSRF_FIELD.search(page.text)
    assert match, "no CSRF field on " + path
    return match.group(1)
