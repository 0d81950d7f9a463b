"""Properties of the shipped policy over generated requests (hypothesis)."""

from __future__ import annotations

import importlib
import importlib.util
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy import (
    ConsentFact,
    Context,
    DecisionInput,
    EmbeddedEngine,
    ExceptionFact,
    Resource,
    Subject,
    load_modules,
)
from registry import load_register

REG = load_register("zaanstad").policy_data()
ROLES = [*sorted(REG["roles"]), "intruder"]
ACTIVITIES = [*sorted(REG["activities"]), "curiosity"]
CATEGORIES = [*sorted(REG["categories"]), "diary"]
TEAM_CATEGORIES = sorted(k for k, c in REG["categories"].items() if c["domain"] == "team")
DOMAINS = ["team", "work_income", "enforcement", "town_hall", "veilig_thuis", "resident"]
TEAMS = ["wt-oost", "wt-west", "wi-zaanstad"]
NOW = 1_748_736_000_000_000_000
DAY = 86_400 * 10**9

consents = st.lists(
    st.builds(
        ConsentFact,
        id=st.sampled_from(["c-1", "c-2", "c-3", "c-x"]),
        categories=st.lists(st.sampled_from(CATEGORIES), max_size=3).map(tuple),
        processing_activities=st.lists(st.sampled_from(ACTIVITIES), max_size=3).map(tuple),
        recipients=st.lists(
            st.sampled_from([*DOMAINS, *TEAMS, "gemeente-zaanstad", "rsd-krh"]), max_size=3
        ).map(tuple),
        valid_from_ns=st.sampled_from([0, NOW - DAY, NOW, NOW + DAY]),
        valid_until_ns=st.sampled_from([0, NOW - DAY, NOW, NOW + DAY]),
    ),
    max_size=4,
).map(tuple)

exceptions = st.lists(
    st.builds(
        ExceptionFact,
        id=st.sampled_from(["x-1", "x-2", "x-3"]),
        subject=st.sampled_from(["u-1", "u-1", "p-1", "u-2"]),
        categories=st.lists(st.sampled_from(CATEGORIES), max_size=3).map(tuple),
        processing_activities=st.lists(st.sampled_from(ACTIVITIES), max_size=3).map(tuple),
        valid_from_ns=st.sampled_from([0, NOW - DAY, NOW, NOW + DAY]),
        valid_until_ns=st.sampled_from([0, NOW - DAY, NOW, NOW + DAY]),
    ),
    max_size=3,
).map(tuple)


@st.composite
def requests(
    draw: Any, roles: Any = None, activities: Any = None, categories: Any = None
) -> DecisionInput:
    own = draw(st.booleans())
    resident = "p-1"
    return DecisionInput(
        subject=Subject(
            id=resident if own else "u-1",
            roles=tuple(
                draw(
                    roles
                    if roles is not None
                    else st.lists(st.sampled_from(ROLES), min_size=1, max_size=2)
                )
            ),
            organisation="gemeente-zaanstad",
            teams=tuple(draw(st.lists(st.sampled_from(TEAMS), max_size=2))),
            municipality="zaanstad",
        ),
        action=draw(st.sampled_from(["read", "create"])),
        processing_activity=draw(
            activities if activities is not None else st.sampled_from(ACTIVITIES)
        ),
        resource=Resource(
            type=draw(st.sampled_from(["record", "record", "audit_log"])),
            id="r-1",
            category=draw(categories if categories is not None else st.sampled_from(CATEGORIES)),
            team=draw(st.sampled_from(TEAMS)),
            municipality=draw(st.sampled_from(["zaanstad", "zaanstad", "haarlem"])),
            resident=resident,
        ),
        consents=draw(consents),
        exceptions=draw(exceptions),
        context=Context(now_ns=NOW),
    )


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(
    requests(
        roles=st.just(["enforcement_officer"]),
        activities=st.just("pw-enforcement"),
        categories=st.sampled_from(TEAM_CATEGORIES),
    )
)
def test_enforcement_never_reads_support_data(inp: DecisionInput) -> None:
    engine = _engine()
    assert engine.decide(inp).allow is False


@FAST
@given(requests(), consents)
def test_adding_consents_never_turns_an_allow_into_a_deny(inp: DecisionInput, extra: Any) -> None:
    engine = _engine()
    before = engine.decide(inp)
    after = engine.decide(inp.model_copy(update={"consents": inp.consents + extra}))
    assert not (before.allow and not after.allow)


@FAST
@given(requests(), exceptions)
def test_adding_exceptions_never_turns_an_allow_into_a_deny(inp: DecisionInput, extra: Any) -> None:
    engine = _engine()
    before = engine.decide(inp)
    after = engine.decide(inp.model_copy(update={"exceptions": inp.exceptions + extra}))
    assert not (before.allow and not after.allow)


@FAST
@given(requests())
def test_every_decision_has_a_reason_and_every_allow_a_basis(inp: DecisionInput) -> None:
    decision = _engine().decide(inp)
    assert len(decision.reasons) == 1
    assert decision.allow == (decision.basis is not None)


@FAST
@given(requests())
def test_another_municipality_is_never_allowed(inp: DecisionInput) -> None:
    if inp.resource.municipality != inp.subject.municipality:
        decision = _engine().decide(inp)
        assert not decision.allow
        # Unknown ids are reported first; otherwise the municipality is the reason.
        assert decision.reason_codes[0] in {
            "other_municipality",
            "unknown_role",
            "unknown_action",
            "unknown_resource_type",
        }


_ENGINE: list[EmbeddedEngine] = []


def _engine() -> EmbeddedEngine:
    # Built once for the module; hypothesis forbids function-scoped fixtures in @given.
    if not _ENGINE:
        _ENGINE.append(EmbeddedEngine(load_modules(), REG))
    return _ENGINE[0]


HAS_OPA = importlib.util.find_spec("opa_bindings") is not None
if not HAS_OPA and os.environ.get("CI", "").lower() == "true":
    raise ImportError("real OPA (opa-golib-python-bindings) is required under CI=true")
_OPA: list[Any] = []


@pytest.mark.skipif(not HAS_OPA, reason="opa-golib-python-bindings (real OPA) not installed")
@FAST
@given(requests())
def test_regopy_and_real_opa_decide_alike(inp: DecisionInput) -> None:
    """Differential: the whole decision from regopy equals real OPA's, input by input."""
    if not _OPA:
        opa = importlib.import_module("opa_bindings").OpaEngine()
        for name, source in load_modules().items():
            opa.add_policy(name, source)
        opa.add_data({"doelbinding": {"register": REG}})
        _OPA.append(opa)
    doc = inp.to_policy_input()
    assert _engine().evaluate(doc) == _OPA[0].eval_document("doelbinding.authz.decision", doc)
