"""One contract, both engines: every decision-table case and every fail-closed case.

The `engine_kind` fixture runs each test on the embedded engine (regopy) and on the OPA
engine. The OPA side talks to `tests/fakes/opa_server.py` (OPA's REST wire format on
127.0.0.1, real OPA's evaluator behind it), or to a real OPA when
`DOELBINDING_TEST_OPA_URL` names one:

    opa run --server --addr 127.0.0.1:8181 &
    DOELBINDING_TEST_OPA_URL=http://127.0.0.1:8181 pytest tests/policy/test_engine_contract.py

(the suite pushes its own modules and data there, so use a throwaway OPA).
On OPA the decision must also be *identical* to the embedded one, field by field.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import pytest

from policy import (
    Case,
    DecisionInput,
    EngineKind,
    InvalidDecision,
    PolicyCompileError,
    PolicyEngine,
    PolicyUnavailable,
    build_engine,
    case_to_input,
    load_cases,
    load_modules,
    revision,
)
from policy.tables import check
from registry import load_register
from tests.fakes.opa_server import FakeOpaServer

REAL_OPA_URL = os.environ.get("DOELBINDING_TEST_OPA_URL", "")
HEAD = "package doelbinding.authz\n\nimport rego.v1\n\n"
DATA: dict[str, Any] = {"profile": "test"}
# Sorted by profile, so an OPA server is re-pushed once per profile, not once per case.
CASES = sorted(load_cases(), key=lambda c: c.profile)


@cache
def register_data(profile: str) -> Mapping[str, Any]:
    return load_register(profile).policy_data()


class Engines:
    """Builds engines of one kind. One OPA server holds one version at a time, so building
    any engine there invalidates the engine of the profile pushed before it."""

    def __init__(self, kind: EngineKind, opa_url: str | None) -> None:
        self.kind = kind
        self.opa_url = opa_url
        self._profile: tuple[str, PolicyEngine] | None = None

    def build(self, modules: Mapping[str, str], data: Mapping[str, Any]) -> PolicyEngine:
        self._profile = None
        return build_engine(self.kind, modules, data, opa_url=self.opa_url)

    def for_profile(self, profile: str) -> PolicyEngine:
        if self._profile is None or self._profile[0] != profile:
            engine = self.build(load_modules(), register_data(profile))
            self._profile = (profile, engine)
        return self._profile[1]


@pytest.fixture(scope="session")
def opa_url() -> Iterator[str]:
    if REAL_OPA_URL:
        yield REAL_OPA_URL
        return
    with FakeOpaServer() as fake:
        yield fake.url


@pytest.fixture(scope="session")
def embedded_engines() -> Engines:
    return Engines(EngineKind.EMBEDDED, None)


@pytest.fixture(scope="session", params=[EngineKind.EMBEDDED, EngineKind.OPA])
def engines(request: pytest.FixtureRequest, embedded_engines: Engines) -> Engines:
    if request.param is EngineKind.EMBEDDED:
        return embedded_engines
    return Engines(EngineKind.OPA, request.getfixturevalue("opa_url"))


# -- every decision-table case -----------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[f"{c.profile}:{c.name}" for c in CASES])
def test_decision_table_case(engines: Engines, embedded_engines: Engines, case: Case) -> None:
    inp: DecisionInput = case_to_input(case, register_data(case.profile))
    got = engines.for_profile(case.profile).decide(inp)
    assert check(case, got) == ()
    if engines.kind is not EngineKind.EMBEDDED:
        assert got == embedded_engines.for_profile(case.profile).decide(inp)


def test_revision_is_the_content_hash(engines: Engines) -> None:
    data = register_data("zaanstad")
    assert engines.for_profile("zaanstad").revision == revision(load_modules(), data)


# -- failing closed -------------------------------------------------------------------------


def _input() -> DecisionInput:
    return case_to_input(CASES[0], register_data(CASES[0].profile))


MALFORMED = {
    "missing-keys": 'decision := {"allow": true}\n',
    "string-allow": 'decision := {"allow": "yes", "reasons": [{"code": "a", "message": "b"}],'
    ' "basis": null}\n',
    "allow-without-basis": 'decision := {"allow": true, "reasons": [{"code": "a", "message":'
    ' "b"}], "basis": null}\n',
    "no-reasons": 'decision := {"allow": false, "reasons": [], "basis": null}\n',
    "unknown-basis-type": 'decision := {"allow": true, "reasons": [{"code": "a", "message":'
    ' "b"}], "basis": {"type": "friendship", "ref": "x"}}\n',
    "extra-key": 'decision := {"allow": false, "reasons": [{"code": "a", "message": "b"}],'
    ' "basis": null, "extra": 1}\n',
    "bare-true": "decision := true\n",
    "array": "decision := [1, 2]\n",
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_decision_is_refused(engines: Engines, body: str) -> None:
    engine = engines.build({"authz.rego": HEAD + body}, DATA)
    with pytest.raises(InvalidDecision):
        engine.decide(_input())


def test_an_undefined_decision_is_refused(engines: Engines) -> None:
    body = 'decision := {"allow": true} if input.action == "never"\n'
    engine = engines.build({"authz.rego": HEAD + body}, DATA)
    with pytest.raises(InvalidDecision, match="undefined"):
        engine.decide(_input())


def test_a_module_that_does_not_parse_names_file_and_line(engines: Engines) -> None:
    with pytest.raises(PolicyCompileError) as info:
        engines.build({"authz.rego": HEAD + 'decision := {\n\t"allow": ]\n}\n'}, DATA)
    assert info.value.file == "authz.rego"
    assert info.value.line == 6


def test_no_modules_is_a_compile_error(engines: Engines) -> None:
    with pytest.raises(PolicyCompileError):
        engines.build({}, DATA)


def test_a_well_formed_decision_is_parsed(engines: Engines) -> None:
    body = (
        'decision := {"allow": true, "reasons": [{"code": "ok", "message": "m"}],'
        ' "basis": {"type": "role", "ref": "Wmo"}, "redact": ["x"], "obligations": []}\n'
    )
    decision = engines.build({"authz.rego": HEAD + body}, DATA).decide(_input())
    assert decision.allow
    assert decision.redact == ("x",)


# -- the OPA adapter's own failures: always against a fake, where faults can be switched on --


@pytest.fixture
def fake() -> Iterator[FakeOpaServer]:
    with FakeOpaServer() as server:
        yield server


def _opa(fake: FakeOpaServer, timeout: float = 0.5) -> PolicyEngine:
    return build_engine(
        EngineKind.OPA, load_modules(), register_data("zaanstad"), opa_url=fake.url,
        opa_timeout=timeout,
    )  # fmt: skip


def test_opa_pushes_modules_and_register_through_the_rest_api(fake: FakeOpaServer) -> None:
    _opa(fake)
    assert ("PUT", "/v1/data/doelbinding/register") in fake.requests
    assert ("PUT", "/v1/policies/doelbinding/authz.rego") in fake.requests
    assert fake.data == {"doelbinding": {"register": register_data("zaanstad")}}


def test_opa_removes_modules_of_an_earlier_version(fake: FakeOpaServer) -> None:
    modules = {**load_modules(), "extra.rego": "package doelbinding.extra\n\nx := 1\n"}
    build_engine(EngineKind.OPA, modules, register_data("zaanstad"), opa_url=fake.url)
    assert "doelbinding/extra.rego" in fake.policies
    _opa(fake)
    assert "doelbinding/extra.rego" not in fake.policies


def test_opa_timeout_is_a_refusal(fake: FakeOpaServer) -> None:
    engine = _opa(fake, timeout=0.2)
    fake.delay_seconds = 0.5
    with pytest.raises(PolicyUnavailable, match="timed out"):
        engine.decide(_input())


@pytest.mark.parametrize("status", [500, 400, 404])
def test_opa_error_status_is_a_refusal(fake: FakeOpaServer, status: int) -> None:
    engine = _opa(fake)
    fake.fail_status = status
    with pytest.raises(PolicyUnavailable, match=f"HTTP {status}"):
        engine.decide(_input())


def test_opa_gone_is_a_refusal(fake: FakeOpaServer) -> None:
    engine = _opa(fake)
    fake.stop()
    with pytest.raises(PolicyUnavailable):
        engine.decide(_input())


def test_opa_unreachable_at_start_is_a_refusal() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PolicyUnavailable):
        build_engine(EngineKind.OPA, load_modules(), DATA, opa_url=f"http://127.0.0.1:{port}")


def test_opa_undefined_register_path_is_a_refusal(fake: FakeOpaServer) -> None:
    engine = _opa(fake)
    fake.delete_policy("doelbinding/authz.rego")
    with pytest.raises(InvalidDecision, match="undefined"):
        engine.decide(_input())


@pytest.mark.parametrize(
    ("url", "message"),
    [(None, "needs opa_url"), ("ftp://x", "http"), ("http://127.0.0.1:8181/opa", "path")],
)
def test_opa_configuration_errors_fail_at_start(url: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_engine(EngineKind.OPA, load_modules(), DATA, opa_url=url)
