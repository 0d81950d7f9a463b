"""THE settings object. Built once by `get_settings()` or by a test, then passed down.

Every field reads from the environment with the prefix `DOELBINDING_`; nested sections use a
double underscore: `DOELBINDING_DATABASE__URL`, `DOELBINDING_AUTH__JWKS_URL`. Domain packages
never see this object: the gateway hands them plain values.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from limits import parse_many
from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from audit import VerifierKey, parse_vkey
from policy import EngineKind


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class DatabaseSettings(BaseModel):
    url: str = Field(
        default="",
        description=(
            "SQLAlchemy URL. Empty: a SQLite file `doelbinding.db` in the data directory. "
            "Production: postgresql+psycopg://user@host/db."
        ),
    )
    runtime_role: str = Field(
        default="",
        description="PostgreSQL: the role the gateway runs as. `doelbinding migrate` (run as the "
        "owner role) grants it only what it needs: INSERT and SELECT on the append-only tables, "
        "no UPDATE, DELETE or TRUNCATE (docs/deploy.md). Empty: no grants.",
    )
    pre_ping: bool = Field(
        default=False,
        description=(
            "PostgreSQL: test each pooled connection with a round trip before use. Off: a "
            "request that meets a connection the server dropped (a restart) is refused (503) "
            "and the pool reconnects for the next one; on: ~0.1 ms more per request."
        ),
    )


class PolicySettings(BaseModel):
    engine: EngineKind = Field(
        default=EngineKind.EMBEDDED,
        description="`embedded` (regopy, in-process) or `opa` (an OPA server).",
    )
    opa_url: str = Field(default="http://127.0.0.1:8181", description="The OPA server, for `opa`.")
    opa_timeout_seconds: float = Field(
        default=1.0,
        gt=0,
        description="`opa`: seconds to wait for a decision (or a push); then refuse.",
    )
    rego_dir: Path | None = Field(
        default=None, description="Directory of .rego modules. Empty: the shipped `policy/rego`."
    )
    watch_interval_seconds: float = Field(
        default=0.25,
        ge=0,
        description="Each process checks the active policy version this often and swaps its "
        "engine when it changed (docs/policy-lifecycle.md). 0: never (tests that pin an engine).",
    )


class AuthSettings(BaseModel):
    issuer: str = Field(default="doelbinding-dev", description="Expected `iss` of bearer tokens.")
    audience: str = Field(default="doelbinding", description="Expected `aud` of bearer tokens.")
    jwks_url: str = Field(
        default="",
        description="The identity provider's JWKS URL (RS256/ES256). Empty: the local dev key.",
    )
    dev_key_file: Path | None = Field(
        default=None,
        description="PEM file of the local dev signing key. Empty: `dev-signing-key.pem` in the "
        "data directory, generated on first use. Development only.",
    )


class AuditSettings(BaseModel):
    origin: str = Field(
        default="doelbinding.local/audit",
        description="The log's origin: the first line of every checkpoint (a schema-less URL).",
    )
    key_name: str = Field(
        default="",
        description="The signed note's key name. Empty: the origin.",
    )
    signing_key_file: Path | None = Field(
        default=None,
        description="PEM file of the Ed25519 checkpoint signing key. Empty: "
        "`audit-signing-key.pem` in the data directory, generated on first use (development). "
        "Production: create it with `doelbinding init-secrets DIR`.",
    )
    previous_keys: list[str] = Field(
        default_factory=list,
        description="After a key rotation: the verifier keys (C2SP vkeys) of earlier signing "
        "keys. Checkpoints they signed still verify, and they stay published at "
        "/v1/audit/keys. JSON list in the environment.",
    )
    last_checkpoint_file: Path | None = Field(
        default=None,
        description="Where the gateway keeps the last checkpoint it signed or saw, outside the "
        "database; it refuses to serve a database whose tree is smaller or inconsistent with "
        "it. Empty: `audit-last-checkpoint` next to the signing key.",
    )
    refuse_rollback: bool | None = Field(
        default=None,
        description="Refuse to serve or sign when the database's tree does not extend that "
        "checkpoint (until `doelbinding audit accept-restore`). false: log it and adopt the "
        "database. Empty: refuse in production, adopt in development (a deleted demo database).",
    )
    checkpoint_interval_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Sign a checkpoint at least this often while there are new entries; "
        "0: no background checkpointer (run `doelbinding audit checkpoint`).",
    )
    checkpoint_every_entries: int = Field(
        default=1000, gt=0, description="Also sign a checkpoint after this many new entries."
    )
    group_commit: bool = Field(
        default=True,
        description="PostgreSQL: commit the audit records of concurrent reads in one "
        "transaction (each request still waits for its own).",
    )
    group_commit_linger_ms: float = Field(
        default=2.0,
        ge=0,
        le=50,
        description="PostgreSQL group commit: while other decisions are on their way, wait up "
        "to this long for their records before committing, so one COMMIT carries more "
        "(fewer transactions, less CPU per record; adds at most this much latency). 0: never wait.",
    )


class EdgeSettings(BaseModel):
    """Limits at the edge, before and around the policy (docs/security.md)."""

    max_body_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="The largest request body, in bytes: 413 beyond it, counted while it is "
        "read (chunked bodies too) and before authentication.",
    )
    hsts_max_age_seconds: int = Field(
        default=31_536_000,
        ge=0,
        description="`Strict-Transport-Security: max-age=…` on every response served over "
        "https (the scheme uvicorn reports: X-Forwarded-Proto only from --forwarded-allow-ips). "
        "0: no HSTS header.",
    )
    rate_limit: str = Field(
        default="600/minute",
        description="Decisions per subject on the decision routes (AuthZEN, record reads), "
        "moving window, in the `limits` notation (`N/second|minute|hour`); 429 with "
        "Retry-After beyond it. An AuthZEN batch counts each evaluation.",
    )
    rate_limit_case_system: str = Field(
        default="6000/minute",
        description="The same for a case system's token, which decides for many users.",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where the counts live (a `limits` storage URI). `memory://` counts per "
        "process; replicas that must share one budget use e.g. `redis://host:6379`.",
    )

    @model_validator(mode="after")
    def _limits_parse(self) -> EdgeSettings:
        for value in (self.rate_limit, self.rate_limit_case_system):
            parse_many(value)  # ValueError on nonsense, at start-up rather than per request
        return self


class OidcSettings(BaseModel):
    issuer: str = Field(
        default="",
        description="The resident login's OpenID provider (e.g. a DigiD broker). Empty: no OIDC "
        "login; development then offers the demo login.",
    )
    discovery_url: str = Field(
        default="",
        description="The discovery document. Empty: `<issuer>/.well-known/openid-configuration`.",
    )
    client_id: str = Field(default="", description="This gateway's client id at the provider.")
    client_secret: SecretStr | None = Field(
        default=None,
        description="Client secret (client_secret_basic), if the provider wants one besides PKCE.",
    )
    redirect_uri: str = Field(
        default="",
        description="Where the provider sends the resident back: https://<host>/mijn/inloggen/terug",
    )
    scopes: str = Field(default="openid", description="Space-separated scopes to ask for.")
    resident_claim: str = Field(
        default="sub",
        description="The ID-token claim that holds the resident's BSN (e.g. `sub` or `bsn`).",
    )
    timeout_seconds: float = Field(default=5.0, gt=0, description="HTTP timeout to the provider.")


class WebSettings(BaseModel):
    session_secret: SecretStr | None = Field(
        default=None,
        description="Key of the encrypted, signed session cookie. Empty: `session_secret_file`, "
        "else generated into the data directory (development only). Every replica needs the "
        "same one.",
    )
    session_secret_file: Path | None = Field(
        default=None,
        description="A file holding the session secret (its text), instead of the value.",
    )
    cookie_secure: bool = Field(
        default=True,
        description="Mark the session cookie `Secure`. Browsers accept it on http://127.0.0.1 and "
        "http://localhost; set false only to try the demo over plain http on another host.",
    )
    session_minutes: int = Field(default=30, gt=0, description="A login lasts this long.")
    demo_login: bool = Field(
        default=True,
        description="Offer /mijn/inloggen with a choice of demo residents (development only).",
    )
    municipality: str = Field(
        default="",
        description="The municipality residents who log in belong to. Empty: the profile's first.",
    )
    oidc: OidcSettings = Field(default_factory=OidcSettings)
    console_redirect_uri: str = Field(
        default="",
        description="The console's OIDC return address (https://<host>/console/login/callback), "
        "at the same provider and client as the resident login. Empty: no OIDC console login.",
    )
    console_role_claim: str = Field(
        default="roles",
        description="The ID-token claim with the officer's roles; it must hold privacy_officer.",
    )


class ZakenSettings(BaseModel):
    url: str = Field(
        default="",
        description="Upstream mode: the base URL of a ZGW Zaken API (a zaakregistratiecomponent, "
        "e.g. https://open-zaak.example/zaken/api/v1). Empty: upstream mode off.",
    )
    client_id: str = Field(default="", description="The gateway's ZGW client id upstream.")
    secret: SecretStr | None = Field(
        default=None, description="The secret of that client id (signs its HS256 ZGW JWT)."
    )
    timeout_seconds: float = Field(
        default=5.0, gt=0, description="Wait this long for the upstream, then refuse (504)."
    )
    zaaktypes_file: Path | None = Field(
        default=None,
        description="The deployment's zaaktype mapping. Empty: registry/zaaktypes/<profile>.yaml.",
    )


class MetricsSettings(BaseModel):
    token: SecretStr | None = Field(
        default=None,
        description="Bearer token Prometheus sends to scrape `/metrics` (`Authorization: Bearer "
        "…`). Empty: `/metrics` answers 404. Scrape each replica on its own address; the "
        "proxy does not pass `/metrics` (docs/deploy.md).",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DOELBINDING_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    environment: Environment = Field(
        default=Environment.DEVELOPMENT,
        description="`production` refuses to start until every secret is in place and every "
        "demo shortcut is off; it lists all problems at once (`production_problems`).",
    )
    data_dir: Path = Field(
        default=Path("var"), description="Where the SQLite file and dev keys are kept."
    )
    profile: str = Field(default="zaanstad", description="The municipality profile to load.")
    pseudonym_key: SecretStr | None = Field(
        default=None,
        description=(
            "Key of the keyed HMAC that turns a resident id (BSN) into a pseudonym. Keep it "
            "outside the log store. Empty: `pseudonym_key_file`, else generated into the data "
            "directory (development only)."
        ),
    )
    pseudonym_key_file: Path | None = Field(
        default=None,
        description="A file holding the pseudonymisation key (its text), instead of the value.",
    )
    log_format: str = Field(default="json", description="`json` or `console`.")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    zaken: ZakenSettings = Field(default_factory=ZakenSettings)
    edge: EdgeSettings = Field(default_factory=EdgeSettings)

    @field_validator("audit")
    @classmethod
    def _previous_keys_parse(cls, audit: AuditSettings) -> AuditSettings:
        for text in audit.previous_keys:
            parse_vkey(text)  # ValueError names what is wrong
        return audit

    @model_validator(mode="after")
    def _production_ready(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            problems = production_problems(self)
            if problems:
                raise ValueError(PRODUCTION_NOT_READY + "".join(f"\n  - {p}" for p in problems))
        return self

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'doelbinding.db'}"

    @property
    def dev_key_file(self) -> Path:
        return self.auth.dev_key_file or self.data_dir / "dev-signing-key.pem"

    @property
    def audit_signing_key_file(self) -> Path:
        return self.audit.signing_key_file or self.data_dir / "audit-signing-key.pem"

    @property
    def audit_key_name(self) -> str:
        return self.audit.key_name or self.audit.origin

    @property
    def audit_last_checkpoint_file(self) -> Path:
        return self.audit.last_checkpoint_file or self.audit_signing_key_file.with_name(
            "audit-last-checkpoint"
        )

    @property
    def audit_refuse_rollback(self) -> bool:
        if self.audit.refuse_rollback is not None:
            return self.audit.refuse_rollback
        return self.environment is Environment.PRODUCTION

    @property
    def audit_previous_keys(self) -> list[VerifierKey]:
        return [parse_vkey(text) for text in self.audit.previous_keys]

    @property
    def dev_pseudonym_key_file(self) -> Path:
        return self.data_dir / "pseudonym.key"

    @property
    def dev_web_session_key_file(self) -> Path:
        return self.data_dir / "web-session.key"

    def pseudonym_secret(self) -> bytes | None:
        """The configured pseudonymisation key (value or file); None: the development key."""
        return _secret(self.pseudonym_key, self.pseudonym_key_file)

    def session_secret(self) -> bytes | None:
        """The configured session secret (value or file); None: the development key."""
        return _secret(self.web.session_secret, self.web.session_secret_file)


def _secret(value: SecretStr | None, path: Path | None) -> bytes | None:
    if value is not None:
        return value.get_secret_value().encode("utf-8")
    if path is not None:
        return path.read_text(encoding="utf-8").strip().encode("utf-8")
    return None


PRODUCTION_NOT_READY = "production cannot start; fix all of these:"
INIT = "create it with `doelbinding init-secrets DIR`, which prints the settings to use"


def _secret_file_problem(setting: str, path: Path, *, min_bytes: int = 0) -> str | None:
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError:
        return f"{setting}: no file at {path}; {INIT}"
    except OSError as exc:
        return f"{setting}: cannot read {path} ({exc.strerror})"
    if mode & 0o077:
        return f"{setting}: {path} is open to other users; chmod 600 {path}"
    if len(data.strip()) < min_bytes:
        return f"{setting}: {path} holds less than {min_bytes} bytes; {INIT}"
    return None


def production_problems(settings: Settings) -> list[str]:
    """Everything that keeps `settings` from running in production, each with its fix."""
    problems: list[str] = []
    if not settings.auth.jwks_url:
        problems.append(
            "DOELBINDING_AUTH__JWKS_URL is empty: set it to your identity provider's JWKS URL"
        )
    secrets = (
        ("DOELBINDING_PSEUDONYM_KEY", settings.pseudonym_key, settings.pseudonym_key_file),
        (
            "DOELBINDING_WEB__SESSION_SECRET",
            settings.web.session_secret,
            settings.web.session_secret_file,
        ),
    )
    for setting, value, path in secrets:
        if value is not None:
            if len(value.get_secret_value()) < 16:
                problems.append(f"{setting} is shorter than 16 characters; {INIT}")
        elif path is None:
            problems.append(f"{setting}_FILE (or {setting}) is not set; {INIT}")
        elif bad := _secret_file_problem(f"{setting}_FILE", path, min_bytes=16):
            problems.append(bad)
    key_file = settings.audit_signing_key_file
    if bad := _secret_file_problem("DOELBINDING_AUDIT__SIGNING_KEY_FILE", key_file):
        problems.append(bad)
    else:
        try:
            key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        except ValueError:
            key = None
        if not isinstance(key, Ed25519PrivateKey):
            problems.append(
                f"DOELBINDING_AUDIT__SIGNING_KEY_FILE: {key_file} is not an Ed25519 private key "
                f"(PEM); {INIT}"
            )
    if settings.zaken.url and settings.zaken.secret is None:
        problems.append("DOELBINDING_ZAKEN__SECRET is not set (the Zaken API's client secret)")
    if settings.web.demo_login:
        problems.append("DOELBINDING_WEB__DEMO_LOGIN must be false (the demo login lets anyone in)")
    if not settings.web.cookie_secure:
        problems.append("DOELBINDING_WEB__COOKIE_SECURE must be true (serve over HTTPS)")
    return problems


class SettingsError(Exception):
    """Settings that cannot run: the message lists every problem, one per line."""


def describe(exc: ValidationError) -> str:
    """A ValidationError of the settings as one readable message, one line per problem."""
    lines = []
    for err in exc.errors():
        msg = str(err["msg"]).removeprefix("Value error, ")
        where = "__".join(str(p) for p in err["loc"]).upper()
        lines.append(f"DOELBINDING_{where}: {msg}" if where else msg)
    return "\n".join(lines)


def get_settings() -> Settings:
    """Settings from the environment; SettingsError lists every problem at once."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(describe(exc)) from None
