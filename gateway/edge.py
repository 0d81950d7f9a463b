"""The edge: what every request must be before the application reads it. One ASGI middleware.

    request ─▶ NUL or invalid UTF-8 in path, query or a header?  400, nothing read
            ─▶ Content-Length over the limit?                   413, nothing read
            ─▶ the app; its body is counted as it is read:      413 once over the limit
                                                                (chunked bodies too)
    answer  ◀─ Strict-Transport-Security when served over https

It runs before authentication: an unauthenticated client can neither make a worker hold a big
body nor bring a NUL to the database. JSON bodies are checked for NUL and lone surrogates by
the request models (`gateway/schemas.py`), where the field can be named.

No library does this for ASGI in a maintained way (Starlette limits only multipart parts;
uvicorn only header sizes), so it is written out here, small.

HSTS: the scheme is the one the ASGI server reports. uvicorn sets it from `X-Forwarded-Proto`
only for proxies in `--forwarded-allow-ips` (default 127.0.0.1): that is the trusted-proxy
rule, kept in one place.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a body grows past the limit; answered 413 (gateway/errors)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(413, f"the request body is larger than {limit} bytes")


def _hostile(scope: Scope) -> str | None:
    """Why the request line or headers are refused (naming the part, never its value)."""
    path: str = scope.get("path", "")
    if "\x00" in path:
        return "path"
    for name, raw in (("path", scope.get("raw_path") or b""), ("query", scope["query_string"])):
        decoded = unquote_to_bytes(raw)
        if b"\x00" in decoded:
            return name
        try:
            decoded.decode("utf-8")
        except UnicodeDecodeError:
            return name
    key: bytes
    value: bytes
    for key, value in scope.get("headers") or ():
        if b"\x00" in value or b"\x00" in key:
            return "header " + key.decode("latin-1")[:40]
    return None


async def _problem(send: Send, status: int, code: str, detail: str) -> None:
    body = json.dumps({"code": code, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class EdgeGuard:
    """Refuse hostile request lines and headers, bound the body, add HSTS over TLS."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, hsts_max_age: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.hsts = (
            f"max-age={hsts_max_age}; includeSubDomains".encode() if hsts_max_age > 0 else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._with_hsts(scope, send)
        bad = _hostile(scope)
        if bad is not None:
            await _problem(send, 400, "bad_request", f"{bad}: NUL or invalid UTF-8")
            return
        limit = self.max_body_bytes
        length = dict(scope.get("headers") or ()).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await _problem(send, 413, "too_large", f"the request body is larger than {limit} bytes")
            return
        started = False
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            # Read by code that does not pass exceptions to the error table (rare): answer
            # here if nothing was sent yet.
            if started:
                raise
            await _problem(send, 413, "too_large", f"the request body is larger than {limit} bytes")

    def _with_hsts(self, scope: Scope, send: Send) -> Send:
        if self.hsts is None or scope.get("scheme") != "https":
            return send
        hsts = self.hsts

        async def send_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"strict-transport-security", hsts),
                ]
            await send(message)

        return send_hsts
