"""Load the default register and a municipality profile from the data files, and check them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from registry.errors import InvalidRegister, UnknownProfile
from registry.models import Register

DATA_DIR = Path(__file__).parent
PROFILES_DIR = DATA_DIR / "profiles"


def available_profiles(profiles_dir: Path = PROFILES_DIR) -> list[str]:
    """The names of the profiles that have a data file."""
    return sorted(p.stem for p in profiles_dir.glob("*.yaml"))


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        loaded = yaml.safe_load(fh)
    if not isinstance(loaded, dict):
        raise InvalidRegister(path.name, "expected a mapping at the top level")
    return loaded


def load_register(
    profile: str,
    register_file: Path = DATA_DIR / "register.yaml",
    profiles_dir: Path = PROFILES_DIR,
) -> Register:
    """The default register merged with `profile`, checked for dangling ids."""
    known = available_profiles(profiles_dir)
    if profile not in known:
        raise UnknownProfile(profile, known)
    base = _read(register_file)
    prof = _read(profiles_dir / f"{profile}.yaml")
    try:
        register = Register.model_validate(
            {
                **base,
                "profile": prof.get("id", profile),
                "profile_label": prof.get("label", profile),
                "municipalities": prof.get("municipalities", {}),
                "teams": prof.get("teams", {}),
                "mandates": prof.get("mandates", {}),
            }
        )
    except ValidationError as exc:
        raise InvalidRegister(f"{register_file.name} + {profile}.yaml", str(exc)) from exc
    _check_references(register)
    return register


def _check_references(reg: Register) -> None:
    """Every id used anywhere must be defined: a typo would silently deny or allow."""
    problems: list[str] = []
    domains = set(reg.domains)
    # `shared` is not a domain: it marks a category every domain's activities may touch (the
    # policy reads it so). Only a category may name it; a team or activity acting as `shared`
    # would be a typo that the policy treats as a domain of its own.
    for key, cat in reg.categories.items():
        if cat.domain not in domains | {"shared"}:
            problems.append(f"category {key}: unknown domain {cat.domain}")
    for key, act in reg.activities.items():
        if act.purpose not in reg.purposes:
            problems.append(f"activity {key}: unknown purpose {act.purpose}")
        if act.domain not in domains:
            problems.append(f"activity {key}: unknown domain {act.domain}")
        problems += [
            f"activity {key}: unknown category {c}"
            for c in act.categories
            if c not in reg.categories
        ]
    for flow in reg.flows:
        problems += [
            f"flow {flow.id}: unknown category {c}"
            for c in flow.categories
            if c not in reg.categories
        ]
        problems += [
            f"flow {flow.id}: unknown activity {a}"
            for a in flow.activities
            if a not in reg.activities
        ]
        problems += [
            f"flow {flow.id}: unknown domain {d}"
            for d in (flow.from_domain, flow.to_domain)
            if d not in domains
        ]
    for key, team in reg.teams.items():
        if team.domain not in domains:
            problems.append(f"team {key}: unknown domain {team.domain}")
        if team.municipality not in reg.municipalities:
            problems.append(f"team {key}: unknown municipality {team.municipality}")
    for role, acts in reg.mandates.items():
        if role not in reg.roles:
            problems.append(f"mandates: unknown role {role}")
        problems += [
            f"mandates {role}: unknown activity {a}" for a in acts if a not in reg.activities
        ]
    if problems:
        raise InvalidRegister(reg.profile, "; ".join(problems))
