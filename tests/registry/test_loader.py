"""The register loader: the Zaanstad profile, refusal of dangling ids, and the policy's view."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from registry import (
    InvalidRegister,
    Register,
    RegistryError,
    UnknownProfile,
    available_profiles,
    load_register,
)
from registry.loader import DATA_DIR, PROFILES_DIR


@pytest.fixture(scope="module")
def zaanstad() -> Register:
    return load_register("zaanstad")


def test_zaanstad_loads_with_its_eleven_wijkteams(zaanstad: Register) -> None:
    wijkteams = [k for k in zaanstad.teams if k.startswith("wt-")]
    assert len(wijkteams) == 11
    assert {zaanstad.teams[k].domain for k in wijkteams} == {"team"}
    assert zaanstad.profile == "zaanstad"
    assert set(zaanstad.municipalities) == {"zaanstad"}


def test_consent_is_admissible_only_where_the_register_says_so(zaanstad: Register) -> None:
    admissible = {k for k, a in zaanstad.activities.items() if a.consent_admissible}
    assert admissible == {"wmo-support", "signalling", "pw-reintegration"}


def test_an_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(UnknownProfile) as caught:
        load_register("atlantis")
    assert caught.value.profile == "atlantis"
    assert (
        caught.value.known
        == available_profiles()
        == [
            "haarlem",
            "hilversum",
            "kromme-rijn-heuvelland",
            "texel",
            "velsen",
            "zaanstad",
        ]
    )
    assert "zaanstad" in str(caught.value)
    assert isinstance(caught.value, RegistryError)


# --- a broken register, written to tmp_path -------------------------------------------------------


Edit = Callable[[dict[str, Any], dict[str, Any]], None]


@pytest.fixture
def broken(tmp_path: Path) -> Iterator[Callable[[Edit], tuple[Path, Path]]]:
    """Copy the shipped register and Zaanstad profile, let a test break them, return the paths."""

    def write(edit: Edit) -> tuple[Path, Path]:
        base = yaml.safe_load((DATA_DIR / "register.yaml").read_text(encoding="utf-8"))
        prof = yaml.safe_load((PROFILES_DIR / "zaanstad.yaml").read_text(encoding="utf-8"))
        edit(base, prof)
        (tmp_path / "profiles").mkdir(exist_ok=True)
        register_file = tmp_path / "register.yaml"
        register_file.write_text(yaml.safe_dump(base), encoding="utf-8")
        (tmp_path / "profiles" / "zaanstad.yaml").write_text(yaml.safe_dump(prof), encoding="utf-8")
        return register_file, tmp_path / "profiles"

    yield write
    shutil.rmtree(tmp_path / "profiles", ignore_errors=True)


def _load(paths: tuple[Path, Path]) -> Register:
    return load_register("zaanstad", register_file=paths[0], profiles_dir=paths[1])


def test_the_copied_register_loads(broken: Callable[[Edit], tuple[Path, Path]]) -> None:
    """The fixture itself changes nothing: every failure below is the edit's doing."""
    assert _load(broken(lambda _base, _prof: None)) == load_register("zaanstad")


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        pytest.param(
            lambda b, _p: b["categories"].__setitem__(
                "tax", {"domain": "belastingen", "label": "x"}
            ),
            ["category tax", "belastingen"],
            id="category domain",
        ),
        pytest.param(
            lambda b, _p: b["activities"]["wmo-support"].__setitem__("purpose", "suport"),
            ["activity wmo-support", "suport"],
            id="activity purpose",
        ),
        pytest.param(
            lambda b, _p: b["activities"]["signalling"]["categories"].append("helth"),
            ["activity signalling", "helth"],
            id="activity category",
        ),
        pytest.param(
            lambda b, _p: b["flows"][0]["activities"].append("pw-enforcment"),
            ["flow pw-data-to-enforcement", "pw-enforcment"],
            id="flow activity",
        ),
        pytest.param(
            lambda b, _p: b["flows"][1].__setitem__("to_domain", "work-income"),
            ["flow enforcement-result-to-benefit", "work-income"],
            id="flow domain",
        ),
        pytest.param(
            lambda _b, p: p["teams"]["wt-oost"].__setitem__("municipality", "zaandam"),
            ["team wt-oost", "zaandam"],
            id="team municipality",
        ),
        pytest.param(
            lambda _b, p: p["teams"]["wt-oost"].__setitem__("domain", "shared"),
            ["team wt-oost", "shared"],
            id="team in the pseudo-domain of shared categories",
        ),
        pytest.param(
            lambda _b, p: p["mandates"].__setitem__("bookkeeper", ["wmo-support"]),
            ["bookkeeper"],
            id="mandate role",
        ),
        pytest.param(
            lambda _b, p: p["mandates"]["team_generalist"].append("wmo-suport"),
            ["mandates team_generalist", "wmo-suport"],
            id="mandate activity",
        ),
    ],
)
def test_a_dangling_id_is_refused_by_name(
    broken: Callable[[Edit], tuple[Path, Path]], edit: Edit, named: list[str]
) -> None:
    with pytest.raises(InvalidRegister) as caught:
        _load(broken(edit))
    for part in named:
        assert part in caught.value.problem
    assert isinstance(caught.value, RegistryError)


def test_every_dangling_id_is_reported_at_once(
    broken: Callable[[Edit], tuple[Path, Path]],
) -> None:
    def two_typos(b: dict[str, Any], p: dict[str, Any]) -> None:
        b["activities"]["signalling"]["categories"].append("helth")
        p["mandates"]["team_generalist"].append("wmo-suport")

    with pytest.raises(InvalidRegister) as caught:
        _load(broken(two_typos))
    assert "helth" in caught.value.problem
    assert "wmo-suport" in caught.value.problem


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda b, _p: b["activities"]["wmo-support"].pop("legal_basis"), id="missing field"
        ),
        pytest.param(
            lambda b, _p: b["activities"]["wmo-support"].__setitem__("colour", "red"),
            id="unknown field",
        ),
    ],
)
def test_a_malformed_register_is_refused(
    broken: Callable[[Edit], tuple[Path, Path]], edit: Edit
) -> None:
    with pytest.raises(InvalidRegister, match="wmo-support"):
        _load(broken(edit))


def test_a_register_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    register_file = tmp_path / "register.yaml"
    register_file.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(InvalidRegister, match="mapping"):
        load_register("zaanstad", register_file=register_file)


# --- what the policy gets -------------------------------------------------------------------------


def _leaves(value: Any, keys: set[str]) -> Iterator[Any]:
    if isinstance(value, dict):
        for k, v in value.items():
            keys.add(k)
            yield from _leaves(v, keys)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v, keys)
    else:
        yield value


def test_policy_data_holds_ids_and_rules_but_no_labels_or_explanations(
    zaanstad: Register,
) -> None:
    data = zaanstad.policy_data()
    keys: set[str] = set()
    leaves = set(_leaves(data, keys))

    human_text = {
        *(x.label for x in zaanstad.domains.values()),
        *(x.label for x in zaanstad.purposes.values()),
        *(x.label for x in zaanstad.roles.values()),
        *(c.label for c in zaanstad.categories.values()),
        *(t.label for t in zaanstad.teams.values()),
        *(m.label for m in zaanstad.municipalities.values()),
        *(a.label for a in zaanstad.activities.values()),
        *(a.legal_basis.explanation for a in zaanstad.activities.values()),
        *(a.legal_basis.link for a in zaanstad.activities.values()),
        zaanstad.profile_label,
    }
    assert keys.isdisjoint({"label", "explanation", "link", "law", "profile_label"})
    assert leaves.isdisjoint(human_text)
    assert all(isinstance(x, str | bool) for x in leaves)  # ids, articles and flags only

    encoded = json.dumps(data)  # plain JSON: it goes to OPA as `data`
    assert len(encoded) < 8_000
    assert set(data["teams"]) == set(zaanstad.teams)
    assert data["activities"]["pw-enforcement"]["consent_admissible"] is False
    assert data["mandates"]["team_wi_specialist"] == {
        "wmo-support": True,
        "signalling": True,
        "safety-report": True,
        "pw-reintegration": True,
        "pw-enforcement": True,
    }


# --- the law the loader enforces (issue 17) -------------------------------------------------------

#: The flow issue 17 removed: W&I told that a team holds a signal, content withheld, citing a
#: task (Pw 7) and a principle (AVG 5). Both of the loader's checks refuse it.
SIGNAL_EXISTENCE = {
    "id": "signal-existence-to-reintegration",
    "categories": ["signal"],
    "activities": ["pw-reintegration"],
    "from_domain": "team",
    "to_domain": "work_income",
    "article": "Participatiewet art. 7 lid 1 onder b; AVG art. 5 lid 1 onder c",
    "link": "https://wetten.overheid.nl/jci1.3:c:BWBR0015703&artikel=7",
    "redact": ["content"],
    "grounds": [
        {"article": "Participatiewet art. 7 lid 1 onder b", "kind": "task"},
        {"article": "AVG art. 5 lid 1 onder c", "kind": "principle"},
    ],
}


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        pytest.param(
            lambda b, _p: b["flows"].append(SIGNAL_EXISTENCE),
            [
                "flow signal-existence-to-reintegration contradicts no_basis "
                "team-data-to-reintegration",
                "flow signal-existence-to-reintegration: only principle, task as ground",
            ],
            id="a redacted flow where the law says consent only, on a task and a principle",
        ),
        pytest.param(
            lambda b, _p: b["flows"].append(
                SIGNAL_EXISTENCE
                | {"grounds": [{"article": "Wmo 2015 art. 5.3.3", "kind": "disclosure"}]}
            ),
            ["flow signal-existence-to-reintegration contradicts no_basis"],
            id="a redacted flow is no exemption, whatever it cites",
        ),
        pytest.param(
            lambda b, _p: b["flows"][0].__setitem__(
                "grounds", [{"article": "Participatiewet art. 54", "kind": "task"}]
            ),
            ["flow pw-data-to-enforcement: only task as ground"],
            id="a flow resting on a task only",
        ),
        pytest.param(
            lambda b, _p: b["flows"][0].pop("grounds"),
            ["flow pw-data-to-enforcement: no grounds"],
            id="a flow without grounds",
        ),
        pytest.param(
            lambda b, _p: b["activities"]["pw-enforcement"].__setitem__("break_glass", True),
            ["activity pw-enforcement: emergency access into a domain the law closes"],
            id="emergency access towards enforcement",
        ),
        pytest.param(
            lambda b, _p: b["activities"]["own-access"].__setitem__("break_glass", True),
            ["activity own-access: emergency access but no unit of domain resident"],
            id="emergency access where no unit of the domain acts",
        ),
    ],
)
def test_the_loader_refuses_what_the_law_does_not_allow(
    broken: Callable[[Edit], tuple[Path, Path]], edit: Edit, named: list[str]
) -> None:
    with pytest.raises(InvalidRegister) as caught:
        _load(broken(edit))
    for text in named:
        assert text in str(caught.value)


def test_a_regional_service_is_mandated_only_within_its_domains(tmp_path: Path) -> None:
    shutil.copytree(PROFILES_DIR, tmp_path / "profiles")
    path = tmp_path / "profiles" / "velsen.yaml"
    prof = yaml.safe_load(path.read_text(encoding="utf-8"))
    prof["regional_services"]["ijmond-werkt"]["activities"] += ["pw-enforcement", "pw-bijstand"]
    path.write_text(yaml.safe_dump(prof), encoding="utf-8")
    with pytest.raises(InvalidRegister) as caught:
        load_register("velsen", profiles_dir=tmp_path / "profiles")
    assert "regional service ijmond-werkt: activity pw-enforcement outside its domains" in str(
        caught.value
    )
    assert "regional service ijmond-werkt: unknown activity pw-bijstand" in str(caught.value)


def test_no_shipped_flow_rests_on_a_task_or_principle_alone() -> None:
    for profile in available_profiles():
        for flow in load_register(profile).flows:
            assert any(g.kind == "disclosure" for g in flow.grounds), flow.id
