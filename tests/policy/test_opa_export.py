"""The exported `_test.rego` files pass on real OPA (see also the differential property test).

Real OPA here is `opa-golib-python-bindings` (OPA's Go `rego` package in a c-shared
library; it embeds OPA v1.20.2). Its metadata says Python >= 3.14, but its wrapper is
plain ctypes and works on 3.11: install it with `pip install --ignore-requires-python
opa-golib-python-bindings==0.4.4`. `make install` does that. Without it these tests
skip locally and fail under CI=true; `opa test DIR` with the OPA binary checks the same files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from policy import export_opa_tests, load_cases
from policy.export import TEST_PACKAGE, opa_test_names

try:
    import opa_bindings  # type: ignore[import-not-found,import-untyped,unused-ignore]
except ImportError:
    if os.environ.get("CI", "").lower() == "true":
        raise
    pytest.skip("opa-golib-python-bindings (real OPA) not installed", allow_module_level=True)

DataFor = Callable[[str], Mapping[str, Any]]


def _opa(files: list[Path], data: Mapping[str, Any]) -> Any:
    engine = opa_bindings.OpaEngine()
    for path in files:
        if path.suffix == ".rego":
            engine.add_policy(path.name, path.read_text(encoding="utf-8"))
    engine.add_data(dict(data))
    return engine


def test_every_exported_test_passes_on_real_opa(tmp_path: Path, data_for_profile: DataFor) -> None:
    cases = load_cases()
    files = export_opa_tests(cases, data_for_profile, tmp_path)
    assert {p.name for p in files} >= {"authz.rego", "data.json", "01_support_test.rego"}
    engine = _opa(files, json.loads((tmp_path / "data.json").read_text(encoding="utf-8")))
    results = engine.eval_document(TEST_PACKAGE)
    names = opa_test_names(cases)
    assert len(names) == len(cases)
    failing = [n for n in names if results.get(n) is not True]
    assert failing == []


def test_a_wrong_expectation_fails_on_real_opa(tmp_path: Path, data_for_profile: DataFor) -> None:
    case = next(c for c in load_cases() if c.name == "enforcement officer reads intake notes")
    wrong = case.model_copy(update={"expect": case.expect.model_copy(update={"allow": True})})
    files = export_opa_tests([wrong], data_for_profile, tmp_path)
    engine = _opa(files, json.loads((tmp_path / "data.json").read_text(encoding="utf-8")))
    [name] = opa_test_names([wrong])
    assert engine.eval_document(TEST_PACKAGE).get(name) is not True
