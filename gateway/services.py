"""The composition root: everything the gateway needs, built once from the settings."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from audit import AuditStore, GroupCommitWriter, LogRolledBack, NoteSigner, VerifierKey
from gateway import metrics
from gateway.auth import TokenVerifier, load_or_create_dev_key
from gateway.checkpointer import Checkpointer, load_or_create_signing_key
from gateway.clock import Clock, system_clock
from gateway.db import make_engine
from gateway.pep import ActivePolicy, EnforcementPoint
from gateway.policy_watcher import LoadedPolicy, PolicyWatcher
from gateway.pseudonym import Pseudonymizer, load_or_create_key
from gateway.settings import Settings
from gateway.upstream import Upstream
from gateway.witness import LocalWitness
from policy import EngineKind, PolicyEngine, build_engine, load_modules
from registry import Register, load_register
from registry.zaaktypes import load_zaaktypes
from zaken import ZakenClient

log = structlog.get_logger("doelbinding.services")


class EngineHolder:
    """One reference to the policy a process decides with: the engine and the register it
    was built from, as one `ActivePolicy`. A new version swaps it in one assignment, so a
    request never pairs one version's engine with another's register."""

    def __init__(self, engine: PolicyEngine, register: Register) -> None:
        self.active = ActivePolicy(engine, register)

    @property
    def current(self) -> PolicyEngine:
        return self.active.engine

    def __call__(self) -> ActivePolicy:
        return self.active


@dataclass
class Services:
    settings: Settings
    db: Engine
    engines: EngineHolder
    audit: AuditStore
    pseudonymize: Pseudonymizer
    verifier: TokenVerifier
    pep: EnforcementPoint
    clock: Clock = field(default=system_clock)
    checkpointer: Checkpointer | None = None
    #: Keeps this process on the active policy version (None: an engine pinned by the caller).
    policy_watcher: PolicyWatcher | None = None
    #: Upstream mode: the Zaken API behind the gateway (None: off).
    upstream: Upstream | None = None

    @property
    def register(self) -> Register:
        """The register of the active policy version (labels, activity checks)."""
        return self.engines.active.register

    def start(self) -> None:
        """Start this process's background work (the app's lifespan calls it): the audit
        checkpointer and the policy watcher. Then freeze what startup built (modules, the
        compiled policy, the register, the SQLAlchemy metadata): it lives as long as the
        process, and frozen objects are left out of every garbage collection, which otherwise
        walks them again and again while requests allocate."""
        if self.checkpointer is not None:
            try:
                self.checkpointer.check_witness()
            except LogRolledBack as exc:
                log.error(
                    "audit_log_rolled_back",
                    detail=str(exc),
                    refused=True,
                    fix="if you restored a backup on purpose: doelbinding audit accept-restore",
                )
                raise
            except SQLAlchemyError as exc:
                # The database is not there yet (/ready says so); the checkpointer checks
                # again before it signs, every round, and refuses then.
                log.warning("audit_witness_check_deferred", error=type(exc).__name__)
            self.checkpointer.start()
        if self.policy_watcher is not None:
            self.policy_watcher.start()
        gc.collect()
        gc.freeze()

    def stop(self) -> None:
        gc.unfreeze()  # collectable again (a test process starts and stops many apps)
        if self.policy_watcher is not None:
            self.policy_watcher.stop()
        if self.checkpointer is not None:
            self.checkpointer.stop()
        if self.upstream is not None:
            self.upstream.client.close()

    def install_policy(self, loaded: LoadedPolicy) -> None:
        """Swap in a fully built version: its engine and its register, in one assignment."""
        self.engines.active = ActivePolicy(loaded.engine, loaded.register)
        metrics.POLICY_SWAPS.inc()


def build_policy_engine(settings: Settings, register: Register) -> PolicyEngine:
    modules = load_modules(settings.policy.rego_dir) if settings.policy.rego_dir else load_modules()
    opa = settings.policy.engine is EngineKind.OPA
    return build_engine(
        settings.policy.engine,
        modules,
        register.policy_data(),
        opa_url=settings.policy.opa_url if opa else None,
        opa_timeout=settings.policy.opa_timeout_seconds,
    )


def build_verifier(settings: Settings) -> TokenVerifier:
    auth = settings.auth
    if auth.jwks_url:
        return TokenVerifier.from_jwks(auth.jwks_url, auth.issuer, auth.audience)
    key = load_or_create_dev_key(settings.dev_key_file)
    return TokenVerifier.from_public_key(key.public_key(), auth.issuer, auth.audience)


def build_pseudonymizer(settings: Settings) -> Pseudonymizer:
    return Pseudonymizer(
        settings.pseudonym_secret() or load_or_create_key(settings.dev_pseudonym_key_file)
    )


def build_services(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    engine: PolicyEngine | None = None,
) -> Services:
    db = make_engine(settings.database_url, pre_ping=settings.database.pre_ping)
    watcher: PolicyWatcher | None = None
    if engine is None:
        # The active version in the database (the shipped policy on an empty database).
        watcher = PolicyWatcher(db, settings, clock)
        loaded = watcher.initial()
        register, engine = loaded.register, loaded.engine
    else:
        register = load_register(settings.profile)
    engines = EngineHolder(engine, register)
    audit = AuditStore()
    pseudonymize = build_pseudonymizer(settings)
    checkpointer = build_checkpointer(settings, db, clock)
    writer = (
        GroupCommitWriter(
            db,
            audit,
            linger=settings.audit.group_commit_linger_ms / 1000,
            on_batch=metrics.audit_batch,
        )
        if settings.audit.group_commit
        else None
    )
    services = Services(
        settings=settings,
        db=db,
        engines=engines,
        audit=audit,
        pseudonymize=pseudonymize,
        verifier=build_verifier(settings),
        pep=EnforcementPoint(
            policy=engines,
            audit=audit,
            pseudonymize=pseudonymize,
            writer=writer,
            on_append=checkpointer.appended,
        ),
        clock=clock,
        checkpointer=checkpointer,
        policy_watcher=watcher,
        upstream=build_upstream(settings, register),
    )
    if watcher is not None:
        watcher.bind(services.install_policy)
    return services


def build_upstream(settings: Settings, register: Register) -> Upstream | None:
    """The upstream Zaken API and this deployment's zaaktype mapping, if configured."""
    zs = settings.zaken
    if not zs.url:
        return None
    client = ZakenClient(
        zs.url,
        zs.client_id,
        zs.secret.get_secret_value() if zs.secret else "",
        timeout=zs.timeout_seconds,
    )
    return Upstream(client, load_zaaktypes(register, zs.zaaktypes_file))


def build_signer(settings: Settings) -> NoteSigner:
    """The checkpoint signer; outside development the key file must already exist."""
    create = settings.environment.value == "development"
    key = load_or_create_signing_key(settings.audit_signing_key_file, create=create)
    return NoteSigner(settings.audit_key_name, key)


def verifier_keys(settings: Settings, signer: NoteSigner) -> list[VerifierKey]:
    """The keys whose checkpoints this log accepts: the current one, then the earlier ones."""
    return [VerifierKey(signer.name, signer.public_key), *settings.audit_previous_keys]


def build_witness(settings: Settings, signer: NoteSigner) -> LocalWitness:
    return LocalWitness(
        settings.audit_last_checkpoint_file, verifier_keys(settings, signer), settings.audit.origin
    )


def build_checkpointer(settings: Settings, db: Engine, clock: Clock) -> Checkpointer:
    signer = build_signer(settings)
    return Checkpointer(
        db,
        signer,
        settings.audit.origin,
        clock,
        interval=settings.audit.checkpoint_interval_seconds,
        every=settings.audit.checkpoint_every_entries,
        witness=build_witness(settings, signer),
        refuse_rollback=settings.audit_refuse_rollback,
    )
