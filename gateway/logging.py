"""structlog, configured once: JSON lines with a request id, and a scrubber before the renderer.

Log pseudonyms and ids, never a BSN, a name or record content. The scrubber is the safety net,
not the plan: it drops values under keys that carry personal data and masks anything that
looks like a BSN (nine digits) in the remaining strings.

One line, one write. Several processes (uvicorn workers, replicas on one host, a container
runtime's pipe) share one stdout. `print` writes the message and its newline as separate
writes, so under load another process's line lands between them and two JSON objects end up
on one line. `AtomicLineLogger` hands the kernel the whole line, newline included, in one
`write(2)`: on a pipe, POSIX makes a write of at most PIPE_BUF bytes (4096 on Linux) atomic;
on a file opened with O_APPEND (what `>>` and a runtime's log file use), the seek to the end
and the write are one atomic step. Lines longer than PIPE_BUF would lose that guarantee on a
pipe, so such a line is replaced by a short one that says so (our lines are ids and codes,
a few hundred bytes; a longer one is a bug to find, not data to keep).
"""

from __future__ import annotations

import json
import logging
import os
import re
import select
import sys
import threading
import time
import uuid
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import metrics
from gateway.clock import utc_second

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


#: The largest write POSIX guarantees atomic on a pipe (Linux: 4096 bytes).
PIPE_BUF: int = getattr(select, "PIPE_BUF", 512)


def bounded_line(message: str) -> bytes:
    """`message` and its newline as bytes, at most PIPE_BUF long: a longer line is replaced
    by one that says how long it was and keeps its start (as a JSON string)."""
    data = (message + "\n").encode("utf-8", "replace")
    if len(data) <= PIPE_BUF:
        return data
    head = message[:1024]
    while True:
        line = json.dumps(
            {"event": "log_line_too_long", "level": "error", "bytes": len(data), "head": head}
        )
        data_out = (line + "\n").encode("utf-8", "replace")
        if len(data_out) <= PIPE_BUF:
            return data_out
        head = head[: len(head) // 2]


class AtomicLineLogger:
    """A structlog logger that writes each line to the `sys.stdout` of its moment in one
    `write(2)` (see the module docstring). A stdout without a file descriptor (a test's
    capture buffer) gets the whole line in one `write` call under a lock."""

    _lock = threading.Lock()  # one per process: threads of one process take turns too

    def msg(self, message: str) -> None:
        out: TextIO = sys.stdout
        data = bounded_line(message)
        try:
            fd = out.fileno()
        except (AttributeError, OSError, ValueError):
            with self._lock:
                out.write(data.decode("utf-8"))
                out.flush()
            return
        with self._lock:
            out.flush()  # anything printed before this line stays before it
            while data:  # one call unless a signal interrupts it; <= PIPE_BUF is never split
                data = data[os.write(fd, data) :]

    log = debug = info = warn = warning = error = critical = exception = fatal = failure = msg


def _atomic_logger_factory(*_args: Any) -> AtomicLineLogger:
    return AtomicLineLogger()


def add_timestamp(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """`timestamp` as structlog's `TimeStamper(fmt="iso", utc=True)` spells it
    (`2026-11-29T07:36:16.123456Z`, no fraction in a whole second), with the date and time
    part formatted once per second (`clock.utc_second`): datetime.isoformat on every line
    cost as much as rendering the rest of it."""
    ns = time.time_ns()
    micros = (ns // 1000) % 1_000_000
    second = utc_second(ns // 1_000_000_000)
    event_dict["timestamp"] = f"{second}.{micros:06d}Z" if micros else f"{second}Z"
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
            add_timestamp,
            ScrubPersonalData(),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # Each logger writes to the sys.stdout of its moment, not of configure; a line per write.
        logger_factory=_atomic_logger_factory,
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
            route = getattr(scope.get("route"), "path", "unmatched")
            seconds = time.perf_counter() - started
            self.log.info(
                "request",
                method=scope.get("method"),
                route=route,
                status=status,
                ms=round(seconds * 1000, 2),
            )
            metrics.requested(str(scope.get("method")), route, status, seconds)
            structlog.contextvars.clear_contextvars()
