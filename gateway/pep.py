"""The enforcement point: every case-data request passes these steps, in this order.

    principal (auth.py) ─┐
    activity (header) ───┤
                         ▼
    1. facts      the resource as the policy sees it (resident → pseudonym)
    2. resident   the resident's consents active at decision time → input.consents, and
                  the subject's active four-eyes exceptions for them → input.exceptions
                  (gateway/facts.py: one query per resident)
    3. decide     policy engine → Decision (any engine error: refusal); a resource whose
                  facts could not be established (`ResourceFacts.refusal`, e.g. a zaaktype
                  the register does not know) is refused without asking the engine
    4. audit      one record per decision: appended in the caller's transaction, or, for a
                  read on PostgreSQL, by the group-commit writer (announced at step 1)
    5. answer     the route commits, then answers; a denied or failed decision raises

Failing closed: if the engine fails, the failure itself is audited as a refusal and the
request gets 503; if the audit append fails, the transaction (and any write in it) rolls back
and the request gets 503. No data leaves without a durable audit record.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog
from sqlmodel import Session

from audit import AuditEntry, AuditStore, AuditWriteFailed, GroupCommitWriter
from audit.writer import Ticket
from gateway import metrics
from gateway.auth import Principal
from gateway.clock import rfc3339
from gateway.db import is_autocommit
from gateway.errors import Denied
from gateway.facts import NO_FACTS, ResidentFacts, resident_facts
from policy import (
    Basis,
    Decision,
    DecisionInput,
    PolicyEngine,
    PolicyError,
    Reason,
)
from policy.contract import BreakGlass, Context, Resource, Subject
from registry import Register

log = structlog.get_logger("doelbinding.pep")

ENGINE_FAILURE = Decision(
    allow=False,
    reasons=(Reason(code="policy_engine_unavailable", message="The policy engine failed."),),
    basis=None,
)


# W3C Trace Context, section 3.2: version, trace-id, parent-id, flags in lower-case hex; a
# future version may add fields after a dash. https://www.w3.org/TR/trace-context/#traceparent-header
_TRACEPARENT = re.compile(
    r"(?P<version>[0-9a-f]{2})-(?P<trace>[0-9a-f]{32})-(?P<parent>[0-9a-f]{16})-"
    r"(?P<flags>[0-9a-f]{2})(?P<rest>-.*)?"
)


def parse_traceparent(value: str | None) -> str | None:
    """The version-00 traceparent of a valid header (55 characters), or None: version ff,
    all-zero ids, upper case, a version 00 with more fields, or anything else is invalid."""
    if not value or len(value) > 512:
        return None
    m = _TRACEPARENT.fullmatch(value)
    if (
        m is None
        or m["version"] == "ff"
        or (m["version"] == "00" and m["rest"] is not None)
        or m["trace"] == "0" * 32
        or m["parent"] == "0" * 16
    ):
        return None
    return f"00-{m['trace']}-{m['parent']}-{m['flags']}"


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    now_ns: int
    traceparent: str = ""
    trace_id: str = field(default_factory=lambda: secrets.token_hex(16))
    span_id: str = field(default_factory=lambda: secrets.token_hex(8))
    #: A written justification for emergency access (`X-Break-Glass-Justification`); it goes
    #: to the policy as `context.break_glass` and stays in the audit record's policy input.
    break_glass: str | None = None

    @classmethod
    def from_headers(cls, request_id: str, now_ns: int, traceparent: str | None) -> RequestContext:
        """Join the caller's W3C trace (`00-<trace>-<parent>-<flags>`) with a span of our own.
        A traceparent that is not valid W3C trace context is ignored, never stored as given."""
        parsed = parse_traceparent(traceparent)
        if parsed is None:
            return cls(request_id, now_ns)
        return cls(request_id, now_ns, parsed, trace_id=parsed[3:35])

    @property
    def details(self) -> dict[str, str]:
        """What the audit record keeps of the caller's trace: the parent span id, if any."""
        parts = self.traceparent.split("-")
        return {"parent_span_id": parts[2].lower()} if len(parts) == 4 else {}


@dataclass(frozen=True)
class ResourceFacts:
    """A record as the policy sees it: no content, the resident as a pseudonym."""

    category: str
    team: str
    municipality: str
    resident: str | None  # None: an aggregate (anonymous counts), about no resident
    id: str | None = None
    type: str = "record"
    #: A refusal the enforcement point records without asking the policy, because the facts
    #: themselves cannot be established (e.g. a zaaktype the register does not know).
    refusal: Reason | None = None


@dataclass(frozen=True)
class Outcome:
    decisions: list[Decision]
    failure: PolicyError | None = None

    @property
    def allowed(self) -> bool:
        return self.failure is None and all(d.allow for d in self.decisions)

    def raise_if_refused(self) -> None:
        """Call after the commit: the audit record is durable, now refuse if needed."""
        if self.failure is not None:
            raise self.failure
        for d in self.decisions:
            if not d.allow:
                raise Denied(d)


@dataclass(frozen=True)
class ActivePolicy:
    """The engine a process decides with and the register it was built from: one reference,
    read once per decision, so that a hot swap never pairs one version's engine with
    another's register (the audit record's purpose comes from the register)."""

    engine: PolicyEngine
    register: Register


class EnforcementPoint:
    def __init__(
        self,
        *,
        policy: Callable[[], ActivePolicy],
        audit: AuditStore,
        pseudonymize: Callable[[str], str],
        writer: GroupCommitWriter | None = None,
        on_append: Callable[[int], None] | None = None,
    ) -> None:
        self._policy = policy
        self._audit = audit
        self.pseudonymize = pseudonymize
        self._writer = writer
        self._on_append = on_append

    @property
    def writer(self) -> GroupCommitWriter | None:
        """The group-commit writer, if reads use one (for /ready)."""
        return self._writer

    def _group_commits(self, session: Session, own_txn: bool) -> bool:
        return (
            own_txn and self._writer is not None and session.get_bind().dialect.name == "postgresql"
        )

    def _append(
        self,
        session: Session,
        entries: list[AuditEntry],
        *,
        own_txn: bool,
        ticket: Ticket | None = None,
    ) -> None:
        """Append first, answer after.

        Reads on PostgreSQL go through group commit (`own_txn`): their records commit in a
        shared transaction before this returns, so the caller's (read-only) transaction has
        nothing left to make durable. Writes stay in the caller's transaction, so the record
        and its audit record commit together or not at all. SQLite: always the caller's
        transaction, which already holds the database's single write lock (BEGIN IMMEDIATE).
        """
        # `append_rows`: the written rows are not needed here, so no AuditRecord is built.
        if self._group_commits(session, own_txn):
            assert self._writer is not None
            self._writer.append_rows(entries, ticket)
        elif is_autocommit(session):
            # No transaction to hold the chain's lock or to roll back with (a bug, not load).
            raise AuditWriteFailed("an append needs a transaction (read_scope is for reads)")
        else:
            self._audit.append_rows(session, entries)
        if self._on_append is not None:
            self._on_append(len(entries))

    def subject_of(self, principal: Principal) -> Subject:
        """A resident acts as their pseudonym; everyone else as their token subject."""
        return Subject(
            id=self.pseudonymize(principal.sub) if principal.is_resident else principal.sub,
            roles=principal.roles,
            organisation=principal.organisation,
            teams=principal.teams,
            municipality=principal.municipality,
        )

    def _announced(
        self, session: Session, action: str
    ) -> contextlib.AbstractContextManager[Ticket | None]:
        if self._writer is not None and self._group_commits(session, action == "read"):
            return self._writer.expecting()
        return contextlib.nullcontext()

    def decide(
        self,
        session: Session,
        principal: Principal,
        activity: str,
        action: str,
        resources: Sequence[ResourceFacts],
        ctx: RequestContext,
        *,
        redacted: Callable[[Sequence[str]], Sequence[str]] | None = None,
    ) -> Outcome:
        """Decide every resource and append one audit record per decision to `session`.

        `redacted` maps a decision's `redact` onto the fields the answer will withhold (an
        upstream resource's own field names); the audit record names those."""
        # A read on PostgreSQL tells the group-commit writer its record is on its way.
        with self._announced(session, action) as ticket:
            subject = self.subject_of(principal)
            active = self._policy()  # one version for every decision of this request
            engine = active.engine
            facts: dict[str | None, ResidentFacts] = {None: NO_FACTS}
            inputs: list[DecisionInput] = []
            decisions: list[Decision] = []
            took: list[float] = []  # seconds per evaluation (-1: not evaluated)
            failure: PolicyError | None = None
            for res in resources:
                if res.resident is not None and res.resident not in facts:
                    facts[res.resident] = resident_facts(
                        session, res.resident, subject.id, subject.organisation, ctx.now_ns
                    )
                known = facts[res.resident]
                inp = DecisionInput(
                    subject=subject,
                    action=action,
                    processing_activity=activity,
                    resource=Resource(
                        type=res.type,
                        id=res.id,
                        category=res.category,
                        team=res.team,
                        municipality=res.municipality,
                        resident=res.resident,
                    ),
                    consents=known.consents,
                    exceptions=known.exceptions,
                    context=Context(
                        now_ns=ctx.now_ns,
                        break_glass=BreakGlass(justification=ctx.break_glass)
                        if ctx.break_glass
                        else None,
                        request_id=ctx.request_id,
                        traceparent=ctx.traceparent,
                    ),
                )
                inputs.append(inp)
                if res.refusal is not None:
                    decisions.append(Decision(allow=False, reasons=(res.refusal,), basis=None))
                    took.append(-1.0)
                    continue
                if failure is None:
                    started = time.perf_counter()
                    try:
                        decisions.append(engine.decide(inp))
                        took.append(time.perf_counter() - started)
                        continue
                    except PolicyError as exc:
                        failure = exc
                        log.error("policy_engine_failed", error=type(exc).__name__)
                decisions.append(ENGINE_FAILURE)
                took.append(-1.0)
            entries = [
                self._entry(inp, dec, res, active, ctx, redacted)
                for inp, dec, res in zip(inputs, decisions, resources, strict=True)
            ]
            self._append(session, entries, own_txn=action == "read", ticket=ticket)
            for inp, dec, seconds in zip(inputs, decisions, took, strict=True):
                outcome = "allow" if dec.allow else "error" if dec is ENGINE_FAILURE else "deny"
                metrics.decided(
                    outcome, activity, dec.reason_codes, active.register.activities, seconds
                )
                log.info(
                    "decision",
                    subject=inp.subject.id,
                    activity=activity,
                    action=action,
                    category=inp.resource.category,
                    record=inp.resource.id,
                    resident_pseudonym=inp.resource.resident,
                    allow=dec.allow,
                    reasons=dec.reason_codes,
                )
            return Outcome(decisions, failure)

    def _entry(
        self,
        inp: DecisionInput,
        dec: Decision,
        res: ResourceFacts,
        active: ActivePolicy,
        ctx: RequestContext,
        redacted: Callable[[Sequence[str]], Sequence[str]] | None = None,
    ) -> AuditEntry:
        act = active.register.activities.get(inp.processing_activity)
        basis: Basis | None = dec.basis
        return AuditEntry(
            event_type=f"{res.type}.{inp.action}",
            occurred_at=rfc3339(ctx.now_ns),
            subject_id=inp.subject.id,
            subject_roles=list(inp.subject.roles),
            organisation=inp.subject.organisation,
            subject_teams=list(inp.subject.teams),
            municipality=inp.subject.municipality,
            resident=res.resident,
            record_id=res.id,
            category=res.category,
            resource_team=res.team,
            action=inp.action,
            processing_activity=inp.processing_activity,
            purpose=act.purpose if act else "",
            allowed=dec.allow,
            reason_codes=dec.reason_codes,
            basis_type=basis.type.value if basis else None,
            basis_ref=basis.ref if basis else None,
            consent_id=basis.ref if basis and basis.type == "consent" else None,
            redacted=list(redacted(dec.redact) if redacted and dec.allow else dec.redact),
            policy_revision=active.engine.revision,
            request_id=ctx.request_id,
            trace_id=ctx.trace_id,
            span_id=ctx.span_id,
            details=ctx.details,
            # A refusal of the enforcement point itself was no policy decision: nothing to replay.
            policy_input=None if res.refusal is not None else inp.to_policy_input(),
        )

    def record_event(
        self,
        session: Session,
        principal: Principal,
        event_type: str,
        resident: str,
        ctx: RequestContext,
        *,
        consent_id: str | None = None,
        activity: str = "",
        details: dict[str, str] | None = None,
    ) -> None:
        """Audit an event that is not a policy decision (a consent given or withdrawn, entries
        of the resident's access log held back)."""
        subject = self.subject_of(principal)
        active = self._policy()
        self._append(
            session,
            [
                AuditEntry(
                    event_type=event_type,
                    occurred_at=rfc3339(ctx.now_ns),
                    subject_id=subject.id,
                    subject_roles=list(subject.roles),
                    organisation=subject.organisation,
                    subject_teams=list(subject.teams),
                    municipality=subject.municipality,
                    resident=resident,
                    action=event_type.rsplit(".", 1)[-1],
                    allowed=True,
                    consent_id=consent_id,
                    policy_revision=active.engine.revision,
                    request_id=ctx.request_id,
                    trace_id=ctx.trace_id,
                    span_id=ctx.span_id,
                    processing_activity=activity,
                    purpose=act.purpose
                    if (act := active.register.activities.get(activity))
                    else "",
                    details={**ctx.details, **(details or {})},
                )
            ],
            own_txn=False,
        )
