"""The embedded engine hands regopy only what the policy reads (policy/embedded.py,
`input_shape`): the input projected onto the memo analysis's paths, most-read keys first.

The property test decides generated requests over all six profiles twice, with the whole
input (`project_input=False`, as before) and projected, after varying what the policy does
not read (`resource.id`, `context.request_id`, `context.traceparent`) and adding fields no
policy names (a hostile client's extras); the whole decision must be the same. Dropping a
path the policy does read from the shape (e.g. `subject.teams`) makes it fail.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy import EmbeddedEngine, load_modules, parse_decision
from policy.contract import BreakGlass
from policy.embedded import input_shape
from policy.memo import analyse
from tests.policy.test_policy_invariants import near_requests, register, requests
from tests.policy.test_policy_memo import _allowing


@cache
def engines(profile: str) -> tuple[EmbeddedEngine, EmbeddedEngine]:
    """(whole input, projected input) for the profile's register, no memo."""
    modules, data = load_modules(), register(profile)
    return (
        EmbeddedEngine(modules, data, memo_size=0, project_input=False),
        EmbeddedEngine(modules, data, memo_size=0),
    )


PROJECTION = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROJECTION
@given(
    near_requests() | requests(),
    st.sampled_from(["r-1", "r-2", ""]),
    st.sampled_from(["", "q", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]),
    st.sampled_from([None, "", "   ", "Spoed: kind in gevaar."]),
    st.booleans(),
)
def test_projected_and_whole_input_decide_alike(
    req: Any, record: str, trace: str, justification: str | None, extras: bool
) -> None:
    profile, inp = req
    whole, projected = engines(profile)
    assert projected._shape is not None
    variant = inp.model_copy(
        update={
            "resource": inp.resource.model_copy(update={"id": record}),
            "context": inp.context.model_copy(
                update={
                    "request_id": trace,
                    "traceparent": trace,
                    "break_glass": None
                    if justification is None
                    else BreakGlass(justification=justification),
                }
            ),
        }
    )
    for doc in (inp.to_policy_input(), variant.to_policy_input()):
        if extras:
            doc = copy.deepcopy(doc)
            doc["resource"]["note"] = "not read"
            doc["subject"]["nickname"] = {"teams": ["wt-oost"]}
            doc["elsewhere"] = {"action": "read"}
            if isinstance(doc["context"].get("break_glass"), dict):
                doc["context"]["break_glass"]["by"] = "u-2"
        assert projected.evaluate(doc) == whole.evaluate(doc)


def test_the_shape_is_the_memo_paths_most_read_first() -> None:
    footprint = analyse(load_modules())
    shape = input_shape(footprint)

    def leaves(level: dict[str, Any], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
        out: set[tuple[str, ...]] = set()
        for k, below in level.items():
            out |= {(*prefix, k)} if below is None else leaves(below, (*prefix, k))
        return out

    assert leaves(shape) == set(footprint.paths)
    resource, context = shape["resource"], shape["context"]
    assert resource is not None
    assert context is not None
    assert "id" not in resource
    assert "request_id" not in context
    assert "traceparent" not in context
    # `input.resource.team` is named more often than `input.resource.type` (read once, into
    # `rtype`), so it goes first.
    order = list(resource)
    assert order.index("team") < order.index("type")


def test_a_policy_the_analysis_refuses_gets_the_whole_input() -> None:
    # `input.resource[k]` reads all of `resource`: projected, `note` is kept.
    engine = EmbeddedEngine(
        _allowing('k := "note"\n\tinput.resource[k] == "read me"'), {}, memo_size=0
    )
    assert engine._shape == {"resource": None}
    doc = {"resource": {"note": "read me"}, "subject": {"id": "u-1"}}
    assert parse_decision(engine.evaluate(doc)).allow
    # A whole reference to `input` refuses the analysis: nothing is projected.
    engine = EmbeddedEngine(
        _allowing('x := input\n\tx.resource.note == "read me"'), {}, memo_size=0
    )
    assert engine._shape is None
    assert parse_decision(engine.evaluate(doc)).allow
