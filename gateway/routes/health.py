"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from gateway.deps import ServicesDep
from gateway.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/ready", response_model=Health, responses={503: {"model": Health}})
def ready(services: ServicesDep) -> Health | JSONResponse:
    """The database answers and the policy engine is loaded."""
    checks: dict[str, str] = {}
    try:
        with services.db.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001  (readiness reports any failure; it serves no data)
        checks["database"] = type(exc).__name__
    checks["policy"] = services.engines.current.revision
    if checks["database"] != "ok":
        return JSONResponse(Health(status="unavailable", checks=checks).model_dump(), 503)
    return Health(status="ok", checks=checks)
