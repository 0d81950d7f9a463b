"""Hot swap: every gateway process decides with the active policy version within a second.

    activation (any process) ─commit─▶ policy_version_events
                                            │ each process polls the active revision
                                            ▼ (one indexed query every `watch_interval_seconds`)
    PolicyWatcher.refresh: load the version ─▶ compile it (a whole new engine) ─▶ swap ONE
                           reference (EngineHolder.active: the engine with its register);
                           requests in flight finish on the version they already hold, the
                           next ones get the new one

No request is decided by a half-loaded version: the new engine is complete before the swap,
and the enforcement point takes the engine and its register once per request. A version that
fails to load is not swapped in; the old one keeps deciding, and the failure is logged. With
the OPA engine, building the new engine pushes its modules and register to OPA before the
swap.

A revision check works on SQLite and PostgreSQL alike; PostgreSQL LISTEN/NOTIFY would save
the poll but not the fallback, so the poll is the one mechanism.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from gateway.clock import Clock
from gateway.db import session_scope
from gateway.settings import Settings
from lifecycle import service
from lifecycle.content import register_for, shipped_content
from policy import EngineKind, PolicyEngine, PolicyError, build_engine
from registry import Register, RegistryError

log = structlog.get_logger("doelbinding.policy_watcher")


@dataclass(frozen=True)
class LoadedPolicy:
    """The version a process decides with: its revision, modules and this profile's register."""

    version: str
    modules: Mapping[str, str]
    register: Register
    engine: PolicyEngine


def build_for(settings: Settings, modules: Mapping[str, str], register: Register) -> PolicyEngine:
    opa = settings.policy.engine is EngineKind.OPA
    return build_engine(
        settings.policy.engine,
        modules,
        register.policy_data(),
        opa_url=settings.policy.opa_url if opa else None,
        opa_timeout=settings.policy.opa_timeout_seconds,
    )


class PolicyWatcher:
    """Keeps this process on the active version. `swap` installs a loaded version."""

    def __init__(
        self,
        db: Engine,
        settings: Settings,
        clock: Clock,
        swap: Callable[[LoadedPolicy], None] | None = None,
    ) -> None:
        self._db = db
        # The poll only reads. On SQLite the gateway's engine begins every transaction with
        # BEGIN IMMEDIATE (the write lock), so under load the poll would queue behind every
        # request; a plain engine reads next to the writers (WAL).
        self._read_db = (
            create_engine(db.url, connect_args={"check_same_thread": False, "timeout": 30})
            if db.dialect.name == "sqlite"
            else db
        )
        self._settings = settings
        self._clock = clock
        self._swap = swap
        self.loaded: LoadedPolicy | None = None
        self.last_swap_seconds: float | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def bind(self, swap: Callable[[LoadedPolicy], None]) -> None:
        self._swap = swap

    def initial(self) -> LoadedPolicy:
        """The active version, storing the shipped policy first on an empty database. If the
        version tables cannot be read (an unmigrated database), the shipped policy."""
        modules, data = shipped_content(self._settings.policy.rego_dir)
        try:
            with session_scope(self._db) as session:
                active = service.ensure_initial_version(session, modules, data, self._clock())
                version = service.get_version(session, active)
                modules, data = version.modules, version.data
        except SQLAlchemyError as exc:
            log.warning("policy_versions_unavailable", error=type(exc).__name__)
            active = ""
        register = register_for(data, self._settings.profile)
        loaded = LoadedPolicy(
            active, modules, register, build_for(self._settings, modules, register)
        )
        self.loaded = loaded
        return loaded

    def refresh(self) -> bool:
        """Swap in the active version if it is not the loaded one. True if it swapped."""
        with self._lock:
            started = time.perf_counter()
            with Session(self._read_db) as session:
                active = service.active_revision(session)
                if active is None or (self.loaded and self.loaded.version == active):
                    return False
                version = service.get_version(session, active)
                modules: dict[str, str] = dict(version.modules)
                data: dict[str, Any] = dict(version.data)
            try:
                register = register_for(data, self._settings.profile)
                engine = build_for(self._settings, modules, register)  # compile first …
            except (PolicyError, RegistryError, ValueError) as exc:
                log.error("policy_swap_failed", version=active, error=str(exc)[:200])
                return False
            loaded = LoadedPolicy(active, modules, register, engine)
            if self._swap is not None:
                self._swap(loaded)  # … then swap one reference
            previous = self.loaded.version if self.loaded else None
            self.loaded = loaded
            self.last_swap_seconds = time.perf_counter() - started
            log.info(
                "policy_swapped",
                version=active,
                previous=previous,
                decision_revision=engine.revision,
                load_seconds=round(self.last_swap_seconds, 4),
            )
            return True

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.refresh()
            except (SQLAlchemyError, PolicyError) as exc:
                log.warning("policy_watch_failed", error=type(exc).__name__)

    def start(self) -> None:
        interval = self._settings.policy.watch_interval_seconds
        if self._thread is not None or interval <= 0:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(interval,), name="policy-watcher", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._read_db is not self._db:
            self._read_db.dispose()
