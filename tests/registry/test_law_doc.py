"""docs/law.md is the page a privacy officer checks the register against the law from: it
must name every activity, flow and `no_basis` entry, and its mandate and regional-service
tables must be exactly what each profile holds."""

from __future__ import annotations

from pathlib import Path

from registry import available_profiles, load_register

DOC = (Path(__file__).parents[2] / "docs" / "law.md").read_text(encoding="utf-8")


def _table(heading_row: str) -> list[list[str]]:
    """The rows of the markdown table whose header starts with `heading_row`."""
    section = DOC.split(heading_row, 1)[1]
    rows = []
    for line in section.splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_every_activity_flow_and_no_basis_entry_is_on_the_page() -> None:
    reg = load_register("zaanstad")
    names = [*reg.activities, *(f.id for f in reg.flows), *(n.id for n in reg.no_basis)]
    missing = [n for n in names if f"| `{n}` |" not in DOC]
    assert missing == []


def test_the_mandate_table_is_what_each_profile_holds() -> None:
    header = "| role | " + " | ".join(available_profiles_in_doc_order()) + " |"
    rows = _table(header)
    profiles = available_profiles_in_doc_order()
    assert sorted(profiles) == available_profiles()
    shown = {(row[0], p): row[i + 1] for row in rows for i, p in enumerate(profiles)}
    for profile in profiles:
        reg = load_register(profile)
        assert {r for r, _ in shown} == set(reg.mandates)
        for role, acts in reg.mandates.items():
            assert shown[(role, profile)] == (", ".join(acts) or "\u2013"), (role, profile)


def test_the_regional_service_table_is_what_the_profiles_hold() -> None:
    rows = _table("| regional service | profile |")
    expected = [
        [f"`{key}`", profile, ", ".join(s.serves), ", ".join(s.domains), ", ".join(s.activities)]
        for profile in available_profiles()
        for key, s in load_register(profile).regional_services.items()
    ]
    assert sorted(rows) == sorted(expected)


def available_profiles_in_doc_order() -> list[str]:
    line = next(line for line in DOC.splitlines() if line.startswith("| role | "))
    return [cell.strip() for cell in line.strip("|").split("|")[1:]]
