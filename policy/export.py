"""Write the decision tables as `_test.rego` files that real `opa test DIR` runs unchanged.

    DIR/authz.rego …              the policy modules, copied
    DIR/data.json                 {"doelbinding_test": {"registers": {<profile>: register}}}
    DIR/<table>_test.rego         package doelbinding.authz_test, one `test_…` rule per case

Each test evaluates the decision `with input as {…}` and with `data.doelbinding.register`
replaced by its profile's register, so one directory covers every profile.

These files are for OPA only: regopy crashes on `with input as` over built-ins (see the
rego-conformance notes), so the project itself runs the same tables through `set_input`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from policy.bundle import canonical_json, load_modules
from policy.tables import Case, case_to_input

TEST_PACKAGE = "doelbinding.authz_test"


def export_opa_tests(
    cases: Sequence[Case],
    data_for_profile: Callable[[str], Mapping[str, Any]],
    out_dir: Path,
    modules: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write modules, `data.json` and one `_test.rego` per table file; return the paths."""
    modules = load_modules() if modules is None else modules
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, source in sorted(modules.items()):
        written.append(_write(out_dir / name, source))
    profiles = sorted({c.profile for c in cases})
    registers = {p: data_for_profile(p) for p in profiles}
    data = {"doelbinding_test": {"registers": registers}}
    written.append(_write(out_dir / "data.json", json.dumps(data, indent=1, sort_keys=True) + "\n"))
    by_table: dict[str, list[Case]] = {}
    for case in cases:
        by_table.setdefault(Path(case.file or "cases.yaml").stem, []).append(case)
    used: set[str] = set()
    for table, table_cases in sorted(by_table.items()):
        rules = [_test_rule(c, registers[c.profile], used) for c in table_cases]
        text = _header(table) + "\n".join(rules)
        written.append(_write(out_dir / f"{_ident(table)}_test.rego", text))
    return written


def opa_test_names(cases: Sequence[Case]) -> list[str]:
    """The `test_…` rule name each case gets, in order (the same as the exported files)."""
    used: set[str] = set()
    return [_unique_name(c, used) for c in cases]


def _header(table: str) -> str:
    return (
        f"# Generated from policy/cases/{table}.yaml by `doelbinding policy export-opa-tests`.\n"
        "# Do not edit: change the table and export again.\n"
        f"package {TEST_PACKAGE}\n\n"
        "import rego.v1\n\n"
        "import data.doelbinding.authz\n\n"
    )


def _test_rule(case: Case, register: Mapping[str, Any], used: set[str]) -> str:
    doc = case_to_input(case, register).to_policy_input()
    exp = case.expect
    checks = [
        f"d.allow == {json.dumps(exp.allow)}",
        "d.basis == null"
        if exp.basis is None
        else f"d.basis.type == {json.dumps(exp.basis.value)}",
    ]
    if exp.basis_ref is not None:
        checks.append(f"d.basis.ref == {json.dumps(exp.basis_ref)}")
    checks.append(f"[r.code | some r in d.reasons] == {json.dumps(list(exp.reasons))}")
    checks.append(f"d.redact == {json.dumps(list(exp.redact))}")
    checks.append(f"d.obligations == {json.dumps(list(exp.obligations))}")
    body = "\n".join(f"\t{c}" for c in checks)
    comment = f"# {case.name}" + (f"\n# {case.why}" if case.why else "")
    return (
        f"{comment}\n"
        f"{_unique_name(case, used)} if {{\n"
        f"\td := authz.decision with input as {canonical_json(doc)}\n"
        f"\t\twith data.doelbinding.register as "
        f"data.doelbinding_test.registers[{json.dumps(case.profile)}]\n"
        f"{body}\n"
        "}\n"
    )


def _unique_name(case: Case, used: set[str]) -> str:
    base = "test_" + _ident(case.name)
    name, n = base, 2
    while name in used:
        name, n = f"{base}_{n}", n + 1
    used.add(name)
    return name


def _ident(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "case"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
