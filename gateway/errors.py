"""The one table that turns errors into HTTP answers. Routes never build error responses.

Gateway errors (this module) plus the domain packages' errors map to a status here:

    GatewayError
    ├── MissingActivity        400  no X-Processing-Activity header
    ├── UnknownActivity        400  an activity the register does not know
    ├── InvalidField           422  a request field names something the register refuses
    ├── InvalidHeader          422  a header out of its bounds (a break-glass justification)
    ├── NotFound               404
    └── Denied                 403  the policy refused; body carries its reasons, no content

    AuthError                  401
    RecordNotFound, ConsentNotFound (incl. ConsentNotYours)   404
    ConsentValidationError     422  naming the field
    RecorderNotAllowed         403  only wijkteam roles record a consent on a resident's behalf
    ExceptionNotFound          404  (four-eyes exceptions, exceptions)
    ExceptionValidationError   422  naming the field
    ExceptionNotAllowed        403  this role may not request, approve or revoke
    FourEyesViolation          403  `four_eyes`: the approver is the requester or the grantee
    ExceptionStateConflict     409  approve what is not pending, revoke what is over
    QuestionNotFound           404  (residents' questions)
    QuestionValidationError    422  naming the field
    InvestigationNotFound      404  (the register of investigations)
    InvestigationStateConflict 409  open one that runs, close one that is closed
    VersionNotFound            404  (policy versions, lifecycle)
    InvalidVersion             422  naming the field (modules or data)
    PatchRefused               422  a register patch refused: one entry per reason, plain words
    NotPrivacyOfficer          403  only privacy officers manage policy versions
    PolicyFourEyes             403  `four_eyes`: the approver is the requester
    LifecycleConflict          409  `lifecycle`: e.g. activating what is untested or unapproved
    ZaakNotFound, UnknownRoute 404  (the upstream case system, zaken/)
    UpstreamRejected           422  the upstream refused the body: its field names only
    UpstreamFailed             502  the upstream failed: audited as a refusal, no data
    UpstreamTimeout            504  the upstream did not answer in time: likewise
    AuditEntryInvalid          422  a value the audit trail cannot hold (too long, NUL, lone
                                    surrogate): the request's fault, refused before any batch
    BodyTooLarge               413  the body grew past `edge.max_body_bytes` while it was read
    RateLimited                429  with Retry-After (gateway/ratelimit.py)
    RequestValidationError     422  FastAPI's own, re-shaped: field and message, never the input
    PolicyError, AuditError, SQLAlchemyError                  503  fail closed: no data

Messages never echo personal data (no BSNs, names or content).
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from audit import AuditEntryInvalid, AuditError
from consent import ConsentNotFound, ConsentValidationError, RecorderNotAllowed
from exceptions import (
    ExceptionError,
    ExceptionNotAllowed,
    ExceptionNotFound,
    ExceptionStateConflict,
    ExceptionValidationError,
    FourEyesViolation,
)
from gateway import metrics
from gateway.auth import AuthError, AuthFailure
from gateway.edge import BodyTooLarge
from investigations import (
    InvestigationError,
    InvestigationNotFound,
    InvestigationStateConflict,
)
from lifecycle import (
    InvalidVersion,
    LifecycleConflict,
    NotPrivacyOfficer,
    PolicyFourEyes,
    PolicyVersionError,
    VersionNotFound,
)
from lifecycle.register_patch import PatchRefused
from policy import Decision, PolicyError
from questions import QuestionError, QuestionNotFound, QuestionValidationError
from records import RecordNotFound
from zaken import (
    UnknownRoute,
    UpstreamFailed,
    UpstreamRejected,
    UpstreamTimeout,
    ZaakNotFound,
    ZakenError,
)

log = structlog.get_logger("doelbinding.errors")


class GatewayError(Exception):
    """Base class of the gateway's own errors."""


class MissingActivity(GatewayError):
    def __init__(self) -> None:
        super().__init__(
            "the X-Processing-Activity header is required: name the processing activity "
            "(verwerkingsactiviteit) this request is part of, e.g. wmo-support"
        )


class UnknownActivity(GatewayError):
    def __init__(self, activity: str, known: list[str]) -> None:
        self.activity = activity
        super().__init__(
            f"unknown processing activity {activity[:80]!r}; the register knows: {', '.join(known)}"
        )


class InvalidField(GatewayError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class InvalidHeader(GatewayError):
    def __init__(self, header: str, message: str) -> None:
        self.header = header
        self.message = message
        super().__init__(f"{header}: {message}")


class NotFound(GatewayError):
    pass


class RateLimited(GatewayError):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many decisions for this subject; retry after {retry_after} s")


class Denied(GatewayError):
    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        super().__init__("denied by policy: " + ", ".join(decision.reason_codes))


def _problem(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"code": code, "detail": detail, **extra}, status_code=status)


def _unprocessable(field: str, message: str) -> JSONResponse:
    # The same shape FastAPI uses for its own validation errors.
    return JSONResponse(
        {"detail": [{"loc": ["body", field], "msg": message, "type": "value_error"}]},
        status_code=422,
    )


def _text(part: Any, limit: int = 64) -> str | int:
    # A location can hold a client's dict key: bounded, and valid text.
    if isinstance(part, int):
        return part
    return str(part)[:limit].encode("utf-8", "replace").decode("utf-8")


def _validation_response(exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422, without `input` and `ctx`: the field and what is wrong, never the value
    (it can be a BSN, record content or a 10 MB string)."""
    errors = exc.errors()
    for e in errors:
        if e.get("type") == "missing" and tuple(e.get("loc", ())) == (
            "header",
            "x-processing-activity",
        ):
            return to_response(MissingActivity())
    detail = [
        {
            "loc": [_text(p) for p in e.get("loc", ())],
            "msg": _text(e.get("msg", ""), 300),
            "type": e.get("type", "value_error"),
        }
        for e in errors[:20]
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def to_response(exc: Exception) -> JSONResponse:
    """The status and body for `exc`."""
    match exc:
        case RequestValidationError():
            return _validation_response(exc)
        case BodyTooLarge(limit=limit):
            return _problem(413, "too_large", f"the request body is larger than {limit} bytes")
        case RateLimited(retry_after=retry_after):
            resp = _problem(429, "rate_limited", str(exc))
            resp.headers["Retry-After"] = str(retry_after)
            return resp
        case AuditEntryInvalid(field=field, problem=problem):
            return JSONResponse(
                {
                    "detail": [
                        {
                            "loc": ["request"],
                            "msg": f"a value cannot be kept in the audit trail ({field}: "
                            f"{problem})",
                            "type": "value_error",
                        }
                    ]
                },
                status_code=422,
            )
        case AuthError():
            resp = _problem(
                401, "unauthenticated", f"a valid bearer token is required: {exc.reason}"
            )
            # RFC 6750 section 3: name the error when a token was presented.
            presented = exc.reason is not AuthFailure.MISSING_TOKEN
            resp.headers["WWW-Authenticate"] = 'Bearer realm="doelbinding"' + (
                ', error="invalid_token"' if presented else ""
            )
            return resp
        case MissingActivity() | UnknownActivity():
            return _problem(400, "processing_activity", str(exc))
        case InvalidField(field=field, message=message):
            return _unprocessable(field, message)
        case InvalidHeader(header=header, message=message):
            return JSONResponse(
                {"detail": [{"loc": ["header", header], "msg": message, "type": "value_error"}]},
                status_code=422,
            )
        case ConsentValidationError(field=field, message=message):
            return _unprocessable(field, message)
        case RecorderNotAllowed() | ExceptionNotAllowed():
            return _problem(403, "forbidden", str(exc))
        case ExceptionValidationError(field=field, message=message):
            return _unprocessable(field, message)
        case FourEyesViolation():
            return _problem(403, "four_eyes", str(exc))
        case PolicyFourEyes():
            return _problem(403, "four_eyes", str(exc))
        case NotPrivacyOfficer():
            return _problem(403, "forbidden", str(exc))
        case PatchRefused(reasons=reasons):
            return JSONResponse(
                {"detail": [{"loc": ["body", "register_patch"], "msg": r, "type": "value_error"}
                            for r in reasons]},
                status_code=422,
            )  # fmt: skip
        case InvalidVersion(field=field, message=message):
            return _unprocessable(field, message)
        case LifecycleConflict(state=state):
            return _problem(409, "lifecycle", str(exc), state=state)
        case VersionNotFound():
            return _problem(404, "not_found", str(exc))
        case ExceptionStateConflict(status=current):
            return _problem(409, "conflict", str(exc), exception_status=current)
        case InvestigationStateConflict(status=current):
            return _problem(409, "conflict", str(exc), investigation_status=current)
        case ExceptionNotFound() | QuestionNotFound() | InvestigationNotFound():
            return _problem(404, "not_found", str(exc))
        case QuestionValidationError(field=field, message=message):
            return _unprocessable(field, message)
        case RecordNotFound() | ConsentNotFound() | NotFound():
            return _problem(404, "not_found", str(exc))
        case Denied(decision=decision):
            return JSONResponse(
                {
                    "code": "denied",
                    "detail": "the policy refused this request",
                    "reasons": [r.model_dump() for r in decision.reasons],
                },
                status_code=403,
            )
        case ZaakNotFound() | UnknownRoute():
            return _problem(404, "not_found", str(exc))
        case UpstreamRejected(fields=fields):
            return _problem(422, "upstream_rejected", str(exc), fields=fields)
        case UpstreamTimeout():
            log.error("upstream_timeout")
            return _problem(504, "upstream_timeout", "the case system did not answer; no data")
        case UpstreamFailed(detail=detail):
            log.error("upstream_failed", detail=detail)
            return _problem(502, "upstream_failed", "the case system failed; no data")
        case PolicyError() | AuditError() | SQLAlchemyError():
            # Fail closed: the engine, the audit trail or the database failed, so no data.
            log.error("fail_closed", error=type(exc).__name__)
            cause = (
                "engine"
                if isinstance(exc, PolicyError)
                else "audit"
                if isinstance(exc, AuditError)
                else "database"
            )
            metrics.REFUSALS.labels(cause).inc()
            return _problem(
                503, "unavailable", "the request cannot be decided or audited right now; no data"
            )
    log.error("unhandled_error", error=type(exc).__name__)
    return _problem(500, "internal_error", "internal error")


def install(app: FastAPI) -> None:
    """Register the one handler for every error class the table knows, and for anything
    else (500). Paths people read (`/mijn`, `/console`) get the same status as a page, when
    the web pages have set `app.state.error_page`; unknown paths there get a 404 page."""

    def page(request: Request, status: int) -> Response | None:
        render = getattr(request.app.state, "error_page", None)
        return render(request, status) if render is not None else None

    async def handler(request: Request, exc: Exception) -> Response:
        resp = to_response(exc)
        return page(request, resp.status_code) or resp

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code >= 400:
            found = page(request, exc.status_code)
            if found is not None:
                return found
        return await http_exception_handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, handler)

    for cls in (
        RequestValidationError,
        BodyTooLarge,
        GatewayError,
        AuthError,
        RecordNotFound,
        ConsentNotFound,
        ConsentValidationError,
        RecorderNotAllowed,
        ExceptionError,
        QuestionError,
        InvestigationError,
        PolicyVersionError,
        PolicyError,
        AuditError,
        SQLAlchemyError,
        ZakenError,
    ):
        app.add_exception_handler(cls, handler)
