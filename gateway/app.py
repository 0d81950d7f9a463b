"""`create_app(settings)`: the FastAPI application. Importing this module builds nothing.

Run it with `uvicorn gateway.app:create_app --factory` (that is what `make run` does).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway import errors, web
from gateway.clock import Clock, system_clock
from gateway.edge import EdgeGuard
from gateway.logging import RequestContextMiddleware, configure_logging
from gateway.ratelimit import DecisionRateLimit
from gateway.routes import (
    aggregates,
    audit,
    authzen,
    consents,
    exceptions,
    forward_auth,
    health,
    investigations,
    me,
    metrics,
    opa_bundle,
    oversight,
    policies,
    questions,
    records,
    registry,
    zaken,
)
from gateway.services import Services, build_services
from gateway.settings import Settings, SettingsError, get_settings
from gateway.web import console
from gateway.witness import RefuseAfterRollback
from policy import PolicyEngine


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the audit checkpointer and the policy watcher while the app serves (not when a
    test skips the lifespan); see `Services.start`."""
    services: Services = app.state.services
    services.start()
    try:
        yield
    finally:
        services.stop()


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = system_clock,
    engine: PolicyEngine | None = None,
    services: Services | None = None,
) -> FastAPI:
    """Build the gateway: services, routes, the request-context middleware, the error table."""
    if settings is None:
        try:
            settings = get_settings()
        except SettingsError as exc:
            # Every problem at once, without a traceback (uvicorn --factory prints this).
            raise SystemExit(f"doelbinding: {exc}") from None
    configure_logging(settings.log_format)
    app = FastAPI(
        lifespan=_lifespan,
        title="doelbinding",
        summary="A privacy gateway: every request decided by role, purpose, consent and law.",
        version="0.1.0",
        docs_url=None,  # /docs is served by gateway.web.pages, with its own Swagger UI copy
        redoc_url=None,
    )
    app.state.services = services or build_services(settings, clock=clock, engine=engine)
    app.state.rate_limit = DecisionRateLimit(
        settings.edge.rate_limit,
        settings.edge.rate_limit_case_system,
        settings.edge.rate_limit_storage,
    )
    # Added first, so it runs inside the request context (refusals are logged with an id).
    app.add_middleware(
        EdgeGuard,
        max_body_bytes=settings.edge.max_body_bytes,
        hsts_max_age=settings.edge.hsts_max_age_seconds,
    )
    app.add_middleware(RefuseAfterRollback, checkpointer=app.state.services.checkpointer)
    app.add_middleware(RequestContextMiddleware)
    errors.install(app)
    for module in (
        health,
        registry,
        records,
        consents,
        exceptions,
        aggregates,
        me,
        questions,
        investigations,
        oversight,
        audit,
        authzen,
        opa_bundle,
        policies,
        metrics,
        zaken,
        forward_auth,
    ):
        app.include_router(module.router)
    web.install(app, settings)  # the resident pages under /mijn, static files, CSP
    console.install(app, app.state.web)  # the privacy officer's console under /console
    return app
