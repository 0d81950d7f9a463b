"""Liveness and readiness.

`/health`: the process is up. `/ready`: this process can decide and audit now; when it cannot,
503 with each failing check and a reason in words (for an operator or a load balancer's log,
never personal data):

    database   SELECT 1 on a pooled connection
    policy     the active revision; the engine must decide a fixed probe input (embedded:
               ~50 µs; OPA: one round trip, so an unreachable OPA shows here)
    audit      the group-commit writer is not closed (a process shutting down)
    audit_log  the database extends the last checkpoint this machine saw (docs/deploy.md)
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from gateway.deps import ServicesDep
from gateway.schemas import Health, Readiness
from policy import DecisionInput, PolicyError
from policy.contract import Context, Resource, Subject

router = APIRouter(tags=["health"])

#: Decided on every /ready: nobody, about nothing (a deny); only whether the engine answers.
PROBE = DecisionInput(
    subject=Subject(id="ready-probe", roles=(), organisation="", teams=(), municipality=""),
    action="read",
    processing_activity="ready-probe",
    resource=Resource(type="record", category="signal", team="", municipality=""),
    context=Context(now_ns=0, request_id="ready-probe"),
)


@router.get("/health", response_model=Health)
def health() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}})
def ready(services: ServicesDep) -> Readiness | JSONResponse:
    """The database answers, the policy engine decides, the audit writer takes records; if
    not, 503 and why."""
    checks: dict[str, str] = {}
    reasons: list[str] = []
    try:
        with services.db.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001  (readiness reports any failure; it serves no data)
        checks["database"] = type(exc).__name__
        reasons.append(f"database: cannot run a query ({type(exc).__name__})")
    engine = services.engines.current
    checks["policy"] = engine.revision
    try:
        engine.decide(PROBE)
    except PolicyError as exc:
        checks["policy_engine"] = type(exc).__name__
        reasons.append(f"policy: the engine does not decide ({type(exc).__name__})")
    writer = services.pep.writer
    if writer is not None and writer.closed:
        checks["audit"] = "closed"
        reasons.append("audit: the group-commit writer is closed (the process is stopping)")
    refused = services.checkpointer.refused if services.checkpointer is not None else None
    if refused is not None:
        checks["audit_log"] = refused.growth
        reasons.append(f"audit: {refused} (doelbinding audit accept-restore)")
    if reasons:
        body = Readiness(status="unavailable", checks=checks, reasons=reasons)
        return JSONResponse(body.model_dump(), 503)
    return Readiness(status="ok", checks=checks)
