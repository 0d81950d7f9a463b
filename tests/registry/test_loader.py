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
