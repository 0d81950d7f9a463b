"""`Annotated` dependencies: routes read like `def read(subject: PrincipalDep, ...)`."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from gateway.auth import AuthError, AuthFailure, Principal
from gateway.errors import InvalidHeader, MissingActivity, UnknownActivity
from gateway.pep import RequestContext
from gateway.ratelimit import DecisionRateLimit
from gateway.services import Services

_bearer = HTTPBearer(auto_error=False, description="A JWT from the identity provider.")


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in the
# thread pool, and a hop there and back costs more than the work (four hops per request).
# The ones below read the services from the request (`services_of`), not through
# ServicesDep: FastAPI solves a dependency again for every dependency that names it, even
# when its value is cached (about 20 us each time on a governed read, for nothing).


def services_of(request: Request) -> Services:
    """The app's services (what ServicesDep gives), for a route that takes the request."""
    services: Services = request.app.state.services
    return services


async def get_services(request: Request) -> Services:
    return services_of(request)


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """A token verified before and still in the verifier's cache is answered on the loop (a
    dictionary lookup); any other goes to the thread pool for `verify` (a signature check,
    perhaps a JWKS fetch, must not block the loop)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError(AuthFailure.MISSING_TOKEN)
    services = services_of(request)
    token = credentials.credentials
    cached = services.verifier.cached(token)
    if cached is not None:
        return cached
    return await run_in_threadpool(services.verifier.verify, token)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def rate_limit_of(request: Request) -> DecisionRateLimit:
    """The app's decision rate limit (what RateLimitDep gives)."""
    limit: DecisionRateLimit = request.app.state.rate_limit
    return limit


async def get_rate_limit(request: Request) -> DecisionRateLimit:
    return rate_limit_of(request)


#: The decision routes charge the subject's budget: `rate_limit.charge(principal, cost)`.
RateLimitDep = Annotated[DecisionRateLimit, Depends(get_rate_limit)]


async def get_activity(
    request: Request,
    # Required in the OpenAPI document; a missing header is still the 400 of MissingActivity
    # (gateway/errors.py turns FastAPI's "missing" into it).
    x_processing_activity: Annotated[
        str,
        Header(description="The processing activity (verwerkingsactiviteit), e.g. wmo-support."),
    ],
) -> str:
    if not x_processing_activity:
        raise MissingActivity()
    activities = services_of(request).register.activities
    if x_processing_activity not in activities:
        raise UnknownActivity(x_processing_activity, sorted(activities))
    return x_processing_activity


ActivityDep = Annotated[str, Depends(get_activity)]


async def get_context(
    request: Request,
    traceparent: Annotated[
        str | None,
        Header(description="W3C trace context; ignored unless valid (never stored as given)."),
    ] = None,
    x_break_glass_justification: Annotated[
        str | None,
        Header(
            description="Emergency access: a written justification (e.g. a report to Veilig "
            "Thuis under the meldrecht). Passed to the policy as `context.break_glass`; every "
            "access it allows is flagged for review. Its length is bounded by the register "
            "(`limits.break_glass_justification`, by default 20 to 2000 characters)."
        ),
    ] = None,
) -> RequestContext:
    services = services_of(request)
    request_id = str(request.scope.get("state", {}).get("request_id", ""))
    ctx = RequestContext.from_headers(request_id, services.clock(), traceparent)
    justification = (x_break_glass_justification or "").strip()
    if not justification:
        return ctx
    bounds = services.register.limits.break_glass_justification
    if not bounds.min_length <= len(justification) <= bounds.max_length:
        raise InvalidHeader(
            "X-Break-Glass-Justification",
            f"a justification of {bounds.min_length} to {bounds.max_length} characters",
        )
    return replace(ctx, break_glass=justification)


ContextDep = Annotated[RequestContext, Depends(get_context)]
