"""A fake OpenID provider on 127.0.0.1 that speaks the OIDC wire format, for the PKCE login.

It serves what a real provider (a DigiD broker, Keycloak, …) serves, no more:

- `/.well-known/openid-configuration`  the discovery document (issuer, endpoints, jwks_uri,
  `code_challenge_methods_supported: ["S256"]`)
- `/authorize`   checks client_id, redirect_uri (one of the client's registered ones),
                 response_type=code, S256 challenge; "logs in" `subject` at once (no form) and
                 302s back to that redirect_uri with `code` and `state`
- `/token`       POST form: grant_type, code (single use), redirect_uri, client_id and the
                 `code_verifier`, which must hash to the challenge; answers an RS256 ID token
                 with iss, aud, sub, the `bsn` claim, nonce, iat, exp, and `claims` (e.g. an
                 officer's `roles`)
- `/jwks`        the public key

`requests` records every call, so a test can assert what the gateway sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.jwks_server import SigningKey


class OidcProvider:
    def __init__(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        subject: str,
        also_redirect_to: tuple[str, ...] = (),
        claims: dict[str, Any] | None = None,
    ) -> None:
        self.client_id = client_id
        self.redirect_uris = (redirect_uri, *also_redirect_to)  # registered for the client
        self.subject = subject
        self.claims = dict(claims or {})
        self.key = SigningKey.rsa("fake-oidc-1")
        self.codes: dict[str, dict[str, str]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def issuer(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> OidcProvider:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic"],
        }

    def _authorize(self, q: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any] | None]:
        bad = (
            q.get("response_type") != "code"
            or q.get("client_id") != self.client_id
            or q.get("redirect_uri") not in self.redirect_uris
            or q.get("code_challenge_method") != "S256"
            or not q.get("code_challenge")
            or "openid" not in q.get("scope", "").split()
        )
        if bad:
            return 400, {}, {"error": "invalid_request"}
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "challenge": q["code_challenge"],
            "nonce": q.get("nonce", ""),
            "redirect_uri": q["redirect_uri"],
        }
        back = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}"
        return 302, {"Location": back}, None

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        pending = self.codes.pop(form.get("code", ""), None)  # single use
        if (
            pending is None
            or form.get("grant_type") != "authorization_code"
            or form.get("client_id") != self.client_id
            or form.get("redirect_uri") != pending["redirect_uri"]
        ):
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        if not (43 <= len(verifier) <= 128) or challenge != pending["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        now = int(time.time())
        id_token = self.key.sign(
            {
                "iss": self.issuer,
                "aud": self.client_id,
                "sub": self.subject,
                "bsn": self.subject,
                "nonce": pending["nonce"],
                "iat": now,
                "exp": now + 300,
                **self.claims,
            }
        )
        return 200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                     "expires_in": 300, "id_token": id_token}  # fmt: skip

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(HTTPStatus(status))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                provider.requests.append(("GET", url.path, q))
                if url.path == "/.well-known/openid-configuration":
                    self._send(200, provider.discovery())
                elif url.path == "/jwks":
                    self._send(200, {"keys": [provider.key.jwk]})
                elif url.path == "/authorize":
                    status, headers, body = provider._authorize(q)
                    self._send(status, body, headers)
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                provider.requests.append(("POST", url.path, form))
                if url.path == "/token":
                    status, body = provider._token(form)
                    self._send(status, body)
                else:
                    self._send(404, {"error": "not_found"})

        return Handler
