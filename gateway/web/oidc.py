"""Resident login through an OpenID provider: authorization code flow with PKCE (RFC 7636).

Built for DigiD-style brokers: the provider authenticates the resident and returns an ID token
whose `resident_claim` (often `sub`, sometimes `bsn`) holds the BSN. The flow:

    /mijn/inloggen/oidc   state, nonce and a code_verifier go into the sealed session cookie;
                          303 to the provider's authorization_endpoint with
                          code_challenge = BASE64URL(SHA-256(code_verifier)), method S256
    provider              the resident logs in; 302 back to redirect_uri?code=…&state=…
    /mijn/inloggen/terug  state must match; POST code + code_verifier to the token_endpoint;
                          the ID token is verified against the provider's JWKS (signature,
                          iss, aud = client_id, exp, nonce); the session becomes the resident's

Errors::

    OidcError(reason)     the login failed; `reason` is a fixed code, never a token or claim value
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from gateway.settings import OidcSettings

_ALGORITHMS = ["RS256", "ES256", "PS256"]


class OidcError(Exception):
    """A login through the provider failed. `reason` is a stable code."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def code_challenge(verifier: str) -> str:
    """RFC 7636 §4.2, S256."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class LoginStart:
    url: str
    state: dict[str, str]


class OidcClient:
    """One provider. Fetches the discovery document on first use and keeps it an hour."""

    def __init__(self, settings: OidcSettings) -> None:
        self._s = settings
        self._lock = threading.Lock()
        self._discovery: dict[str, Any] | None = None
        self._fetched_at = 0.0
        self._jwks: jwt.PyJWKClient | None = None

    @property
    def enabled(self) -> bool:
        return bool(self._s.issuer and self._s.client_id and self._s.redirect_uri)

    def discovery(self) -> dict[str, Any]:
        with self._lock:
            if self._discovery is None or time.monotonic() - self._fetched_at > 3600:
                url = self._s.discovery_url or (
                    self._s.issuer.rstrip("/") + "/.well-known/openid-configuration"
                )
                try:
                    resp = httpx.get(url, timeout=self._s.timeout_seconds)
                    resp.raise_for_status()
                    doc = resp.json()
                except (httpx.HTTPError, ValueError) as exc:
                    raise OidcError("discovery_unavailable") from exc
                if not isinstance(doc, dict) or doc.get("issuer") != self._s.issuer:
                    raise OidcError("discovery_issuer_mismatch")
                for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(doc.get(key), str):
                        raise OidcError("discovery_incomplete")
                self._discovery, self._fetched_at = doc, time.monotonic()
                self._jwks = jwt.PyJWKClient(doc["jwks_uri"], timeout=int(self._s.timeout_seconds))
            return self._discovery

    def start(self) -> LoginStart:
        """The provider URL to send the resident to, and what the session must remember."""
        doc = self.discovery()
        state = {
            "state": secrets.token_urlsafe(24),
            "nonce": secrets.token_urlsafe(24),
            "code_verifier": secrets.token_urlsafe(48),  # 64 characters, RFC 7636 §4.1
        }
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._s.client_id,
                "redirect_uri": self._s.redirect_uri,
                "scope": self._s.scopes,
                "state": state["state"],
                "nonce": state["nonce"],
                "code_challenge": code_challenge(state["code_verifier"]),
                "code_challenge_method": "S256",
            }
        )
        sep = "&" if "?" in doc["authorization_endpoint"] else "?"
        return LoginStart(url=f"{doc['authorization_endpoint']}{sep}{query}", state=state)

    def finish(self, pending: dict[str, str] | None, code: str | None, state: str | None) -> str:
        """The resident's id (BSN) after the provider sent them back; `OidcError` otherwise."""
        if not pending or not state or not secrets.compare_digest(state, pending["state"]):
            raise OidcError("state_mismatch")
        if not code:
            raise OidcError("no_code")
        doc = self.discovery()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self._s.redirect_uri,
            "client_id": self._s.client_id,
            "code_verifier": pending["code_verifier"],
        }
        auth = None
        if self._s.client_secret is not None:
            auth = (self._s.client_id, self._s.client_secret.get_secret_value())
        try:
            resp = httpx.post(
                doc["token_endpoint"], data=form, auth=auth, timeout=self._s.timeout_seconds
            )
        except httpx.HTTPError as exc:
            raise OidcError("token_endpoint_unavailable") from exc
        if resp.status_code != 200:
            raise OidcError("token_refused")
        try:
            id_token = resp.json()["id_token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise OidcError("no_id_token") from exc
        claims = self._verify(id_token)
        if not secrets.compare_digest(str(claims.get("nonce", "")), pending["nonce"]):
            raise OidcError("nonce_mismatch")
        resident = claims.get(self._s.resident_claim)
        if not isinstance(resident, str) or not resident:
            raise OidcError("no_resident_claim")
        return resident

    def _verify(self, id_token: str) -> dict[str, Any]:
        assert self._jwks is not None  # set by discovery()
        try:
            key = self._jwks.get_signing_key_from_jwt(id_token)
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=_ALGORITHMS,
                audience=self._s.client_id,
                issuer=self._s.issuer,
                leeway=30,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except (jwt.PyJWTError, ValueError, OSError) as exc:
            raise OidcError("id_token_invalid") from exc
        return claims
