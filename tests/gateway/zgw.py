"""Shared pieces of the upstream-mode tests: the fake Zaken API and an app pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select
from sqlmodel import Session, col

from audit import AuditRecord
from gateway.settings import Settings
from tests.fakes.zaken_api import FakeZakenApi


def zaken_api() -> Iterator[FakeZakenApi]:
    """A Zaken API on 127.0.0.1; every answer it gave is checked against the official
    document at the end of the test (a fixture's body: `yield from zaken_api()`)."""
    with FakeZakenApi() as api:
        yield api
    assert api.errors == [], api.errors


def upstream_settings(settings: Settings, api: FakeZakenApi, **zaken: object) -> Settings:
    return settings.model_copy(
        update={
            "zaken": settings.zaken.model_copy(
                update={
                    "url": api.url,
                    "client_id": api.client_id,
                    "secret": SecretStr(api.secret),
                    "timeout_seconds": 2.0,
                    **zaken,
                }
            )
        }
    )


def audit_records(client: Any) -> list[AuditRecord]:
    with Session(client.app.state.services.db) as s:
        return list(s.scalars(select(AuditRecord).order_by(col(AuditRecord.seq))))
