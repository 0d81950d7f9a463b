"""The register patch and the register-terms diff on the shipped register (no database).

Each operation changes exactly what it names; the diff says it in the register's terms
whatever made the change; what the loader refuses is refused with its reason."""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

import pytest

from gateway.web.console.i18n import t
from lifecycle.art30 import record, to_csv
from lifecycle.content import shipped_content
from lifecycle.register_diff import register_changes
from lifecycle.register_patch import PatchRefused, apply_patch, parse_patch

MODULES, DATA = shipped_content()


def _apply(*ops: dict[str, Any]) -> dict[str, Any]:
    return apply_patch(MODULES, DATA, parse_patch(list(ops)))


def test_activity_fields_and_their_legal_basis():
    new = _apply(
        {
            "op": "activity",
            "id": "pw-enforcement",
            "set": {"article": "Participatiewet art. 53a lid 1", "justification_required": True},
            "unset": ["confidential"],
        }
    )
    act = new["register"]["activities"]["pw-enforcement"]
    assert act["legal_basis"]["article"] == "Participatiewet art. 53a lid 1"
    assert "confidential" not in act
    assert register_changes(DATA, new) == [
        "pw-enforcement: held back during an investigation yes → —",
        "pw-enforcement: justification required — → yes",
        "pw-enforcement: article Participatiewet art. 53a → Participatiewet art. 53a lid 1",
    ]
    assert DATA["register"]["activities"]["pw-enforcement"]["confidential"] is True


def test_flows_are_named_by_id_added_changed_and_removed():
    new = _apply(
        {
            "op": "flow",
            "id": "pw-data-to-enforcement",
            "set": {"categories": ["income", "benefit_decision"], "redact": ["content"]},
        },
        {"op": "flow", "id": "enforcement-result-to-benefit", "remove": True},
    )
    assert register_changes(DATA, new) == [
        "flow enforcement-result-to-benefit removed",
        "flow pw-data-to-enforcement: categories loses identity",
        "flow pw-data-to-enforcement: redact — → content",
    ]
    ids = [f["id"] for f in new["register"]["flows"]]
    assert ids == ["pw-data-to-enforcement", "team-report-to-veilig-thuis"]  # order kept
    with pytest.raises(PatchRefused, match="flow no-such-flow does not exist"):
        _apply({"op": "flow", "id": "no-such-flow", "remove": True})


def test_teams_and_regional_services_of_a_profile():
    scope = DATA["profiles"]["kromme-rijn-heuvelland"]["regional_services"]["rsd-krh"]
    new = _apply(
        {
            "op": "team",
            "profile": "zaanstad",
            "id": "wt-nieuw",
            "set": {"label": "Wijkteam Nieuw", "domain": "team", "municipality": "zaanstad"},
        },
        {"op": "team", "profile": "zaanstad", "id": "wt-oost", "remove": True},
        {
            "op": "regional_service",
            "profile": "kromme-rijn-heuvelland",
            "id": "rsd-krh",
            "set": {"activities": [a for a in scope["activities"] if a != "pw-enforcement"]},
        },
    )
    assert register_changes(DATA, new) == [
        "kromme-rijn-heuvelland: regional service rsd-krh: activities loses pw-enforcement",
        "zaanstad: team wt-nieuw added",
        "zaanstad: team wt-oost removed",
    ]


def test_a_dangling_reference_is_refused_and_nothing_changes():
    before = copy.deepcopy(DATA)
    with pytest.raises(PatchRefused) as refused:
        _apply({"op": "team", "profile": "zaanstad", "id": "wt-oost", "set": {"domain": "mars"}})
    assert refused.value.reasons == ["zaanstad: team wt-oost: unknown domain mars"]
    with pytest.raises(PatchRefused, match="profile utrecht does not exist"):
        _apply({"op": "mandates", "profile": "utrecht", "role": "team_lead", "activities": []})
    assert before == DATA


def test_the_art30_record_changes_with_the_register():
    new = _apply({"op": "activity", "id": "statistics", "set": {"retention_days": 30}})
    old_csv = to_csv(record("a", DATA, "zaanstad"), t("en"))
    new_csv = to_csv(record("b", new, "zaanstad"), t("en"))
    assert ",365," in next(line for line in old_csv.splitlines() if line.startswith("statistics"))
    assert ",30," in next(line for line in new_csv.splitlines() if line.startswith("statistics"))


def test_a_label_a_spreadsheet_would_run_is_quoted_as_text():
    new = _apply({"op": "activity", "id": "statistics", "set": {"label": "=HYPERLINK(1)"}})
    rows = list(csv.reader(io.StringIO(to_csv(record("b", new, "zaanstad"), t("en")))))
    [row] = [r for r in rows if r[0] == "statistics"]
    assert row[1] == "'=HYPERLINK(1)"
