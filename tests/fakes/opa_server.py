"""A fake OPA server on 127.0.0.1: OPA's REST wire format, real OPA's evaluator behind it.

The parts of OPA's REST API (https://www.openpolicyagent.org/docs/rest-api) the gateway
uses, answered the way `opa run --server` answers them:

    GET    /health                   200 {}
    GET    /v1/policies              200 {"result": [{"id", "raw", "ast"}]}
    GET    /v1/policies/<id>         200 {"result": {"id", "raw", "ast"}} | 404
    PUT    /v1/policies/<id>         200 {} | 400 {"code": "invalid_parameter", "message",
                                                   "errors": [{"code", "message", "location"}]}
    DELETE /v1/policies/<id>         200 {} | 404 {"code": "resource_not_found", "message"}
    PUT    /v1/data/<path>           204 | 400 (body not JSON)
    DELETE /v1/data/<path>           204 | 404
    GET    /v1/data/<path>           200 {"result": …} | 200 {} when undefined
    POST   /v1/data/<path>           {"input": …} → 200 {"result": …} | 200 {} when undefined
                                     | 400 (malformed input) | 500 {"code": "internal_error"}

Evaluation is OPA's own Go engine (`opa_bindings`, opa-golib-python-bindings), so the
semantics are real OPA's; only the HTTP layer is ours. Faults for the fail-closed tests are
switches on the instance (`delay_seconds`, `fail_status`), never a different wire format.

    with FakeOpaServer() as opa:
        build_engine("opa", modules, data, opa_url=opa.url)
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from opa_bindings import (  # type: ignore[import-not-found,import-untyped,unused-ignore]
    OpaEngine,
    OpaError,
    OpaUndefinedError,
)

# "authz.rego:6: rego_parse_error: unexpected ] token" as the Go engine reports it.
_ERROR_LINE = re.compile(r"(?P<file>\S+?):(?P<row>\d+): (?P<code>rego_\w+): (?P<msg>[^\n]*)")


class FakeOpaServer:
    """OPA's REST API on 127.0.0.1 and a free port; `url` is where to reach it."""

    def __init__(self) -> None:
        self.policies: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        #: Seconds to wait before answering a decision (to test client timeouts).
        self.delay_seconds = 0.0
        #: Answer every decision with this status and OPA's error body (e.g. 500).
        self.fail_status: int | None = None
        #: `(method, path)` of every request, in order.
        self.requests: list[tuple[str, str]] = []
        self.stopped = False
        self._lock = threading.Lock()
        self._engine: OpaEngine | None = None
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeOpaServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        # Keep-alive connections outlive the listener: `stopped` makes them hang up too.
        self.stopped = True
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None

    def __enter__(self) -> FakeOpaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- state, under the lock -----------------------------------------------------------

    def _compile(self, policies: dict[str, str], data: dict[str, Any]) -> OpaEngine:
        """A real OPA engine over these policies and data; `OpaError` when they don't compile."""
        engine = OpaEngine()
        try:
            for pid, raw in sorted(policies.items()):
                engine.add_policy(pid, raw)
            if data:
                engine.add_data(data)
            # Compilation is lazy in the bindings: a query forces it.
            engine.eval_query("x = true")
        except OpaError:
            engine.close()
            raise
        return engine

    def _swap(self, engine: OpaEngine | None) -> None:
        if self._engine is not None:
            self._engine.close()
        self._engine = engine

    def put_policy(self, pid: str, raw: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            candidate = {**self.policies, pid: raw}
            try:
                engine = self._compile(candidate, self.data)
            except OpaError as exc:
                return 400, _compile_error_body(exc, pid)
            self.policies = candidate
            self._swap(engine)
        return 200, {}

    def delete_policy(self, pid: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if pid not in self.policies:
                return 404, _not_found(f'storage_not_found_error: policy id "{pid}"')
            del self.policies[pid]
            self._swap(None)
        return 200, {}

    def put_data(self, path: list[str], value: Any) -> None:
        with self._lock:
            node = self.data
            for key in path[:-1]:
                nxt = node.get(key)
                if not isinstance(nxt, dict):
                    nxt = node[key] = {}
                node = nxt
            if path:
                node[path[-1]] = value
            else:
                self.data = value if isinstance(value, dict) else {}
            self._swap(None)

    def delete_data(self, path: list[str]) -> bool:
        with self._lock:
            node: Any = self.data
            for key in path[:-1]:
                node = node.get(key) if isinstance(node, dict) else None
            if not path or not isinstance(node, dict) or path[-1] not in node:
                return False
            del node[path[-1]]
            self._swap(None)
            return True

    def query(self, path: list[str], input_doc: Any) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self._engine is None:
                try:
                    self._engine = self._compile(self.policies, self.data)
                except OpaError as exc:
                    return 500, {"code": "internal_error", "message": exc.message}
            try:
                value = self._engine.eval_document(".".join(path), input_doc)
            except OpaUndefinedError:
                return 200, {}
            except OpaError as exc:
                return 500, {"code": "internal_error", "message": exc.message}
        return 200, {"result": value}


def _not_found(message: str) -> dict[str, Any]:
    return {"code": "resource_not_found", "message": message}


def _compile_error_body(exc: OpaError, pid: str) -> dict[str, Any]:
    errors = [
        {
            "code": m["code"],
            "message": m["msg"],
            "location": {"file": m["file"], "row": int(m["row"]), "col": 1},
        }
        for m in _ERROR_LINE.finditer(exc.message)
    ] or [{"code": "rego_compile_error", "message": exc.message, "location": {"file": pid}}]
    return {
        "code": "invalid_parameter",
        "message": "error(s) occurred while compiling module(s)",
        "errors": errors,
    }


def _handler(opa: FakeOpaServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without this, Nagle plus delayed ACKs
        # add ~40 ms to every keep-alive answer.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test output is not an access log."""

        def _send(self, status: int, body: dict[str, Any] | None) -> None:
            if opa.stopped:
                return  # hang up without an answer, as a dead server would
            raw = b"" if body is None else json.dumps(body).encode("utf-8")
            try:
                self.send_response(status)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _route(self) -> tuple[str, list[str]]:
            if opa.stopped:
                self.close_connection = True
                return "", []
            path = self.path.split("?", 1)[0]
            opa.requests.append((self.command, path))
            for api in ("policies", "data"):
                prefix = f"/v1/{api}"
                if path == prefix or path.startswith(prefix + "/"):
                    rest = path[len(prefix) :].strip("/")
                    return api, [p for p in rest.split("/") if p]
            return path, []

        def do_GET(self) -> None:
            api, parts = self._route()
            if api == "/health":
                self._send(200, {})
            elif api == "policies" and not parts:
                with opa._lock:
                    result = [_policy(pid, raw) for pid, raw in sorted(opa.policies.items())]
                self._send(200, {"result": result})
            elif api == "policies":
                pid = "/".join(parts)
                raw = opa.policies.get(pid)
                if raw is None:
                    self._send(404, _not_found(f'storage_not_found_error: policy id "{pid}"'))
                else:
                    self._send(200, {"result": _policy(pid, raw)})
            elif api == "data":
                self._send(*opa.query(parts, None))
            else:
                self._send(404, _not_found("not found"))

        def do_POST(self) -> None:
            api, parts = self._route()
            if api != "data":
                self._send(405, {"code": "invalid_parameter", "message": "method not allowed"})
                return
            raw = self._body()
            try:
                doc = json.loads(raw) if raw.strip() else {}
            except ValueError as exc:
                self._send(400, _malformed(exc))
                return
            if not isinstance(doc, dict):
                self._send(400, _malformed(TypeError("expected an object")))
                return
            if opa.delay_seconds:
                time.sleep(opa.delay_seconds)
            if opa.fail_status is not None:
                self._send(opa.fail_status, {"code": "internal_error", "message": "fault"})
                return
            self._send(*opa.query(parts, doc.get("input")))

        def do_PUT(self) -> None:
            api, parts = self._route()
            raw = self._body()
            if api == "policies" and parts:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    self._send(400, _malformed(exc))
                    return
                self._send(*opa.put_policy("/".join(parts), text))
            elif api == "data":
                try:
                    value = json.loads(raw)
                except ValueError as exc:
                    self._send(400, _malformed(exc))
                    return
                opa.put_data(parts, value)
                self._send(204, None)
            else:
                self._send(404, _not_found("not found"))

        def do_DELETE(self) -> None:
            api, parts = self._route()
            if api == "policies" and parts:
                self._send(*opa.delete_policy("/".join(parts)))
            elif api == "data" and opa.delete_data(parts):
                self._send(204, None)
            else:
                self._send(404, _not_found("storage_not_found_error: document missing"))

    return Handler


def _policy(pid: str, raw: str) -> dict[str, Any]:
    # OPA returns the parsed AST too; nothing here reads it, so only its package is given.
    found = re.search(r"^package\s+(\S+)", raw, re.MULTILINE)
    package = found.group(1).split(".") if found else []
    path = [{"type": "var", "value": "data"}] + [{"type": "string", "value": p} for p in package]
    return {"id": pid, "raw": raw, "ast": {"package": {"path": path}}}


def _malformed(exc: Exception) -> dict[str, Any]:
    return {
        "code": "invalid_parameter",
        "message": f"body contains malformed input document: {type(exc).__name__}",
    }
