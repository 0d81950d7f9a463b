"""The decision memo (policy/memo.py): memoised and fresh decisions agree, the analysis refuses
what its key could not cover, break-glass is always evaluated, failures are never stored.

The property test shares one memo per profile across all generated examples, so later
examples hit entries that earlier ones stored: inputs that differ only in fields the key
drops (`resource.id`, `context.request_id`, `context.traceparent`) and in `now_ns` moved
across every consent and exception window bound (±1 ns) must get the decision a fresh
evaluation gives.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy import (
    ConsentFact,
    Context,
    DecisionInput,
    EmbeddedEngine,
    InvalidDecision,
    Resource,
    Subject,
    load_modules,
    parse_decision,
)
from policy.contract import BreakGlass
from policy.memo import TIME_PATH, Unmemoisable, analyse
from tests.policy.test_policy_invariants import near_requests, register, requests

NOW = 1_748_736_000_000_000_000
DAY = 86_400 * 10**9


@cache
def memoised(profile: str) -> EmbeddedEngine:
    engine = EmbeddedEngine(load_modules(), register(profile))
    assert engine.memo is not None
    return engine


def _fresh(engine: EmbeddedEngine, inp: DecisionInput) -> Any:
    return parse_decision(engine.evaluate(inp.to_policy_input()))


def _times(inp: DecisionInput) -> list[int]:
    """`now_ns` on, just before and just after every window bound of the request."""
    bounds = {NOW}
    for c in inp.consents:
        bounds |= {c.valid_from_ns, c.valid_until_ns}
    for e in inp.exceptions:
        bounds |= {e.valid_from_ns, e.valid_until_ns}
    return sorted({t + d for t in bounds for d in (-1, 0, 1) if t + d > 0})


MEMO = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _neighbours(inp: DecisionInput) -> list[DecisionInput]:
    """Requests one field away from `inp` in what the policy does read: if the key left one
    of these out, a neighbour would hit the entry of `inp` (or the reverse)."""
    subject, resource = inp.subject, inp.resource
    return [
        inp.model_copy(update={"consents": ()}),
        inp.model_copy(update={"exceptions": ()}),
        inp.model_copy(update={"consents": inp.consents[:1] + inp.consents[2:]}),
        inp.model_copy(update={"action": "create" if inp.action == "read" else "read"}),
        inp.model_copy(
            update={
                "subject": subject.model_copy(
                    update={"id": "p-1" if subject.id != "p-1" else "u-1"}
                )
            }
        ),
        inp.model_copy(update={"subject": subject.model_copy(update={"teams": subject.teams[1:]})}),
        inp.model_copy(update={"subject": subject.model_copy(update={"roles": subject.roles[:1]})}),
        inp.model_copy(update={"resource": resource.model_copy(update={"resident": "p-2"})}),
        inp.model_copy(update={"resource": resource.model_copy(update={"type": "audit_log"})}),
    ]


@MEMO
@given(near_requests() | requests(), st.sampled_from(["r-1", "r-2"]), st.sampled_from(["", "q"]))
def test_memoised_and_fresh_decisions_agree(req: Any, record: str, request_id: str) -> None:
    profile, inp = req
    engine = memoised(profile)
    for near, times, glass in (
        (inp, _times(inp), (inp.context.break_glass, None)),
        *((n, (inp.context.now_ns,), (None,)) for n in _neighbours(inp)),
    ):
        plain = near.context.model_copy(update={"break_glass": None})
        for now in times:
            for bg in glass:
                variant = near.model_copy(
                    update={
                        "resource": near.resource.model_copy(update={"id": record}),
                        "context": plain.model_copy(
                            update={"now_ns": now, "break_glass": bg, "request_id": request_id}
                        ),
                    }
                )
                assert engine.decide(variant) == _fresh(engine, variant)


def test_the_property_test_reaches_the_memo() -> None:
    """The generated requests above are not all misses: inputs that differ only in fields
    the policy does not read, or in `now_ns` within one window, share a key."""
    engine = memoised("zaanstad")
    assert engine.memo is not None
    inp = _consented(NOW)
    key = engine.memo.key(inp.to_policy_input())
    other = inp.model_copy(
        update={
            "resource": inp.resource.model_copy(update={"id": "r-other"}),
            "context": Context(now_ns=NOW + 5, request_id="x", traceparent="y"),
        }
    )
    assert key is not None
    assert engine.memo.key(other.to_policy_input()) == key
    # Across the consent's end the key changes, and so does the decision.
    ended = inp.model_copy(update={"context": Context(now_ns=NOW + DAY)})
    assert engine.memo.key(ended.to_policy_input()) != key
    assert engine.decide(inp).allow
    assert not engine.decide(ended).allow


def _consented(now: int) -> DecisionInput:
    return DecisionInput(
        subject=Subject(
            id="u-1",
            roles=("team_generalist",),
            organisation="gemeente-zaanstad",
            teams=("wt-west",),
            municipality="zaanstad",
        ),
        action="read",
        processing_activity="wmo-support",
        resource=Resource(
            type="record",
            id="r-1",
            category="intake_notes",
            team="wt-oost",
            municipality="zaanstad",
            resident="p-1",
        ),
        consents=(
            ConsentFact(
                id="c-1",
                categories=("intake_notes",),
                processing_activities=("wmo-support",),
                recipients=("wt-west",),
                valid_from_ns=NOW - DAY,
                valid_until_ns=NOW + DAY,
            ),
        ),
        context=Context(now_ns=now),
    )


def test_the_shipped_policy_is_memoised_with_time_as_a_position() -> None:
    footprint = analyse(load_modules())
    assert footprint.time_ordinal
    assert TIME_PATH in footprint.paths
    # What the policy never reads is not in the key.
    for unread in (("resource", "id"), ("context", "request_id"), ("context", "traceparent")):
        assert not any(unread[: len(p)] == p for p in footprint.paths)


# --- the analysis refuses -----------------------------------------------------------------

BASE = """package doelbinding.authz

import rego.v1

default decision := {
	"allow": false,
	"reasons": [{"code": "x", "message": "m", "message_nl": "m"}],
	"basis": null,
	"redact": [],
	"obligations": [],
}

"""


def _allowing(body: str, extra: str = "") -> dict[str, str]:
    rule = (
        'decision := {"allow": true, "reasons": [{"code": "y", "message": "m", "message_nl": "m"}],'
        ' "basis": {"type": "role", "ref": "r"}, "redact": [], "obligations": []} if {\n'
        f"\t{body}\n}}\n"
    )
    return {"authz.rego": BASE + rule + extra}


@pytest.mark.parametrize(
    ("body", "extra"),
    [
        ('input[k] == "read"\n\tk := "action"', ""),
        ("count(input) > 0", ""),
        ('x := input\n\tx.action == "read"', ""),
        ('f(input.action) with input as {"action": "read"}', 'f(a) if a == "read"\n'),
        ("time.now_ns() > 0", ""),
        ('rand.intn("k", 10) == 1', ""),
        ('http.send({"method": "get", "url": "http://x"}).status_code == 200', ""),
        ('uuid.rfc4122("k") != ""', ""),
        ('opa.runtime().env.X == "1"', ""),
        ('trace("x")', ""),
    ],
)
def test_the_analysis_refuses_what_it_cannot_cover(body: str, extra: str) -> None:
    modules = _allowing(body, extra)
    with pytest.raises(Unmemoisable):
        analyse(modules)
    assert EmbeddedEngine(modules, {}).memo is None


def test_an_import_of_input_is_refused() -> None:
    modules = _allowing('s.action == "read"')
    modules["authz.rego"] = modules["authz.rego"].replace(
        "import rego.v1\n", "import rego.v1\nimport input as s\n"
    )
    with pytest.raises(Unmemoisable):
        analyse(modules)


def test_strings_and_comments_are_not_read_as_code() -> None:
    body = 'input.action == "input[x] time.now_ns()"  # input[y] with input as rand.intn()'
    footprint = analyse(_allowing(body))
    assert footprint.paths == (("action",),)


@pytest.mark.parametrize(
    "body",
    [
        # arithmetic on now_ns, or on the other operand
        "input.context.now_ns + 1 < input.until",
        "input.context.now_ns < input.until - 1",
        # now_ns bound to a variable, then compared
        "now := input.context.now_ns\n\tnow < input.until",
        # compared with a computed number (count), through a plain-looking variable
        "n := count(input.items)\n\tinput.context.now_ns < n",
        # a function argument that is an expression, not an input element
        "f(count(input.items))",
        # not a comparison
        "is_number(input.context.now_ns)",
    ],
)
def test_now_ns_outside_a_plain_comparison_goes_into_the_key_as_is(body: str) -> None:
    extra = "f(c) if input.context.now_ns < c\n"
    footprint = analyse(_allowing(body, extra))
    assert not footprint.time_ordinal
    # The memo then keeps now_ns itself: one ns apart is another key.
    engine = EmbeddedEngine(_allowing(body, extra), {})
    assert engine.memo is not None
    keys = {
        engine.memo.key({"context": {"now_ns": t}, "until": NOW, "items": [1]})
        for t in (NOW - 2, NOW - 1)
    }
    assert len(keys) == 2


def test_now_ns_compared_with_an_element_of_the_input_is_a_position() -> None:
    body = "some c in input.windows\n\tc.from <= input.context.now_ns\n\tg(c)"
    extra = "g(w) if input.context.now_ns < w.until\n"
    footprint = analyse(_allowing(body, extra))
    assert footprint.time_ordinal
    engine = EmbeddedEngine(_allowing(body, extra), {})
    assert engine.memo is not None
    window = {"windows": [{"from": 10, "until": 20}]}
    key = engine.memo.key
    at = {t: key({**window, "context": {"now_ns": t}}) for t in (5, 9, 10, 11, 19, 20, 21)}
    assert at[10] != at[9]
    assert at[10] != at[11]
    assert at[11] == key({**window, "context": {"now_ns": 15}})
    assert at[19] == at[11]
    assert at[20] != at[19]
    assert at[21] != at[20]
    assert at[5] == at[9]
    for t in (5, 9, 10, 11, 15, 19, 20, 21):
        doc = {**window, "context": {"now_ns": t}}
        assert cast(dict[str, Any], engine.evaluate(doc))["allow"] is (10 <= t < 20)


# --- break-glass, failures ----------------------------------------------------------------


def test_break_glass_is_never_memoised() -> None:
    engine = EmbeddedEngine(load_modules(), register("zaanstad"))
    assert engine.memo is not None
    inp = _consented(NOW).model_copy(
        update={"context": Context(now_ns=NOW, break_glass=BreakGlass(justification="Spoed."))}
    )
    assert engine.memo.key(inp.to_policy_input()) is None
    calls: list[object] = []
    evaluate = engine.evaluate

    def counting(doc: Any) -> object:
        calls.append(doc)
        return evaluate(doc)

    engine.evaluate = counting  # type: ignore[method-assign,assignment]
    first, second = engine.decide(inp), engine.decide(inp)
    assert first == second == _fresh(engine, inp)
    assert len(calls) == 3  # both decisions evaluated (and the fresh one)
    assert len(engine.memo) == 0
    assert engine.memo.stats()["bypassed"] == 2
    # The same request without break-glass is memoised: the second decision is a hit.
    plain = inp.model_copy(update={"context": Context(now_ns=NOW)})
    engine.decide(plain)
    engine.decide(plain)
    assert len(calls) == 4
    assert len(engine.memo) == 1


def test_a_failure_is_never_memoised() -> None:
    # No default: the decision is undefined for any action but "read" (InvalidDecision).
    modules = {
        "authz.rego": BASE.replace("default decision", "other")
        + _allowing('input.action == "read"')["authz.rego"][len(BASE) :]
    }
    engine = EmbeddedEngine(modules, {})
    assert engine.memo is not None
    inp = _consented(NOW).model_copy(update={"action": "create"})
    for _ in range(2):
        with pytest.raises(InvalidDecision):
            engine.decide(inp)
    assert len(engine.memo) == 0
    assert engine.decide(_consented(NOW)).allow
    assert len(engine.memo) == 1


def test_the_memo_is_bounded() -> None:
    engine = EmbeddedEngine(load_modules(), register("zaanstad"), memo_size=3)
    assert engine.memo is not None
    for i in range(6):
        engine.decide(_consented(NOW).model_copy(update={"processing_activity": f"a-{i}"}))
    assert len(engine.memo) == 3


def test_a_new_version_decides_with_a_new_memo() -> None:
    """A swap installs a new engine; its memo starts empty, so a version that decides
    differently is followed from its first decision."""
    inp = _consented(NOW)
    old = EmbeddedEngine(load_modules(), register("zaanstad"))
    assert old.decide(inp).allow
    assert old.decide(inp).allow
    modules = load_modules()
    given = (
        'allow(\n\t"consent_given",\n'
        '\t"The resident\'s valid consent covers this category, activity and recipient.",\n'
        '\t"De inwoner heeft toestemming gegeven voor deze gegevens, dit doel en deze'
        ' ontvanger.",\n'
        '\t"consent",\n\tconsent_id\n)'
    )
    assert given in modules["authz.rego"]
    modules["authz.rego"] = modules["authz.rego"].replace(
        given, 'deny("consent_required", "Consent required.", "Toestemming nodig.")'
    )
    new = EmbeddedEngine(modules, register("zaanstad"))
    assert new.revision != old.revision
    assert new.decide(inp).reason_codes == ["consent_required"]


def test_a_copy_with_an_update_is_decided_on_its_own_input() -> None:
    """`model_copy(update=…)` after a decision used to keep the original's cached policy
    input (pydantic copies `__dict__`), so the copy was decided, and memoised, as the
    original."""
    inp = _consented(NOW)
    inp.to_policy_input()
    later = inp.model_copy(update={"context": Context(now_ns=NOW + DAY)})
    assert later.to_policy_input()["context"]["now_ns"] == NOW + DAY
