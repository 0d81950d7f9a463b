"""Bearer-token authentication: who is asking, as a `Principal`.

Production verifies tokens against the identity provider's JWKS (RS256 or ES256); development
verifies them against a local P-256 dev key, which `issue_dev_token` also signs with. Both go
through one `TokenVerifier`, built once in `create_app`. See docs/auth.md.

Errors::

    AuthError(reason, claim)        the request is not authenticated: 401
     └── AuthUnavailable            the JWKS could not be fetched (still 401, see docs/auth.md)

`AuthError.reason` is a fixed code (`AuthFailure`); it never echoes the token or claim values.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from jwt.exceptions import InvalidSubjectError
from jwt.utils import base64url_decode

RESIDENT_ROLE = "resident"
JWKS_ALGORITHMS = ("RS256", "ES256")
DEV_ALGORITHM = "ES256"


class AuthFailure(StrEnum):
    """Why a request is not authenticated. Stable codes: they reach logs and 401 bodies."""

    MISSING_TOKEN = "missing_token"  # noqa: S105  # a reason code, not a secret
    MALFORMED_HEADER = "malformed_header"
    MALFORMED_TOKEN = "malformed_token"  # noqa: S105  # a reason code, not a secret
    ALGORITHM_NOT_ALLOWED = "algorithm_not_allowed"
    UNKNOWN_KEY = "unknown_key"
    UNUSABLE_KEY = "unusable_key"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    MISSING_CLAIM = "missing_claim"
    INVALID_CLAIM = "invalid_claim"
    INVALID_TOKEN = "invalid_token"  # noqa: S105  # a reason code, not a secret
    JWKS_UNAVAILABLE = "jwks_unavailable"


class AuthError(Exception):
    """The bearer token is missing or not acceptable. Carries a code and at most a claim *name*."""

    def __init__(self, reason: AuthFailure, claim: str | None = None) -> None:
        self.reason = reason
        self.claim = claim
        super().__init__(f"{reason}: {claim}" if claim else str(reason))


class AuthUnavailable(AuthError):
    """The identity provider's JWKS could not be fetched; the token was not judged at all."""

    def __init__(self) -> None:
        super().__init__(AuthFailure.JWKS_UNAVAILABLE)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, from a verified token's claims."""

    sub: str
    roles: tuple[str, ...]
    organisation: str
    teams: tuple[str, ...]
    municipality: str

    @property
    def is_resident(self) -> bool:
        return RESIDENT_ROLE in self.roles


# --- verification --------------------------------------------------------------------------

# Subclasses before their bases: the first match wins.
_PYJWT_FAILURES: tuple[tuple[type[jwt.PyJWTError], AuthFailure], ...] = (
    (jwt.ExpiredSignatureError, AuthFailure.EXPIRED),
    (jwt.ImmatureSignatureError, AuthFailure.NOT_YET_VALID),
    (jwt.InvalidIssuerError, AuthFailure.WRONG_ISSUER),
    (jwt.InvalidAudienceError, AuthFailure.WRONG_AUDIENCE),
    (jwt.InvalidAlgorithmError, AuthFailure.ALGORITHM_NOT_ALLOWED),
    (jwt.InvalidSignatureError, AuthFailure.BAD_SIGNATURE),
    (jwt.DecodeError, AuthFailure.MALFORMED_TOKEN),
    (jwt.InvalidKeyError, AuthFailure.UNUSABLE_KEY),
)


def _auth_error_from(exc: jwt.PyJWTError) -> AuthError:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return AuthError(AuthFailure.MISSING_CLAIM, exc.claim)
    if isinstance(exc, InvalidSubjectError):
        return AuthError(AuthFailure.INVALID_CLAIM, "sub")
    for kind, failure in _PYJWT_FAILURES:
        if isinstance(exc, kind):
            return AuthError(failure)
    return AuthError(AuthFailure.INVALID_TOKEN)


def _str_claim(claims: Mapping[str, Any], name: str, *, default: str | None = None) -> str:
    value = claims.get(name, default)
    if value is None:
        raise AuthError(AuthFailure.MISSING_CLAIM, name)
    if not isinstance(value, str) or (default is None and not value):
        raise AuthError(AuthFailure.INVALID_CLAIM, name)
    return value


def _str_list_claim(claims: Mapping[str, Any], name: str, *, required: bool) -> tuple[str, ...]:
    value = claims.get(name)
    if value is None:
        if required:
            raise AuthError(AuthFailure.MISSING_CLAIM, name)
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise AuthError(AuthFailure.INVALID_CLAIM, name)
    if required and not value:
        raise AuthError(AuthFailure.INVALID_CLAIM, name)
    return tuple(value)


def _check_numeric_dates(claims: Mapping[str, Any]) -> None:
    """RFC 7519 section 2: `exp`, `nbf` and `iat` are NumericDates, JSON numbers. pyjwt reads
    them with `int()`, so a string of digits would pass; it is refused here."""
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise AuthError(AuthFailure.INVALID_CLAIM, name)


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """The `Principal` of already-verified claims; `AuthError` when one is missing or mistyped."""
    return Principal(
        sub=_str_claim(claims, "sub"),
        roles=_str_list_claim(claims, "roles", required=True),
        organisation=_str_claim(claims, "org", default=""),
        teams=_str_list_claim(claims, "teams", required=False),
        municipality=_str_claim(claims, "municipality"),
    )


def _unverified_kid(token: str) -> str:
    """The `kid` of a token's header, read without verifying anything: it only picks the key.

    Only the header segment is decoded; `jwt.get_unverified_header` would parse (and
    character-check) the whole token a second time: about a third of an uncached verify.
    """
    head, dot, _rest = token.partition(".")
    try:
        header = json.loads(base64url_decode(head)) if dot else None
    except (ValueError, TypeError) as exc:  # binascii.Error and JSONDecodeError are ValueErrors
        raise AuthError(AuthFailure.MALFORMED_TOKEN) from exc
    if not isinstance(header, dict):
        raise AuthError(AuthFailure.MALFORMED_TOKEN)
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise AuthError(AuthFailure.UNKNOWN_KEY)
    return kid


# Resolves the verification key for a token: a PEM-loaded key, or a JWK from the JWKS.
_KeyResolver = Callable[[str], "jwt.PyJWK | ec.EllipticCurvePublicKey"]


class TokenVerifier:
    """Verifies bearer tokens and turns them into `Principal`s. Thread-safe; build it once.

    Verified tokens are kept in a small LRU cache keyed by the raw token, until the earlier of
    their `exp` and `cache_seconds` after verification (see docs/auth.md for the trade-off).
    `cache_size=0` turns the cache off. `leeway_seconds` absorbs clock skew with the provider
    for `exp`, `nbf` and `iat` (a fresh token's `iat` is "in the future" on a slow clock).
    `clock` drives the cache only; pyjwt reads the system clock.
    """

    def __init__(
        self,
        resolve_key: _KeyResolver,
        *,
        issuer: str,
        audience: str,
        algorithms: Sequence[str],
        leeway_seconds: float = 30.0,
        cache_size: int = 1024,
        cache_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._resolve_key = resolve_key
        self._issuer = issuer
        self._audience = audience
        self._algorithms = list(algorithms)
        self._leeway = leeway_seconds
        self._cache_size = cache_size
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_jwks(
        cls,
        jwks_url: str,
        issuer: str,
        audience: str,
        *,
        jwks_lifespan_seconds: float = 300.0,
        refresh_cooldown_seconds: float = 30.0,
        timeout_seconds: float = 5.0,
        **options: Any,
    ) -> TokenVerifier:
        """A verifier for an OIDC provider's keys. Nothing is fetched until the first `verify`.

        `PyJWKClient` keeps the JWK set for `jwks_lifespan_seconds`; an unknown `kid` forces
        one refetch, at most once per `refresh_cooldown_seconds` (key rotation).
        """
        client = jwt.PyJWKClient(
            jwks_url,
            cache_jwk_set=True,
            lifespan=jwks_lifespan_seconds,
            cooldown_duration=refresh_cooldown_seconds,
            timeout=timeout_seconds,
        )

        def resolve(token: str) -> jwt.PyJWK:
            kid = _unverified_kid(token)
            # Fail closed: an unreachable or broken JWKS authenticates nobody. `fetch_data`
            # lets a non-JSON body (ValueError) and a read error (OSError) through unwrapped.
            # The first call only reads the cached set (or fetches it once), so that "the set
            # is unusable" and "this kid is not in it" stay two different answers.
            try:
                client.get_signing_keys()
            except (jwt.PyJWTError, ValueError, OSError) as exc:
                raise AuthUnavailable from exc
            try:
                return client.get_signing_key(kid)  # an unknown kid refetches once (rotation)
            except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError, ValueError, OSError) as exc:
                raise AuthUnavailable from exc
            except jwt.PyJWKClientError as exc:
                raise AuthError(AuthFailure.UNKNOWN_KEY) from exc

        return cls(resolve, issuer=issuer, audience=audience, algorithms=JWKS_ALGORITHMS, **options)

    @classmethod
    def from_public_key(
        cls,
        public_key: ec.EllipticCurvePublicKey,
        issuer: str,
        audience: str,
        **options: Any,
    ) -> TokenVerifier:
        """A verifier for tokens signed by the local dev key (ES256 only). Like a JWKS, it
        wants the token to name its key: `kid` must be the key's thumbprint (`key_id`)."""
        expected = key_id(public_key)

        def resolve(token: str) -> ec.EllipticCurvePublicKey:
            if _unverified_kid(token) != expected:
                raise AuthError(AuthFailure.UNKNOWN_KEY)
            return public_key

        return cls(
            resolve,
            issuer=issuer,
            audience=audience,
            algorithms=(DEV_ALGORITHM,),
            **options,
        )

    def verify(self, token: str) -> Principal:
        """The `Principal` of a valid token; `AuthError` for anything else."""
        now = self._clock()
        cached = self._cached(token, now)
        if cached is not None:
            return cached
        key = self._resolve_key(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={
                    "require": ["exp", "iss", "aud", "sub"],
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.PyJWTError as exc:
            raise _auth_error_from(exc) from exc
        _check_numeric_dates(claims)
        principal = principal_from_claims(claims)
        self._remember(token, principal, min(float(claims["exp"]), now + self._cache_seconds))
        return principal

    def cached(self, token: str) -> Principal | None:
        """The `Principal` `verify` would answer from its cache for `token` (verified before,
        not yet past its `exp` nor `cache_seconds`), or None: then call `verify`. It checks no
        signature and fetches no key, so it may run on the event loop; the answer is exactly
        the cached one `verify` gives, so the cache's trade-off (docs/auth.md) is unchanged."""
        return self._cached(token, self._clock())

    def _cached(self, token: str, now: float) -> Principal | None:
        if not self._cache_size:
            return None
        with self._lock:
            hit = self._cache.get(token)
            if hit is None:
                return None
            principal, until = hit
            if now >= until:
                del self._cache[token]
                return None
            self._cache.move_to_end(token)
            return principal

    def _remember(self, token: str, principal: Principal, until: float) -> None:
        if not self._cache_size:
            return
        with self._lock:
            self._cache[token] = (principal, until)
            self._cache.move_to_end(token)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)


# --- the Authorization header ------------------------------------------------------------------

# RFC 6750 section 2.1: credentials = "Bearer" 1*SP b64token
_BEARER = re.compile(r"Bearer +([A-Za-z0-9\-._~+/]+=*)", re.IGNORECASE)


def bearer_token(authorization_header: str | None) -> str:
    """The token of an `Authorization: Bearer …` header; `AuthError` when missing or malformed."""
    if authorization_header is None or not authorization_header.strip():
        raise AuthError(AuthFailure.MISSING_TOKEN)
    match = _BEARER.fullmatch(authorization_header.strip())
    if match is None:
        raise AuthError(AuthFailure.MALFORMED_HEADER)
    return match.group(1)


# --- the local dev key -------------------------------------------------------------------------


def load_or_create_dev_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The P-256 dev signing key at `path`; generated (PEM, mode 0600) on first use.

    Concurrent first use is safe: each caller writes a complete temp file and hard-links it into
    place, which fails if the key already exists; the losers then read the winner's key, so
    every process ends up with the same key.
    """
    try:
        return _read_dev_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic "create if absent", unlike os.replace
        except FileExistsError:
            return _read_dev_key(path)
    finally:
        tmp.unlink(missing_ok=True)
    return key


def _read_dev_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"{path} is not a P-256 private key")
    return key


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key: the `kid`."""
    jwk = ECAlgorithm.to_jwk(public_key, as_dict=True)
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_dev_token(
    key: ec.EllipticCurvePrivateKey,
    *,
    issuer: str,
    audience: str,
    sub: str,
    roles: Sequence[str],
    municipality: str,
    organisation: str = "",
    teams: Sequence[str] = (),
    ttl_seconds: int = 8 * 3600,
    now: datetime | None = None,
) -> str:
    """An ES256 token signed by the dev key, with the claims `TokenVerifier` requires."""
    if not roles:
        raise ValueError("a token needs at least one role")
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    issued = now or datetime.now(UTC)
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": sub,
        "roles": list(roles),
        "municipality": municipality,
        "org": organisation,
        "teams": list(teams),
        "iat": issued,
        "exp": issued + timedelta(seconds=ttl_seconds),
    }
    return jwt.encode(
        claims, key, algorithm=DEV_ALGORITHM, headers={"kid": key_id(key.public_key())}
    )
