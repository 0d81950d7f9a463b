"""The law's invariants, over random subjects, activities, categories, consents and times in
every municipality profile (hypothesis). Run by `make test` with the rest of pytest.

1. A team-domain category is never allowed for an enforcement activity, whatever the
   roles, consents, emergency justification or profile (records: an audit log holds
   metadata only, an aggregate no one's data).
2. A decision with basis `consent` cites a consent that is active at `now_ns` and covers
   exactly that category and activity, names a unit the subject belongs to or its
   organisation as recipient (issue 17, finding 6), for an activity
   where the register admits consent.
3. A subject never gets another municipality's data, except through a regional service
   the profile lists for that municipality, in that service's own domains.
4. A decision with basis `exception` cites an exception granted to that subject, active at
   `now_ns` (approved, not ended) and covering exactly that category and activity, for a
   record read under a consent-admissible activity the category belongs to; it always
   carries `review`.
5. (Issue 17.) Data held in the team domain (a team category, or identity a team holds)
   reaches another domain's activity only by consent, or by a justified report to Veilig
   Thuis from the reporter's own team.
6. An exception or emergency access reads only data held in the activity's own domain, in
   the subject's municipality; emergency access only for a member of a unit of that domain.
7. A regional service acts only under the activities mandated to it, in its domains, for
   the municipalities it serves, on its domains' data unless a consent covers it.
8. A team lead alone reads no record.
5-8 run over `near_requests()` too: requests one step from an allow, in all six profiles
(each of them fails against the register and policy before issue 17).

The same generated inputs also go to real OPA (when installed), so the rules added for
issue 3 (emergency access, handover, aggregates, regional services) stay in the subset
both engines evaluate identically.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy import (
    BasisType,
    ConsentFact,
    Context,
    DecisionInput,
    EmbeddedEngine,
    ExceptionFact,
    Resource,
    Subject,
    load_modules,
)
from policy.contract import BreakGlass
from registry import available_profiles, load_register

PROFILES = available_profiles()
NOW = 1_748_736_000_000_000_000
DAY = 86_400 * 10**9
TIMES = [0, NOW - DAY, NOW - 1, NOW, NOW + 1, NOW + DAY]
DOMAINS = ["team", "work_income", "enforcement", "town_hall", "veilig_thuis", "resident"]
JUSTIFICATIONS = [None, "", "   ", "Spoed: kind in gevaar."]


@cache
def register(profile: str) -> dict[str, Any]:
    return load_register(profile).policy_data()


@cache
def engine(profile: str) -> EmbeddedEngine:
    return EmbeddedEngine(load_modules(), register(profile))


@st.composite
def requests(draw: Any, profile: str | None = None, enforcement_only: bool = False) -> Any:
    """A random request against a random (or the given) profile: mostly known ids, some not."""
    prof = profile or draw(st.sampled_from(PROFILES))
    reg = register(prof)
    municipalities = [*sorted(reg["municipalities"]), "elders"]
    organisations = [
        *(f"gemeente-{m}" for m in municipalities),
        *sorted(reg["regional_services"]),
        "rsd-krh",
        "ijmond-werkt",
    ]
    activities = [*sorted(reg["activities"]), "curiosity"]
    categories = [*sorted(reg["categories"]), "diary"]
    teams = [*sorted(reg["teams"]), "wt-mars"]
    if enforcement_only:
        activities = sorted(
            k for k, a in reg["activities"].items() if a["purpose"] == "enforcement"
        )
        categories = sorted(k for k, c in reg["categories"].items() if c["domain"] == "team")
    activity = draw(st.sampled_from(activities))
    # Recipients: units and organisations (what a consent names), and domains (what one
    # named before 0006c, which counts for nobody).
    recipients = st.lists(st.sampled_from([*DOMAINS, *teams, *organisations]), max_size=3).map(
        tuple
    )
    consents = st.lists(
        st.builds(
            ConsentFact,
            id=st.sampled_from(["c-1", "c-2", "c-3"]),
            categories=st.lists(st.sampled_from(categories), max_size=3).map(tuple),
            processing_activities=st.lists(
                st.sampled_from([activity, *activities]), max_size=2
            ).map(tuple),
            recipients=recipients,
            valid_from_ns=st.sampled_from(TIMES),
            valid_until_ns=st.sampled_from(TIMES),
        ),
        max_size=4,
    ).map(tuple)
    subject_id = "p-1" if draw(st.booleans()) else "u-1"
    exceptions = st.lists(
        st.builds(
            ExceptionFact,
            id=st.sampled_from(["x-1", "x-2", "x-3"]),
            subject=st.sampled_from([subject_id, "u-2"]),
            categories=st.lists(st.sampled_from(categories), max_size=3).map(tuple),
            processing_activities=st.lists(
                st.sampled_from([activity, *activities]), max_size=2
            ).map(tuple),
            valid_from_ns=st.sampled_from(TIMES),
            valid_until_ns=st.sampled_from(TIMES),
        ),
        max_size=3,
    ).map(tuple)
    justification = draw(st.sampled_from(JUSTIFICATIONS))
    return prof, DecisionInput(
        subject=Subject(
            id=subject_id,
            roles=tuple(
                draw(st.lists(st.sampled_from([*sorted(reg["roles"]), "root"]), max_size=2))
            ),
            organisation=draw(st.sampled_from(organisations)),
            teams=tuple(draw(st.lists(st.sampled_from(teams), max_size=2))),
            municipality=draw(st.sampled_from(municipalities)),
        ),
        action=draw(st.sampled_from(["read", "read", "create", "handover", "delete"])),
        processing_activity=activity,
        resource=Resource(
            type=draw(st.sampled_from(["record", "record", "record", "audit_log", "aggregate"])),
            id="r-1",
            category=draw(st.sampled_from(categories)),
            team=draw(st.sampled_from(teams)),
            municipality=draw(st.sampled_from(municipalities)),
            resident="p-1",
        ),
        consents=draw(consents),
        exceptions=draw(exceptions),
        context=Context(
            now_ns=draw(st.sampled_from(TIMES[1:])),
            break_glass=None if justification is None else BreakGlass(justification=justification),
        ),
    )


MANY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@MANY
@given(requests(enforcement_only=True))
def test_team_data_is_never_allowed_for_an_enforcement_activity(req: Any) -> None:
    profile, inp = req
    decision = engine(profile).decide(inp)
    # An audit log (metadata, for the privacy officer) or an aggregate holds no team data.
    if inp.resource.type == "record":
        assert decision.allow is False


@MANY
@given(requests())
def test_team_data_never_reaches_enforcement_in_any_request(req: Any) -> None:
    profile, inp = req
    reg = register(profile)
    act = reg["activities"].get(inp.processing_activity)
    cat = reg["categories"].get(inp.resource.category)
    decision = engine(profile).decide(inp)
    record = inp.resource.type == "record"
    if record and act and cat and act["purpose"] == "enforcement" and cat["domain"] == "team":
        assert decision.allow is False


@MANY
@given(requests())
def test_a_consent_basis_cites_a_consent_that_covers_exactly_this_request(req: Any) -> None:
    profile, inp = req
    decision = engine(profile).decide(inp)
    if decision.basis is None or decision.basis.type is not BasisType.CONSENT:
        return
    act = register(profile)["activities"][inp.processing_activity]
    assert act["consent_admissible"] is True
    [cited] = [c for c in inp.consents if c.id == decision.basis.ref][:1]
    matching = [
        c
        for c in inp.consents
        if c.id == decision.basis.ref
        and inp.resource.category in c.categories
        and inp.processing_activity in c.processing_activities
        and (
            inp.subject.organisation in c.recipients
            or any(t in c.recipients for t in inp.subject.teams)
        )
        and c.valid_from_ns <= inp.context.now_ns
        and (c.valid_until_ns == 0 or inp.context.now_ns < c.valid_until_ns)
    ]
    assert matching, f"consent {cited.id} does not cover the request"


@MANY
@given(requests(profile="kromme-rijn-heuvelland") | requests())
def test_another_municipalitys_data_only_through_a_listed_regional_service(req: Any) -> None:
    profile, inp = req
    decision = engine(profile).decide(inp)
    if not decision.allow or inp.resource.municipality == inp.subject.municipality:
        if decision.allow:
            assert inp.subject.municipality in register(profile)["municipalities"]
        return
    service = register(profile)["regional_services"].get(inp.subject.organisation)
    assert service is not None, "another municipality's data without a regional service"
    assert inp.resource.municipality in service["serves"]
    domain = register(profile)["activities"][inp.processing_activity]["domain"]
    assert domain in service["domains"]


@MANY
@given(requests())
def test_break_glass_always_carries_a_review_and_a_justification(req: Any) -> None:
    profile, inp = req
    decision = engine(profile).decide(inp)
    if decision.basis is not None and decision.basis.type is BasisType.BREAK_GLASS:
        assert decision.obligations == ("review",)
        assert inp.context.break_glass is not None
        assert inp.context.break_glass.justification.strip()


@MANY
@given(requests())
def test_an_exception_basis_cites_an_active_exception_covering_exactly_this_request(
    req: Any,
) -> None:
    profile, inp = req
    decision = engine(profile).decide(inp)
    if decision.basis is None or decision.basis.type is not BasisType.EXCEPTION:
        return
    act = register(profile)["activities"][inp.processing_activity]
    assert inp.action == "read"
    assert inp.resource.type == "record"
    assert act["consent_admissible"] is True
    assert inp.resource.category in act["categories"]
    assert decision.obligations == ("review",)
    now = inp.context.now_ns
    assert [
        e
        for e in inp.exceptions
        if e.id == decision.basis.ref
        and e.subject == inp.subject.id
        and inp.resource.category in e.categories
        and inp.processing_activity in e.processing_activities
        and e.valid_from_ns <= now < e.valid_until_ns
    ], f"exception {decision.basis.ref} does not cover the request"


HAS_OPA = importlib.util.find_spec("opa_bindings") is not None
_OPA: dict[str, Any] = {}


@pytest.mark.skipif(not HAS_OPA, reason="opa-golib-python-bindings (real OPA) not installed")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_regopy_and_real_opa_decide_alike_in_every_profile(req: Any) -> None:
    profile, inp = req
    if profile not in _OPA:
        opa = importlib.import_module("opa_bindings").OpaEngine()
        for name, source in load_modules().items():
            opa.add_policy(name, source)
        opa.add_data({"doelbinding": {"register": register(profile)}})
        _OPA[profile] = opa
    doc = inp.to_policy_input()
    assert engine(profile).evaluate(doc) == _OPA[profile].eval_document(
        "doelbinding.authz.decision", doc
    )


# --- issue 17: the law's boundaries, over all six profiles ------------------------------------


def _data_domain(reg: dict[str, Any], inp: DecisionInput) -> str | None:
    """The domain the record is held in: its category's, or the holding unit's for `shared`."""
    cat = reg["categories"].get(inp.resource.category)
    if cat is None:
        return None
    if cat["domain"] != "shared":
        return str(cat["domain"])
    team = reg["teams"].get(inp.resource.team)
    return None if team is None else str(team["domain"])


@st.composite
def near_requests(draw: Any) -> Any:
    """Requests close to an allow, so the boundaries below are actually exercised: a role
    mandated for the activity (or a team lead), the record's municipality, often the record's
    own team or another unit of some domain, a regional service's organisation now and then,
    consents and exceptions naming this category and activity, and a justification half the
    time. (`requests()` reaches an allow too rarely to test what an allow may be.)"""
    prof = draw(st.sampled_from(PROFILES))
    reg = register(prof)
    activity = draw(st.sampled_from(sorted(reg["activities"])))
    mandated = sorted(r for r, acts in reg["mandates"].items() if activity in acts)
    roles = draw(st.lists(st.sampled_from([*mandated, "team_lead"]), min_size=1, max_size=2))
    team = draw(st.sampled_from(sorted(reg["teams"])))
    municipality = reg["teams"][team]["municipality"]
    served = sorted(
        org for org, s in reg["regional_services"].items() if municipality in s["serves"]
    )
    organisation = draw(st.sampled_from([f"gemeente-{municipality}", *served]))
    if organisation in served and draw(st.booleans()):
        municipality = draw(st.sampled_from(sorted(reg["municipalities"])))
        team = draw(st.sampled_from(sorted(reg["teams"])))
    own = draw(st.sampled_from(["own", "other", "none"]))
    others = sorted(t for t in reg["teams"] if t != team) or [team]
    teams = {"own": (team,), "other": (draw(st.sampled_from(others)),), "none": ()}[own]
    category = draw(st.sampled_from(sorted(reg["categories"])))
    # The consent names the subject's unit, its organisation, or another unit.
    recipient = draw(st.sampled_from([*teams, organisation, draw(st.sampled_from(others))]))
    consents = tuple(
        ConsentFact(
            id="c-1",
            categories=(category,),
            processing_activities=(activity,),
            recipients=(recipient,),
            valid_from_ns=0,
            valid_until_ns=0,
        )
        for _ in range(draw(st.integers(0, 1)))
    )
    exceptions = tuple(
        ExceptionFact(
            id="x-1",
            subject="u-1",
            categories=(category,),
            processing_activities=(activity,),
            valid_from_ns=NOW - DAY,
            valid_until_ns=NOW + DAY,
        )
        for _ in range(draw(st.integers(0, 1)))
    )
    justification = draw(st.sampled_from([None, "Spoed: kind in gevaar."]))
    return prof, DecisionInput(
        subject=Subject(
            id="u-1",
            roles=tuple(roles),
            organisation=organisation,
            teams=teams,
            municipality=municipality,
        ),
        action=draw(st.sampled_from(["read", "read", "create", "handover"])),
        processing_activity=activity,
        resource=Resource(
            type="record",
            id="r-1",
            category=category,
            team=team,
            municipality=reg["teams"][team]["municipality"]
            if organisation not in served
            else draw(st.sampled_from(sorted(reg["municipalities"]))),
            resident="p-1",
        ),
        consents=consents,
        exceptions=exceptions,
        context=Context(
            now_ns=NOW,
            break_glass=None if justification is None else BreakGlass(justification=justification),
        ),
    )


LAW = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@LAW
@given(near_requests() | requests())
def test_team_held_data_reaches_another_domain_only_by_consent_or_the_meldrecht(
    req: Any,
) -> None:
    """No profile lets a team-domain category, or a shared one a team holds, reach another
    domain's activity without the resident's consent; the one exception is a report to Veilig
    Thuis (the meldrecht) from the reporter's own team, justified and reviewed."""
    profile, inp = req
    reg = register(profile)
    decision = engine(profile).decide(inp)
    act = reg["activities"].get(inp.processing_activity)
    if not decision.allow or inp.resource.type != "record" or act is None:
        return
    if _data_domain(reg, inp) != "team" or act["domain"] == "team":
        return
    if act["purpose"] == "own_access":
        return  # rule 6: the resident reads their own data, wherever it is held
    assert decision.basis is not None
    if decision.basis.type is BasisType.CONSENT:
        return
    assert list(decision.reason_codes) == ["justified_report"], decision
    assert inp.resource.team in inp.subject.teams
    assert decision.obligations == ("review",)


@LAW
@given(near_requests() | requests())
def test_exceptions_and_emergency_access_stay_inside_one_domain_and_municipality(
    req: Any,
) -> None:
    """An exception or emergency access reads only data held in the activity's own domain, in
    the subject's municipality; emergency access only for a member of a unit of that domain."""
    profile, inp = req
    reg = register(profile)
    decision = engine(profile).decide(inp)
    if not decision.allow or decision.reason_codes[0] not in {
        "exception_approved",
        "emergency_access",
    }:
        return
    act = reg["activities"][inp.processing_activity]
    assert inp.action == "read"
    assert inp.resource.type == "record"
    assert _data_domain(reg, inp) == act["domain"]
    if inp.subject.organisation not in reg["regional_services"]:
        assert inp.resource.municipality == inp.subject.municipality
    if decision.reason_codes[0] == "emergency_access":
        assert any(
            reg["teams"].get(t, {}).get("domain") == act["domain"] for t in inp.subject.teams
        )


@LAW
@given(near_requests() | requests(profile="kromme-rijn-heuvelland"))
def test_a_regional_service_acts_on_its_domains_data_under_its_mandate(req: Any) -> None:
    """A regional service's staff act only under the activities mandated to the service, in
    its domains, on data held in its domains (other data only by consent); its seat gives it
    no municipality of its own."""
    profile, inp = req
    reg = register(profile)
    service = reg["regional_services"].get(inp.subject.organisation)
    decision = engine(profile).decide(inp)
    if service is None or not decision.allow or inp.resource.type != "record":
        return
    assert inp.processing_activity in service["activities"]
    assert reg["activities"][inp.processing_activity]["domain"] in service["domains"]
    assert inp.resource.municipality in service["serves"]
    assert decision.basis is not None
    if decision.basis.type is not BasisType.CONSENT:
        assert _data_domain(reg, inp) in service["domains"]


@LAW
@given(near_requests())
def test_a_team_lead_reads_no_record_content(req: Any) -> None:
    """A team lead oversees (counts); only a lead who also holds a team role reads a file."""
    profile, inp = req
    decision = engine(profile).decide(inp)
    if set(inp.subject.roles) == {"team_lead"} and inp.resource.type == "record":
        assert decision.allow is False
