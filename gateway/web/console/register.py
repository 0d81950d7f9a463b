"""The processing register for the AP (AVG art. 30) in the console: a page, a CSV download and
a printable page (print it to PDF), always of the active version, for this deployment's
profile. Every view and download is a decision of the enforcement point (one door: the
policy lets the privacy officer of her own municipality read it) and so audited, with the
version and the format in the audit record's resource id. See docs/policy-lifecycle.md.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gateway.auth import Principal
from gateway.db import session_scope
from gateway.deps import ContextDep, ServicesDep
from gateway.errors import Denied
from gateway.pep import NO_ACTIVITY, RequestContext, ResourceFacts
from gateway.services import Services
from gateway.web.console.i18n import t
from gateway.web.console.routes import Console, ConsoleDep, OfficerDep, SessionDep
from gateway.web.console.session import ConsoleSession
from lifecycle import PolicyVersionError, service
from lifecycle.art30 import COLUMNS, Record, record, to_csv
from lifecycle.models import PolicyVersion

router = APIRouter(prefix="/console/register", include_in_schema=False)

Format = Literal["page", "print", "csv"]

#: What the policy is asked: reading a policy version (the perimeter: the privacy officer's,
#: authz.rego rule 7), bound to her municipality (rule 8).
RESOURCE_TYPE = "policy_version"


def active_version(
    services: Services, principal: Principal, ctx: RequestContext, what: str
) -> PolicyVersion:
    """The active version, after the enforcement point allowed reading it (audited in the same
    transaction as the decision, resource id `<what>:<revision>`; a refusal raises `Denied`
    after the commit)."""
    return base_version(services, principal, ctx, what, None)


def base_version(
    services: Services, principal: Principal, ctx: RequestContext, what: str, base: str | None
) -> PolicyVersion:
    """The version a change in the register editor starts from: the active one (`base`
    None), or `base` if a new draft may build on it (`lifecycle.service.current_base`: a
    version never active that descends from the active one). The enforcement point decides
    first, as for `active_version`; then a `base` that is unknown, retired or stale raises its
    `PolicyVersionError` (`VersionNotFound`, `LifecycleConflict`)."""
    problem: PolicyVersionError | None = None
    version: PolicyVersion | None = None
    with session_scope(services.db) as session:
        try:
            if base:
                version = service.current_base(session, base).version
            else:
                version = service.get_version(session, service.active_revision(session) or "")
        except PolicyVersionError as exc:
            problem = exc
        facts = ResourceFacts(
            type=RESOURCE_TYPE,
            # Only a stored revision is written down, never what a client sent.
            id=f"{what}:{version.revision if version is not None else 'unknown'}"[:80],
            category="",
            team="",
            municipality=principal.municipality,
            resident=None,
        )
        outcome = services.pep.decide(session, principal, NO_ACTIVITY, "read", [facts], ctx)
        if version is not None:
            session.expunge(version)
    outcome.raise_if_refused()
    if problem is not None:
        raise problem
    assert version is not None
    return version


def _active_record(
    services: Services, principal: Principal, ctx: RequestContext, fmt: Format
) -> Record:
    version = active_version(services, principal, ctx, f"art30.{fmt}")
    return record(version.revision, version.data, services.settings.profile)


def _refused(request: Request, console: Console, session: ConsoleSession) -> Response:
    return console.render(
        request, session, "console/error.html", status=403, message="register_refused"
    )


@router.get("")
def page(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
) -> Response:
    try:
        rec = _active_record(services, officer, ctx, "page")
    except Denied:
        return _refused(request, console, session)
    return console.render(request, session, "console/register.html", nav="register", rec=rec)


@router.get("/print")
def printable(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
) -> Response:
    try:
        rec = _active_record(services, officer, ctx, "print")
    except Denied:
        return _refused(request, console, session)
    return console.render(request, session, "console/register_print.html", rec=rec)


@router.get("/art30.csv")
def download_csv(
    request: Request,
    console: ConsoleDep,
    session: SessionDep,
    services: ServicesDep,
    officer: OfficerDep,
    ctx: ContextDep,
) -> Response:
    try:
        rec = _active_record(services, officer, ctx, "csv")
    except Denied:
        return _refused(request, console, session)
    body = to_csv(rec, t(session.lang))
    name = f"verwerkingsregister-{rec.profile}-{rec.revision[:12]}.csv"
    return Response(
        # A byte-order mark so that spreadsheet programs read the UTF-8 as UTF-8.
        content="\ufeff" + body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


__all__ = ["COLUMNS", "active_version", "base_version", "router"]
