"""The upstream mode's steps: fetch what the decision needs, decide, audit, then release.

    route (zaken/routes.py) ─▶ fetch the case and its rollen from the upstream (as a ZGW client)
                            ─▶ facts (zaken/facts.py): category, team, municipality, residents
                            ─▶ pep.decide: one decision per resident of the case, each audited
                            ─▶ redact (zaken/redaction.py) ─▶ the answer

Nothing of the upstream's answer leaves before its decisions are audited. An upstream that
fails or times out is audited as a refusal (`upstream_unavailable`) and answered 502/504
with no data. The same steps serve the upstream routes (routes/zaken.py) and the decisions
for existing gateways (routes/forward_auth.py), which decide and audit but do not answer
with the case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from gateway.auth import Principal
from gateway.db import read_scope, session_scope
from gateway.listing import Listing, listing
from gateway.pep import Outcome, RequestContext, ResourceFacts
from policy import Decision, Reason
from registry.zaaktypes import ZaaktypeMap
from zaken import (
    BSN_FILTER,
    REFUSALS,
    UpstreamFailed,
    UpstreamTimeout,
    ZakenClient,
    case_facts,
    fields_to_remove,
)

if TYPE_CHECKING:
    from gateway.services import Services

UNAVAILABLE = Reason(
    code="upstream_unavailable",
    message="The case system did not answer as it should; no data was released.",
)


@dataclass
class Upstream:
    """The configured Zaken API and the deployment's mapping of its zaaktypes."""

    client: ZakenClient
    zaaktypes: ZaaktypeMap


@dataclass(frozen=True)
class Case:
    """An upstream case with its decisions (one per resident)."""

    zaak: dict[str, Any]
    decisions: list[Decision]

    @property
    def allowed(self) -> bool:
        return bool(self.decisions) and all(d.allow for d in self.decisions)


def user_id(services: Services, principal: Principal) -> str:
    """Who the upstream's own audit trail names: the subject as the audit trail does (a
    resident as their pseudonym, never a BSN)."""
    return services.pep.subject_of(principal).id


def zaak_id(uuid: str, suffix: str = "") -> str:
    """The record id an audit record gives an upstream case (`zaak/<uuid>`)."""
    return f"zaak/{uuid}{suffix}"


def resources(
    services: Services,
    up: Upstream,
    zaak: Mapping[str, Any],
    rollen: Sequence[Mapping[str, Any]],
    *,
    record_id: str,
    creator_teams: Sequence[str] = (),
    new: bool = False,
) -> list[ResourceFacts]:
    """The case as the enforcement point decides it: one resource per resident."""
    facts = case_facts(zaak, rollen, up.zaaktypes, creator_teams=creator_teams)
    refusal = facts.refusal
    if refusal is None and not facts.residents and not new:
        refusal = "no_resident"
    reason = Reason(code=refusal, message=REFUSALS[refusal]) if refusal else None
    residents: Sequence[str | None] = facts.residents or (None,)
    return [
        ResourceFacts(
            id=record_id,
            category=facts.category,
            team=facts.team,
            municipality=facts.municipality,
            resident=services.pseudonymize(bsn) if bsn else None,
            refusal=reason,
        )
        for bsn in residents
    ]


def refuse_failure(
    services: Services,
    principal: Principal,
    activity: str,
    action: str,
    exc: UpstreamFailed,
    ctx: RequestContext,
    *,
    record_id: str | None,
    resident_bsn: str | None = None,
) -> UpstreamFailed:
    """Audit an upstream failure as a refusal; the caller raises what this returns."""
    res = ResourceFacts(
        id=record_id,
        category="",
        team="",
        municipality=principal.municipality,
        resident=services.pseudonymize(resident_bsn) if resident_bsn else None,
        refusal=Reason(
            code="upstream_timeout" if isinstance(exc, UpstreamTimeout) else UNAVAILABLE.code,
            message=UNAVAILABLE.message,
        ),
    )
    scope = read_scope if action == "read" else session_scope
    with scope(services.db) as session:
        services.pep.decide(session, principal, activity, action, [res], ctx)
    return exc


def decide(
    services: Services,
    principal: Principal,
    activity: str,
    action: str,
    facts: list[ResourceFacts],
    ctx: RequestContext,
    resource: str = "zaak",
) -> Outcome:
    """Decide and audit `facts` in one scope; the records are durable when this returns."""
    scope = read_scope if action == "read" else session_scope
    with scope(services.db) as session:
        return services.pep.decide(
            session,
            principal,
            activity,
            action,
            facts,
            ctx,
            redacted=partial(fields_to_remove, resource),
        )


def redacted_fields(resource: str, decisions: Sequence[Decision]) -> tuple[str, ...]:
    """Every field any of `decisions` withholds from `resource`."""
    return tuple(sorted({f for d in decisions for f in fields_to_remove(resource, d.redact)}))


def read_case(
    services: Services,
    up: Upstream,
    principal: Principal,
    activity: str,
    uuid: str,
    ctx: RequestContext,
    *,
    suffix: str = "",
) -> tuple[Case, list[dict[str, Any]], Outcome]:
    """GET a case and its roles from the upstream, then decide and audit the read."""
    try:
        zaak, rollen = up.client.case(uuid, user_id(services, principal))
    except UpstreamFailed as exc:
        raise refuse_failure(
            services, principal, activity, "read", exc, ctx, record_id=zaak_id(uuid, suffix)
        ) from exc
    facts = resources(services, up, zaak, rollen, record_id=zaak_id(uuid, suffix))
    outcome = decide(services, principal, activity, "read", facts, ctx, "rol" if suffix else "zaak")
    return Case(zaak, outcome.decisions), rollen, outcome


def list_cases(
    services: Services,
    up: Upstream,
    principal: Principal,
    activity: str,
    params: Sequence[tuple[str, str]],
    ctx: RequestContext,
) -> tuple[dict[str, Any], Listing[dict[str, Any]], Outcome, bool]:
    """GET one page of cases and every case's roles, then decide each case (audited). Last:
    whether the caller has a relationship with the resident the page is filtered on, as the
    dossier listing asks it (`EnforcementPoint.knows`), or a case of the page about her is
    handled by a team or unit of the caller's; only then may a listing say what it withheld
    (docs/security.md, "Existence")."""
    bsn = next((v for k, v in params if k == BSN_FILTER), None)
    try:
        page = up.client.list_zaken(params, user_id(services, principal))
        zaken = [z for z in page["results"] if isinstance(z, dict)]
        urls = [str(z.get("url", "")) for z in zaken]
        rollen = up.client.rollen_of(urls, user_id(services, principal))
    except UpstreamFailed as exc:
        raise refuse_failure(
            services, principal, activity, "read", exc, ctx, record_id=None, resident_bsn=bsn
        ) from exc
    per_case = [
        resources(services, up, z, r, record_id=zaak_id(str(z.get("uuid", ""))))
        for z, r in zip(zaken, rollen, strict=True)
    ]
    flat = [f for facts in per_case for f in facts]
    outcome = decide(services, principal, activity, "read", flat, ctx) if flat else Outcome([])
    grouped: list[list[Decision]] = []
    at = 0
    for facts in per_case:
        grouped.append(outcome.decisions[at : at + len(facts)])
        at += len(facts)
    return page, listing(zaken, grouped), outcome, _knows(services, principal, bsn, flat, ctx)


def _knows(
    services: Services,
    principal: Principal,
    bsn: str | None,
    facts: Sequence[ResourceFacts],
    ctx: RequestContext,
) -> bool:
    if bsn is None:
        return False
    pseudonym = services.pseudonymize(bsn)
    if any(f.resident == pseudonym and f.team in principal.teams for f in facts):
        return True
    with read_scope(services.db) as session:
        return services.pep.knows(session, principal, pseudonym, ctx.now_ns)
