"""Upstream mode: a ZGW Zaken API behind the gateway, every request decided and audited.

    GET  /zgw/zaken/api/v1/zaken/{uuid}     one case, redacted as its decisions say
    GET  /zgw/zaken/api/v1/zaken            a page of cases, each decided, the page filtered
    GET  /zgw/zaken/api/v1/rollen?zaak=…    the roles of one case, decided as that case
    POST /zgw/zaken/api/v1/zaken            a new case, decided with the facts of its body

A ZGW client points its Zaken API base URL at `…/zgw/zaken/api/v1` and sends the gateway's
token and `X-Processing-Activity` instead of a ZGW JWT; the gateway calls the upstream with
its own credentials (gateway/upstream.py for the steps, docs/zgw.md for the whole story).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gateway.auth import Principal
from gateway.deps import ActivityDep, ContextDep, PrincipalDep, ServicesDep
from gateway.errors import InvalidField, NotFound
from gateway.pep import RequestContext
from gateway.services import Services
from gateway.upstream import (
    Upstream,
    decide,
    list_cases,
    read_case,
    redacted_fields,
    refuse_failure,
    resources,
    user_id,
    zaak_id,
)
from zaken import LIST_PARAMS, UnknownRoute, UpstreamFailed, redact
from zaken.routes import match

PREFIX = "/zgw/zaken/api/v1"
MAX_BODY = 64_000

router = APIRouter(prefix=PREFIX, tags=["zgw"])

_DENIED: dict[int | str, dict[str, Any]] = {
    403: {"description": "Refused by policy (or the register does not know the case's facts)."},
    502: {"description": "The case system failed: audited, no data."},
    504: {"description": "The case system did not answer in time: audited, no data."},
}


def _upstream(services: Services) -> Upstream:
    if services.upstream is None:
        raise NotFound("upstream mode is off: set DOELBINDING_ZAKEN__URL")
    return services.upstream


def _answer(body: Any, fields: tuple[str, ...], code: int = 200) -> JSONResponse:
    headers = {"X-Doelbinding-Redacted": ",".join(fields)} if fields else None
    return JSONResponse(body, status_code=code, headers=headers)


@router.get("/zaken/{uuid}", responses=_DENIED)
def read_zaak(
    uuid: str,
    services: ServicesDep,
    principal: PrincipalDep,
    activity: ActivityDep,
    ctx: ContextDep,
) -> JSONResponse:
    """One case of the upstream: fetched with its roles, decided per resident, audited, and
    answered without the fields the decision withholds (`X-Doelbinding-Redacted`)."""
    up = _upstream(services)
    found = match("GET", f"/zaken/{uuid}")
    assert found.uuid is not None
    case, _rollen, outcome = read_case(services, up, principal, activity, found.uuid, ctx)
    outcome.raise_if_refused()
    fields = redacted_fields("zaak", case.decisions)
    return _answer(redact(case.zaak, fields), fields)


@router.get("/rollen", responses=_DENIED)
def list_rollen(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    activity: ActivityDep,
    ctx: ContextDep,
) -> JSONResponse:
    """The roles of one case (`?zaak=<the case's URL>`), decided as a read of that case."""
    up = _upstream(services)
    zaak_url = request.query_params.get("zaak", "")
    base = up.client.base_url + "/zaken/"
    uuid = zaak_url[len(base) :] if zaak_url.startswith(base) else ""
    try:
        found = match("GET", f"/zaken/{uuid}")
    except UnknownRoute:
        found = None
    if found is None or found.uuid is None:
        raise InvalidField("zaak", "the URL of one case of the configured Zaken API")
    case, rollen, outcome = read_case(
        services, up, principal, activity, found.uuid, ctx, suffix="/rollen"
    )
    outcome.raise_if_refused()
    fields = redacted_fields("rol", case.decisions)
    results = [redact(r, fields) for r in rollen]
    return _answer(
        {"count": len(results), "next": None, "previous": None, "results": results}, fields
    )


def _gateway_link(request: Request, upstream_link: Any) -> str | None:
    """The upstream's `next`/`previous` as the same page of the gateway (never its URL)."""
    if not isinstance(upstream_link, str) or not upstream_link:
        return None
    page = dict(parse_qsl(urlsplit(upstream_link).query)).get("page")
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    if page is not None:
        query.append(("page", page))
    return str(request.url.replace(query=urlencode(query)))


@router.get("/zaken", responses=_DENIED)
def list_zaken(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    activity: ActivityDep,
    ctx: ContextDep,
) -> JSONResponse:
    """A page of the upstream's cases (e.g. filtered on a resident's BSN with
    `rol__betrokkeneIdentificatie__natuurlijkPersoon__inpBsn`): each case decided and
    audited, only the allowed ones listed, `withheld` counting the others to a caller with a
    relationship to the resident (null to anyone else), as the dossier listing does. Page n
    here is the upstream's page n, filtered: `next`/`previous` lead to the gateway, and
    `count` counts this page's results (the upstream's total would count cases nobody
    decided)."""
    up = _upstream(services)
    params = list(request.query_params.multi_items())
    unknown = sorted({k for k, _ in params} - LIST_PARAMS)
    if unknown:
        raise InvalidField(unknown[0], f"not a filter the gateway passes on: {sorted(LIST_PARAMS)}")
    page_no = request.query_params.get("page", "1")
    if not page_no.isdigit() or not 1 <= int(page_no) <= 1_000_000:
        raise InvalidField("page", "a page number from 1")
    page, listed, outcome, knows = list_cases(services, up, principal, activity, params, ctx)
    if outcome.failure is not None:
        raise outcome.failure
    fields: set[str] = set()
    results = []
    for zaak, decisions in listed.allowed:
        drop = redacted_fields("zaak", decisions)
        fields |= set(drop)
        results.append(redact(zaak, drop))
    body = {
        "count": len(results),
        "next": _gateway_link(request, page.get("next")),
        "previous": _gateway_link(request, page.get("previous")),
        "results": results,
        "withheld": listed.withheld if knows else None,
    }
    return _answer(body, tuple(sorted(fields)))


@router.post("/zaken", status_code=status.HTTP_201_CREATED, responses=_DENIED)
async def create_zaak(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    activity: ActivityDep,
    ctx: ContextDep,
) -> JSONResponse:
    """Create a case upstream, decided with the facts of the body: its zaaktype (category,
    and the unit of such cases or else the caller's one team) and bronorganisatie
    (municipality). The decision is audited before the upstream is asked."""
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InvalidField("body", f"at most {MAX_BODY} bytes")
    try:
        body = json.loads(raw)
    except ValueError:
        raise InvalidField("body", "a JSON object (a Zaak)") from None
    if not isinstance(body, dict):
        raise InvalidField("body", "a JSON object (a Zaak)")
    return await run_in_threadpool(_create, services, principal, activity, ctx, body)


def _create(
    services: Services,
    principal: Principal,
    activity: str,
    ctx: RequestContext,
    body: dict[str, Any],
) -> JSONResponse:
    up = _upstream(services)
    facts = resources(
        services, up, body, [], record_id=zaak_id("new"), creator_teams=principal.teams, new=True
    )
    outcome = decide(services, principal, activity, "create", facts, ctx)
    outcome.raise_if_refused()
    try:
        created = up.client.create_zaak(body, user_id(services, principal))
    except UpstreamFailed as exc:
        raise refuse_failure(
            services, principal, activity, "create", exc, ctx, record_id=zaak_id("new")
        ) from exc
    fields = redacted_fields("zaak", outcome.decisions)
    return _answer(redact(created, fields), fields, status.HTTP_201_CREATED)
