"""THE settings object. Built once by `get_settings()` or by a test, then passed down.

Every field reads from the environment with the prefix `DOELBINDING_`; nested sections use a
double underscore: `DOELBINDING_DATABASE__URL`, `DOELBINDING_AUTH__JWKS_URL`. Domain packages
never see this object: the gateway hands them plain values.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from limits import parse_many
from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
        "`audit-signing-key.pem` in the data directory, generated on first use (development).",
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
        description="Key of the encrypted, signed session cookie. Empty: generated into the data "
        "directory (development only). Every replica needs the same one.",
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
        description="`production` refuses the dev key and a generated pseudonymisation key.",
    )
    data_dir: Path = Field(
        default=Path("var"), description="Where the SQLite file and dev keys are kept."
    )
    profile: str = Field(default="zaanstad", description="The municipality profile to load.")
    pseudonym_key: SecretStr | None = Field(
        default=None,
        description=(
            "Key of the keyed HMAC that turns a resident id (BSN) into a pseudonym. Keep it "
            "outside the log store. Empty: generated into the data directory (development only)."
        ),
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

    @model_validator(mode="after")
    def _refuse_demo_secrets_in_production(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            missing = []
            if not self.auth.jwks_url:
                missing.append("DOELBINDING_AUTH__JWKS_URL")
            if self.pseudonym_key is None:
                missing.append("DOELBINDING_PSEUDONYM_KEY")
            if self.zaken.url and self.zaken.secret is None:
                missing.append("DOELBINDING_ZAKEN__SECRET")
            if missing:
                raise ValueError(f"production needs {', '.join(missing)}")
        return self

    @model_validator(mode="after")
    def _refuse_demo_login_in_production(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            if self.web.demo_login:
                raise ValueError("production needs DOELBINDING_WEB__DEMO_LOGIN=false")
            if self.web.session_secret is None:
                raise ValueError("production needs DOELBINDING_WEB__SESSION_SECRET")
            if not self.web.cookie_secure:
                raise ValueError("production needs Secure cookies (DOELBINDING_WEB__COOKIE_SECURE)")
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
    def pseudonym_key_file(self) -> Path:
        return self.data_dir / "pseudonym.key"

    @property
    def web_session_key_file(self) -> Path:
        return self.data_dir / "web-session.key"


def get_settings() -> Settings:
    """Settings from the environment."""
    return Settings()
