"""Decisions for existing gateways: nginx `auth_request` and Envoy `ext_authz` (HTTP).

    nginx:  auth_request /_doelbinding;   location = /_doelbinding {
                proxy_pass http://doelbinding/authz/zgw;
                proxy_set_header X-Original-Method $request_method;
                proxy_set_header X-Original-URI $request_uri; ... }
    Envoy:  ext_authz http_service, path_prefix /authz/ext: the original method, path and
            headers arrive as they are (and the body, with `with_request_body`)

The original request's path is matched by the same route table as the upstream mode
(zaken/routes.py), the case is fetched from the upstream with the gateway's own credentials,
decided and audited; the answer is 200 (allowed) or 403 (denied, with the reasons) with
headers the proxy can pass on:

    X-Doelbinding-Decision   allow | deny
    X-Doelbinding-Redact     the fields the decision withholds (the proxy must remove them,
                             or refuse: doelbinding does not see the answer it lets through)
    X-Doelbinding-Reasons    the reason codes of a refusal
    X-Doelbinding-Basis      what allowed it: `<type>:<ref>`

A list is allowed only if every case on the page is (the proxy cannot filter the page), and a
new case only with its body (nginx sends none: refused). Any other route is refused.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gateway.auth import Principal
from gateway.deps import ActivityDep, ContextDep, PrincipalDep, ServicesDep
from gateway.errors import NotFound
from gateway.pep import RequestContext
from gateway.services import Services
from gateway.upstream import (
    decide,
    list_cases,
    read_case,
    redacted_fields,
    resources,
    zaak_id,
)
from policy import Decision, Reason
from zaken import LIST_PARAMS, Kind, UnknownRoute, match

router = APIRouter(prefix="/authz", tags=["forward-auth"])

MAX_BODY = 64_000

NOT_ROUTED = Reason(code="not_routed", message="The gateway knows no such request.")
LIST_MIXED = Reason(
    code="list_not_filterable",
    message="The page holds cases this request may not see; the proxy cannot filter it.",
)
NEEDS_BODY = Reason(code="body_required", message="A new case is decided with its body.")


def _verdict(
    decisions: list[Decision],
    resource: str,
    extra: Reason | None = None,
    *,
    empty_allowed: bool = False,
) -> JSONResponse:
    denied = [d for d in decisions if not d.allow]
    reasons = [r for d in denied for r in d.reasons] + ([extra] if extra else [])
    if reasons or not (decisions or empty_allowed):
        codes = ",".join(dict.fromkeys(r.code for r in reasons)) or NOT_ROUTED.code
        return JSONResponse(
            {
                "code": "denied",
                "detail": "the policy refused this request",
                "reasons": [r.model_dump(exclude_none=True) for r in reasons],
            },
            status_code=403,
            headers={"X-Doelbinding-Decision": "deny", "X-Doelbinding-Reasons": codes},
        )
    basis = ",".join(
        dict.fromkeys(f"{d.basis.type.value}:{d.basis.ref}" for d in decisions if d.basis)
    )
    return JSONResponse(
        {"decision": True, "redact": list(redacted_fields(resource, decisions))},
        headers={
            "X-Doelbinding-Decision": "allow",
            "X-Doelbinding-Redact": ",".join(redacted_fields(resource, decisions)),
            "X-Doelbinding-Basis": basis,
        },
    )


def _decide(
    services: Services,
    principal: Principal,
    activity: str,
    ctx: RequestContext,
    method: str,
    target: str,
    body: bytes,
) -> JSONResponse:
    up = services.upstream
    if up is None:
        raise NotFound("upstream mode is off: set DOELBINDING_ZAKEN__URL")
    try:
        found = match(method, target, up.client.root_path)
    except UnknownRoute:
        return _verdict([], "zaak", NOT_ROUTED)
    if found.kind is Kind.ZAAK_READ and found.uuid:
        _, _, outcome = read_case(services, up, principal, activity, found.uuid, ctx)
        resource = "zaak"
    elif found.kind is Kind.ROL_LIST:
        base = up.client.base_url + "/zaken/"
        url = found.param("zaak") or ""
        try:
            uuid = match("GET", "/zaken/" + url[len(base) :]).uuid if url.startswith(base) else None
        except UnknownRoute:
            uuid = None
        if uuid is None:
            return _verdict([], "rol", NOT_ROUTED)
        _, _, outcome = read_case(services, up, principal, activity, uuid, ctx, suffix="/rollen")
        resource = "rol"
    elif found.kind is Kind.ZAAK_LIST:
        page = found.param("page") or "1"
        if {k for k, _ in found.query} - LIST_PARAMS or not page.isdigit() or page == "0":
            return _verdict([], "zaak", NOT_ROUTED)
        _, listed, outcome, _ = list_cases(services, up, principal, activity, found.query, ctx)
        if outcome.failure is not None:
            raise outcome.failure
        if listed.withheld:
            return _verdict(outcome.decisions, "zaak", LIST_MIXED)
        return _verdict(outcome.decisions, "zaak", empty_allowed=True)  # an empty page too
    else:  # a new case
        try:
            zaak = json.loads(body) if body else None
        except ValueError:
            zaak = None
        if not isinstance(zaak, dict):
            return _verdict([], "zaak", NEEDS_BODY)
        facts = resources(
            services,
            up,
            zaak,
            [],
            record_id=zaak_id("new"),
            creator_teams=principal.teams,
            new=True,
        )
        outcome = decide(services, principal, activity, "create", facts, ctx)
        resource = "zaak"
    if outcome.failure is not None:
        raise outcome.failure
    return _verdict(outcome.decisions, resource)


@router.get("/zgw")
def nginx_auth_request(
    services: ServicesDep,
    principal: PrincipalDep,
    activity: ActivityDep,
    ctx: ContextDep,
    x_original_method: Annotated[str, Header(max_length=16)] = "GET",
    x_original_uri: Annotated[str, Header(max_length=4000)] = "",
) -> JSONResponse:
    """nginx `auth_request`: decide the original request (`X-Original-Method`,
    `X-Original-URI`) with its own token and `X-Processing-Activity`; 200 or 403."""
    return _decide(services, principal, activity, ctx, x_original_method, x_original_uri, b"")


async def envoy_ext_authz(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    activity: ActivityDep,
    ctx: ContextDep,
) -> JSONResponse:
    """Envoy `ext_authz` (HTTP service, `path_prefix: /authz/ext`): the original request as
    it came, its body included when Envoy sends it; 200 or 403."""
    body = await request.body()
    if len(body) > MAX_BODY:
        body = b""  # too large to decide on: a new case is then refused (body_required)
    target = request.url.path[len("/authz/ext") :] or "/"
    if request.url.query:
        target += "?" + request.url.query
    method = "GET" if request.method == "HEAD" else request.method
    return await run_in_threadpool(
        _decide, services, principal, activity, ctx, method, target, body
    )


# Every method reaches the decision (anything but a known route is refused there), each with
# an operation id of its own in the OpenAPI document.
for _method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
    router.add_api_route(
        "/ext/{path:path}",
        envoy_ext_authz,
        methods=[_method],
        operation_id=f"envoy_ext_authz_{_method.lower()}",
    )
