"""A fake OIDC provider's JWKS endpoint: a real HTTP server on 127.0.0.1, ephemeral port.

It serves `{"keys": [...]}` exactly as a provider publishes at its `jwks_uri` (public JWKs with
`kid`, `use: sig`, `alg`), and `SigningKey` signs tokens with the matching private keys, as the
provider would. Swap the served keys with `serve(...)` to simulate key rotation; `fail_with`
makes the endpoint answer an error or a broken document.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

JWKS_PATH = "/protocol/openid-connect/certs"


@dataclass(frozen=True)
class SigningKey:
    """A provider's signing key: the private half signs, `jwk` is what the JWKS publishes."""

    kid: str
    alg: str
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = field(repr=False)

    @classmethod
    def rsa(cls, kid: str) -> SigningKey:
        return cls(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str) -> SigningKey:
        return cls(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    @property
    def jwk(self) -> dict[str, Any]:
        public = self.private_key.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            data = RSAAlgorithm.to_jwk(public, as_dict=True)
        else:
            data = ECAlgorithm.to_jwk(public, as_dict=True)
        return {**data, "kid": self.kid, "use": "sig", "alg": self.alg}

    def sign(self, claims: dict[str, Any], **headers: Any) -> str:
        return jwt.encode(
            claims, self.private_key, algorithm=self.alg, headers={"kid": self.kid, **headers}
        )


class JwksServer:
    """`with JwksServer(key_a, key_b) as server:` serves their JWKS at `server.url`."""

    def __init__(self, *keys: SigningKey) -> None:
        self._lock = threading.Lock()
        self._body = b""
        self._failure: tuple[int, bytes] | None = None
        self.requests = 0
        self.serve(*keys)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}{JWKS_PATH}"

    def serve(self, *keys: SigningKey) -> None:
        """From now on, publish exactly these keys."""
        body = json.dumps({"keys": [k.jwk for k in keys]}).encode()
        with self._lock:
            self._body = body

    def fail_with(self, status: int | None, body: bytes = b"{}") -> None:
        """Answer every request with this status and body (None: serve the keys again)."""
        with self._lock:
            self._failure = None if status is None else (status, body)

    def _respond(self) -> tuple[int, bytes]:
        with self._lock:
            self.requests += 1
            if self._failure is not None:
                return self._failure
            return HTTPStatus.OK, self._body

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status: int
                if self.path != JWKS_PATH:
                    status, body = HTTPStatus.NOT_FOUND, b"{}"
                else:
                    status, body = server._respond()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        return Handler

    def __enter__(self) -> JwksServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
