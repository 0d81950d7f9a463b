"""Issue 13, item 2: a draft must compile, and decide alike, in real OPA too.

The gateway serves every version as an OPA bundle; a module regopy accepts and OPA refuses
would break every OPA sidecar. A draft's test runs the decision tables on both engines, and a
version that either engine refuses, or on which they disagree, cannot be approved. Without
real OPA the test fails closed.

The API tests run on SQLite and PostgreSQL (the `database_url` fixture)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lifecycle.checks import run_tests
from lifecycle.content import shipped_content
from policy import load_modules
from policy.golib import available

from .test_policy_lifecycle import PO_1, PO_2

if not available():
    if os.environ.get("CI", "").lower() == "true":
        raise ImportError("real OPA (opa-golib-python-bindings) is required under CI=true")
    pytest.skip("opa-golib-python-bindings (real OPA) not installed", allow_module_level=True)

#: regopy compiles this; OPA's compiler refuses it (rego_unsafe_var_error: `y` is never bound).
#: One of the modules regopy accepts and OPA refuses, found by the same probing as
#: /work/shared/rego-conformance (also: `x := count(1)`, `default x := input.y`).
UNSAFE = "package doelbinding.extra\n\nimport rego.v1\n\nlarge if {\n\ty > 10\n}\n"
#: regopy walks a set in insertion order, OPA sorted (rego-conformance README: `concat` gives
#: "c,a,b"): the same decision with a different message.
MESSAGE = (
    '"support_data_stays_in_team",\n'
    '\t"Support data stays in the team; no legal basis lets it flow to this activity.",'
)
SET_MESSAGE = '"support_data_stays_in_team",\n\tconcat(", ", {"team", "support", "stays"}),'


def _draft(client, token, modules, message):
    resp = client.post(
        "/v1/policies", json={"message": message, "modules": modules}, headers=token(*PO_1)
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["revision"]


def test_a_module_opa_refuses_cannot_be_approved(client, token):
    modules = {**load_modules(), "extra.rego": UNSAFE}
    rev = _draft(client, token, modules, "a helper rule")

    test = client.post(f"/v1/policies/{rev}/test", headers=token(*PO_1))
    assert test.status_code == 200, test.text
    report = test.json()
    assert report["passed"] is False
    assert report["engines"]["regopy"]["status"] == "passed"  # regopy alone would let it through
    assert report["engines"]["opa"]["status"] == "compile_error"
    [error] = report["compile_errors"]
    assert (error["engine"], error["file"], error["line"]) == ("opa", "extra.rego", 6)
    assert "rego_unsafe_var_error" in error["message"]
    assert "var y is unsafe" in error["message"]

    assert client.post(f"/v1/policies/{rev}/simulate", headers=token(*PO_1)).status_code == 200
    refused = client.post(f"/v1/policies/{rev}/approve", headers=token(*PO_2))
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "OPA refuses it: extra.rego:6: rego_unsafe_var_error: var y is unsafe" in detail
    versions = client.get("/v1/policies", headers=token(*PO_2)).json()
    assert {v["revision"]: v["state"] for v in versions}[rev] == "draft"


def test_the_shipped_policy_passes_on_both_engines_alike(client, token):
    modules = load_modules()
    modules["authz.rego"] += "\n# A comment.\n"
    rev = _draft(client, token, modules, "a comment")
    report = client.post(f"/v1/policies/{rev}/test", headers=token(*PO_1)).json()
    assert report["passed"] is True
    assert report["engines"]["regopy"]["status"] == report["engines"]["opa"]["status"] == "passed"
    assert report["engines"]["opa"]["total"] == report["summary"]["total"] > 100
    assert report["disagreements"] == {"count": 0, "cases": []}
    assert all(c["engines_agree"] for c in report["cases"])


def test_a_version_the_engines_decide_differently_fails_its_test() -> None:
    """Both engines meet every table's expectation (codes, basis, redactions), but their
    decision documents differ in a message: a disagreement, and the test fails."""
    modules, data = shipped_content()
    assert MESSAGE in modules["authz.rego"]
    modules = {**modules, "authz.rego": modules["authz.rego"].replace(MESSAGE, SET_MESSAGE)}
    report = run_tests(modules, data)
    assert report["passed"] is False
    assert report["compile_errors"] == []
    assert report["disagreements"]["count"] > 0
    disagreeing = [c for c in report["cases"] if c["engines_agree"] is False]
    assert len(disagreeing) == report["disagreements"]["count"]
    assert all(c["diff"] == [] and c["opa"]["diff"] == [] for c in disagreeing)

    from lifecycle.service import test_failure

    assert "regopy and OPA decide" in test_failure(report)


def test_without_real_opa_a_draft_fails_closed(tmp_path: Path, monkeypatch) -> None:
    """The child processes import what the parent's sys.path finds first: a binding that
    does not import stands for one that is not installed."""
    (tmp_path / "opa_bindings.py").write_text("raise ImportError('not here')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    report = run_tests(*shipped_content())
    assert report["passed"] is False
    assert report["engines"]["regopy"]["status"] == "passed"
    assert report["engines"]["opa"]["status"] == "unavailable"
    [error] = report["compile_errors"]
    assert error["engine"] == "opa"
    assert "not installed" in error["message"]
    assert "--ignore-requires-python" in error["message"]
