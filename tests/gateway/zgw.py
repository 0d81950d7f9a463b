"""Shared pieces of the upstream-mode tests: the fake Zaken API and an app pointed at it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr
from sqlalchemy import select
from sqlmodel import Session, col

from audit import AuditRecord
from gateway.settings import Settings
from policy import EngineKind, PolicyEngine, build_engine, load_modules
from registry import load_register
from registry.loader import DATA_DIR as REGISTRY_DIR
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


def engine_with_flow_redact(
    profile: str, flow_id: str, redact: list[str], tmp_path: Path
) -> PolicyEngine:
    """The shipped policy over the shipped register, but with `flow_id`'s `redact` set: the
    register ships no flow that withholds fields today, and the mechanism is the policy
    contract's (a flow's `redact`, which the gateway applies to the upstream's JSON)."""
    register = yaml.safe_load((REGISTRY_DIR / "register.yaml").read_text(encoding="utf-8"))
    [flow] = [f for f in register["flows"] if f["id"] == flow_id]
    flow["redact"] = redact
    (tmp_path / "register.yaml").write_text(yaml.safe_dump(register), encoding="utf-8")
    shutil.copytree(REGISTRY_DIR / "profiles", tmp_path / "profiles")
    reg = load_register(profile, tmp_path / "register.yaml", tmp_path / "profiles")
    return build_engine(EngineKind.EMBEDDED, load_modules(), reg.policy_data())
