"""Load the default register and a municipality profile from the data files, and check them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from registry.errors import InvalidRegister, UnknownProfile
from registry.models import Flow, Register

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
                "regional_services": prof.get("regional_services", {}),
                "contact": prof.get("contact"),
                "controller": prof.get("controller"),
                "dpo": prof.get("dpo"),
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
        problems += _flow_grounds(flow)
    for key, team in reg.teams.items():
        if team.domain not in domains:
            problems.append(f"team {key}: unknown domain {team.domain}")
        if team.municipality not in reg.municipalities:
            problems.append(f"team {key}: unknown municipality {team.municipality}")
        if team.regional_service and team.regional_service not in reg.regional_services:
            problems.append(f"team {key}: unknown regional service {team.regional_service}")
    for key, service in reg.regional_services.items():
        problems += [
            f"regional service {key}: unknown municipality {m}"
            for m in service.serves
            if m not in reg.municipalities
        ]
        problems += [
            f"regional service {key}: unknown domain {d}"
            for d in service.domains
            if d not in domains
        ]
        for a in service.activities:
            if a not in reg.activities:
                problems.append(f"regional service {key}: unknown activity {a}")
            elif reg.activities[a].domain not in service.domains:
                problems.append(f"regional service {key}: activity {a} outside its domains")
    problems += _contradictions(reg)
    problems += _emergency_access(reg)
    for role, acts in reg.mandates.items():
        if role not in reg.roles:
            problems.append(f"mandates: unknown role {role}")
        problems += [
            f"mandates {role}: unknown activity {a}" for a in acts if a not in reg.activities
        ]
    if problems:
        raise InvalidRegister(reg.profile, "; ".join(problems))


def _flow_grounds(flow: Flow) -> list[str]:
    """A flow must cite a provision that permits this disclosure (LAW.md, preamble).

    A task ("the college supports re-integration") or a principle (data minimisation) is
    never a basis for passing data to another domain by itself, so a flow whose grounds are
    only tasks and principles is refused. `article` is what residents see; every provision
    in it is listed under `grounds` with its kind.
    """
    if not flow.grounds:
        return [f"flow {flow.id}: no grounds: list the provisions its article cites"]
    if not any(g.kind == "disclosure" for g in flow.grounds):
        kinds = ", ".join(sorted({g.kind for g in flow.grounds}))
        return [f"flow {flow.id}: only {kinds} as ground, and no provision permits the disclosure"]
    return []


def _contradictions(reg: Register) -> list[str]:
    """A flow or an admissible consent that the register's `no_basis` entries forbid.

    The law stated once (e.g. team data never reaches enforcement, AP position on consent)
    is checked against every flow and activity, so a profile cannot quietly undo it. A flow
    between the domains of a `no_basis` entry contradicts it whatever it withholds: that a
    record exists, when and which team holds it, is personal data too, and where the law
    says "consent only", only consent opens it.
    """
    problems = []
    for rule in reg.no_basis:
        for flow in reg.flows:
            if (flow.from_domain, flow.to_domain) != (rule.from_domain, rule.to_domain):
                continue
            purposes = {reg.activities[a].purpose for a in flow.activities if a in reg.activities}
            if purposes & set(rule.purposes):
                problems.append(f"flow {flow.id} contradicts no_basis {rule.id}")
        for key, act in reg.activities.items():
            if act.domain != rule.to_domain or act.purpose not in rule.purposes:
                continue
            from_cats = [
                c
                for c in act.categories
                if c in reg.categories and reg.categories[c].domain == rule.from_domain
            ]
            if from_cats and act.consent_admissible and not rule.consent:
                problems.append(f"activity {key}: consent admissible despite no_basis {rule.id}")
    return problems


def _emergency_access(reg: Register) -> list[str]:
    """Emergency access never reaches across domains, and only where a unit can use it.

    The policy grants it only on data held in the activity's own domain, read only, to a
    member of a unit of that domain. The register must not offer it where that cannot hold:
    on an activity whose domain is the receiving side of a `no_basis` entry that admits no
    consent (enforcement), or whose domain has no unit in the profile to act from.
    """
    problems = []
    closed = {r.to_domain for r in reg.no_basis if not r.consent}
    unit_domains = {t.domain for t in reg.teams.values()}
    for key, act in reg.activities.items():
        if not act.break_glass:
            continue
        if act.domain in closed:
            problems.append(f"activity {key}: emergency access into a domain the law closes")
        if reg.teams and act.domain not in unit_domains:
            problems.append(f"activity {key}: emergency access but no unit of domain {act.domain}")
    return problems
