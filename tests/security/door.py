"""Helpers for the one-door tests: a client for another profile, tokens for it, the audit
trail as rows. The fixtures themselves come from tests/gateway/conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from audit import AuditRecord
from gateway.app import create_app
from gateway.auth import issue_dev_token, load_or_create_dev_key
from gateway.settings import Settings

Tok = Callable[..., dict[str, str]]


@contextmanager
def profile_client(
    settings: Settings, clock: Any, profile: str
) -> Iterator[tuple[TestClient, Tok]]:
    """An app for `profile` on the test's database, and `tok(sub, role, municipality, …)`."""
    s = settings.model_copy(update={"profile": profile})
    app = create_app(s, clock=clock)
    client = TestClient(app, raise_server_exceptions=False)
    key = load_or_create_dev_key(s.dev_key_file)

    def tok(
        sub: str,
        role: str,
        municipality: str,
        activity: str | None = None,
        *,
        organisation: str | None = None,
        teams: tuple[str, ...] = (),
    ) -> dict[str, str]:
        t = issue_dev_token(
            key,
            issuer=s.auth.issuer,
            audience=s.auth.audience,
            sub=sub,
            roles=[role],
            municipality=municipality,
            organisation=organisation or f"gemeente-{municipality}",
            teams=teams,
        )
        headers = {"Authorization": f"Bearer {t}"}
        if activity:
            headers["X-Processing-Activity"] = activity
        return headers

    try:
        yield client, tok
    finally:
        app.state.services.db.dispose()
        client.close()


def audit_rows(client: TestClient) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:  # type: ignore[attr-defined]
        return list(s.scalars(select(AuditRecord).order_by(col(AuditRecord.seq))))


def last_seq(client: TestClient) -> int:
    rows = audit_rows(client)
    return rows[-1].seq if rows else 0


def store(client: TestClient, headers: dict[str, str], **fields: str) -> str:
    body = {"resident": "999990019", "category": "intake_notes", "team": "wt-oost",
            "content": "geheim", **fields}  # fmt: skip
    resp = client.post("/v1/records", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])
