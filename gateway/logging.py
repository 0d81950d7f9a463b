"""structlog, configured once: JSON lines with a request id, and a scrubber before the renderer.

Log pseudonyms and ids, never a BSN, a name or record content. The scrubber is the safety net,
not the plan: it drops values under keys that carry personal data and masks anything that
looks like a BSN (nine digits) in the remaining strings.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PERSONAL_KEYS = frozenset(
    {"bsn", "resident", "resident_id", "name", "naam", "content", "notes", "token", "body"}
)
_BSN = re.compile(r"\b\d{9}\b")  # a standalone nine-digit number; ids in hex are words


class ScrubPersonalData:
    """Drop personal-data keys and mask nine-digit numbers in string values."""

    def __call__(
        self, _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key in list(event_dict):
            if key in PERSONAL_KEYS:
                event_dict[key] = "[removed]"
            elif isinstance(event_dict[key], str):
                event_dict[key] = _BSN.sub("[bsn]", event_dict[key])
        return event_dict


def configure_logging(fmt: str = "json", level: int = logging.INFO) -> None:
    """Configure structlog for the process. Called by create_app and the CLI, nowhere else."""
    renderer: Any = (
        structlog.dev.ConsoleRenderer() if fmt == "console" else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            ScrubPersonalData(),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # No file argument: each logger writes to the sys.stdout of its moment, not of configure.
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=False,  # capture_logs in the tests needs this
    )


class RequestContextMiddleware:
    """Bind a request id (from `X-Request-ID` or new) and log one line per request.

    The path is logged as its route template (`/v1/residents/{resident}/records`), because the
    raw path can carry a resident id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = structlog.get_logger("doelbinding.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = raw if re.fullmatch(r"[A-Za-z0-9._-]{1,64}", raw) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            self.log.info(
                "request",
                method=scope.get("method"),
                route=getattr(route, "path", "unmatched"),
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()
