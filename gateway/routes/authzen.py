"""OpenID AuthZEN 1.0 decisions for case systems that keep their own data (NLGov profile).

    POST /access/v1/evaluation    {subject, action, resource, context} → {decision, context}
    POST /access/v1/evaluations   defaults + `evaluations: [...]`      → {evaluations: [...]}
    GET  /.well-known/authzen-configuration                            → PDP metadata

Each evaluation becomes the same `DecisionInput` the gateway builds for its own records,
through the same enforcement point (`EnforcementPoint.decide`), so it is decided by the same
policy and audited the same way, denials included. How the AuthZEN fields map onto the policy
contract, and who may speak for whom, is in docs/authzen.md. Briefly:

- `action.properties.processing_activity_id` is the activity (required);
- `resource.properties.resident` is pseudonymised here; the BSN never reaches policy or log;
- a case system's token (role `case_system`) may name its user (`subject.id`,
  `subject.properties.roles/teams`) within its own organisation and municipality; any other
  token decides only for itself;
- `context.decision_id` is `<request id>/<index>`: the audit records carry the request id;
- an engine failure is audited as a refusal and answered 503, like every other route.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request

from gateway.auth import RESIDENT_ROLE, Principal
from gateway.db import session_scope
from gateway.deps import ContextDep, PrincipalDep, RateLimitDep, ServicesDep
from gateway.errors import InvalidField
from gateway.pep import RequestContext, ResourceFacts
from gateway.schemas import (
    AuthZenAction,
    AuthZenContext,
    AuthZenDecision,
    AuthZenDecisionContext,
    AuthZenEvaluationRequest,
    AuthZenEvaluations,
    AuthZenEvaluationsRequest,
    AuthZenResource,
    AuthZenSubject,
)
from gateway.services import Services
from policy import Decision, PolicyError

router = APIRouter(tags=["authzen"])

CASE_SYSTEM_ROLE = "case_system"
# Roles a case system cannot claim for the user it speaks for: residents and other systems
# act with their own tokens.
_NOT_DELEGABLE = frozenset({RESIDENT_ROLE, CASE_SYSTEM_ROLE})


@dataclass(frozen=True)
class _Evaluation:
    principal: Principal
    activity: str
    action: str
    facts: ResourceFacts
    ctx: RequestContext


@router.get("/.well-known/authzen-configuration")
def authzen_configuration(request: Request) -> dict[str, str]:
    """AuthZEN PDP metadata: where the evaluation endpoints are."""
    base = str(request.base_url).rstrip("/")
    return {
        "policy_decision_point": base,
        "access_evaluation_endpoint": f"{base}/access/v1/evaluation",
        "access_evaluations_endpoint": f"{base}/access/v1/evaluations",
    }


@router.post("/access/v1/evaluation", response_model=AuthZenDecision)
def evaluation(
    body: AuthZenEvaluationRequest,
    services: ServicesDep,
    caller: PrincipalDep,
    ctx: ContextDep,
    rate_limit: RateLimitDep,
) -> AuthZenDecision:
    """Decide one access request (AuthZEN Access Evaluation API); every decision is audited."""
    rate_limit.charge(caller)
    ev = _prepare(services, caller, body.subject, body.action, body.resource, body.context, ctx)
    request_id = ctx.request_id or uuid.uuid4().hex
    answers, failure = _run(services, [ev], "execute_all", request_id)
    if failure is not None:
        raise failure
    return answers[0]


@router.post("/access/v1/evaluations", response_model=AuthZenEvaluations | AuthZenDecision)
def evaluations(
    body: AuthZenEvaluationsRequest,
    services: ServicesDep,
    caller: PrincipalDep,
    ctx: ContextDep,
    rate_limit: RateLimitDep,
) -> AuthZenEvaluations | AuthZenDecision:
    """Decide several requests (AuthZEN Access Evaluations API).

    The top-level subject, action, resource and context are defaults that an item replaces
    whole. `options.evaluations_semantic`: `execute_all` (default), `deny_on_first_deny` or
    `permit_on_first_permit` (the answer then stops at that item). Without `evaluations`, the
    request is a single evaluation and gets a single answer. An item that cannot be mapped
    onto a decision (e.g. no processing activity) is `decision: false` with `context.error`.
    """
    rate_limit.charge(caller, cost=len(body.evaluations) or 1)
    request_id = ctx.request_id or uuid.uuid4().hex
    if not body.evaluations:
        if body.subject is None or body.action is None or body.resource is None:
            raise InvalidField("evaluations", "give evaluations, or subject, action and resource")
        single = _prepare(
            services, caller, body.subject, body.action, body.resource, body.context, ctx
        )
        answers, failure = _run(services, [single], "execute_all", request_id)
        if failure is not None:
            raise failure
        return answers[0]

    prepared: list[_Evaluation | InvalidField] = []
    for item in body.evaluations:
        subject = item.subject or body.subject
        action = item.action or body.action
        resource = item.resource or body.resource
        context = item.context or body.context
        try:
            if subject is None or action is None or resource is None:
                raise InvalidField("evaluations", "subject, action and resource are required")
            prepared.append(_prepare(services, caller, subject, action, resource, context, ctx))
        except InvalidField as exc:
            prepared.append(exc)

    answers, failure = _run(services, prepared, body.options.evaluations_semantic, request_id)
    if failure is not None:
        raise failure
    return AuthZenEvaluations(evaluations=answers)


def _prepare(
    services: Services,
    caller: Principal,
    subject: AuthZenSubject,
    action: AuthZenAction,
    resource: AuthZenResource,
    context: AuthZenContext | None,
    ctx: RequestContext,
) -> _Evaluation:
    """The evaluation as the enforcement point takes it; `InvalidField` if it cannot be one."""
    activity = action.properties.processing_activity_id
    if not activity:
        raise InvalidField(
            "action.properties.processing_activity_id",
            "required (NLGov profile): the processing activity (verwerkingsactiviteit)",
        )
    props = resource.properties
    category, team_id, resident = props.category, props.team, props.resident
    if not (category and team_id and resident):
        missing = [k for k in ("category", "team", "resident") if not getattr(props, k)]
        raise InvalidField("resource.properties", f"required: {', '.join(missing)}")
    team = services.register.teams.get(team_id)
    municipality = props.municipality or (team.municipality if team else caller.municipality)
    if team is not None and municipality != team.municipality:
        raise InvalidField("resource.properties.municipality", "does not match the team")
    traceparent = (context.traceparent if context else None) or ctx.traceparent
    return _Evaluation(
        principal=_acting(caller, subject),
        activity=activity,
        action=action.name,
        facts=ResourceFacts(
            id=resource.id,
            type=resource.type,
            category=category,
            team=team_id,
            municipality=municipality,
            resident=services.pseudonymize(resident),
        ),
        ctx=RequestContext.from_headers(ctx.request_id, ctx.now_ns, traceparent),
    )


def _acting(caller: Principal, subject: AuthZenSubject) -> Principal:
    """Who the decision is for: a case system's user, or the caller itself."""
    props = subject.properties
    if CASE_SYSTEM_ROLE in caller.roles:
        if _NOT_DELEGABLE & set(props.roles):
            raise InvalidField("subject.properties.roles", "a case system cannot claim these")
        # Organisation and municipality come from the token, never from the request.
        return Principal(
            sub=subject.id,
            roles=tuple(props.roles),
            organisation=caller.organisation,
            teams=tuple(props.teams),
            municipality=caller.municipality,
        )
    if subject.id != caller.sub:
        raise InvalidField("subject.id", "only a case system may ask for someone else")
    if (props.roles and set(props.roles) != set(caller.roles)) or (
        props.teams and set(props.teams) != set(caller.teams)
    ):
        raise InvalidField("subject.properties", "roles and teams come from the token")
    return caller


def _run(
    services: Services,
    evaluations: list[_Evaluation | InvalidField],
    semantic: str,
    request_id: str,
) -> tuple[list[AuthZenDecision], PolicyError | None]:
    """Decide and audit in order, in one transaction; stop where the semantic says so.

    An engine failure is kept (its refusal is audited like any decision) and returned, so
    the caller raises it after the commit: 503, never a guess.
    """
    answers: list[AuthZenDecision] = []
    failure: PolicyError | None = None
    with session_scope(services.db) as session:
        for i, ev in enumerate(evaluations):
            decision_id = f"{request_id}/{i}"
            if isinstance(ev, InvalidField):
                answer = _refused(decision_id, ev)
            else:
                outcome = services.pep.decide(
                    session, ev.principal, ev.activity, ev.action, [ev.facts], ev.ctx
                )
                failure = failure or outcome.failure
                answer = _answer(outcome.decisions[0], decision_id)
            answers.append(answer)
            if (semantic == "deny_on_first_deny" and not answer.decision) or (
                semantic == "permit_on_first_permit" and answer.decision
            ):
                break
    return answers, failure


def _answer(decision: Decision, decision_id: str) -> AuthZenDecision:
    return AuthZenDecision(
        decision=decision.allow,
        context=AuthZenDecisionContext(
            decision_id=decision_id,
            reasons=[r.model_dump(mode="json", exclude_none=True) for r in decision.reasons],
            basis=decision.basis.model_dump(mode="json") if decision.basis else None,
            redact=list(decision.redact),
            obligations=list(decision.obligations),
        ),
    )


def _refused(decision_id: str, exc: InvalidField) -> AuthZenDecision:
    error: dict[str, Any] = {"status": 422, "field": exc.field, "message": exc.message}
    return AuthZenDecision(
        decision=False,
        context=AuthZenDecisionContext(
            decision_id=decision_id,
            reasons=[{"code": "invalid_request", "message": f"{exc.field}: {exc.message}"}],
            basis=None,
            redact=[],
            error=error,
        ),
    )
