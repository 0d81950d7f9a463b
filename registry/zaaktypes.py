"""Which zaaktypes of a municipality's case system hold which category, per deployment.

A zaakregistratiecomponent (ZGW Zaken API) types every case by a URL into its Catalogi API.
The gateway decides on the register's categories, so each deployment says, in
`registry/zaaktypes/<profile>.yaml` (or a file of its own, `DOELBINDING_ZAKEN__ZAAKTYPES_FILE`):

    organisations   bronorganisatie (RSIN) → municipality of the profile
    units           organisatorische eenheid (the handling unit's `identificatie`) → team
    zaaktypes       zaaktype URL → category, and optionally the team that holds every such case

A zaaktype, RSIN or unit that is not listed is refused, never guessed (zaken/facts.py).
Every id is checked against the profile's register when the file is loaded.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from registry.errors import InvalidRegister
from registry.models import Register

ZAAKTYPES_DIR = Path(__file__).parent / "zaaktypes"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Zaaktype(_Frozen):
    label: str
    category: str = Field(description="The register's category of every case of this type.")
    team: str | None = Field(
        default=None,
        description="The unit that holds every case of this type. Empty: the unit of the "
        "case's handling role (behandelaar, an organisatorische eenheid), through `units`.",
    )


class ZaaktypeMap(_Frozen):
    """The deployment's mapping from ZGW identifiers onto the register's ids."""

    organisations: dict[str, str] = Field(default_factory=dict)
    units: dict[str, str] = Field(default_factory=dict)
    zaaktypes: dict[str, Zaaktype] = Field(default_factory=dict)


def load_zaaktypes(register: Register, path: Path | None = None) -> ZaaktypeMap:
    """The mapping of `register`'s profile (or the file at `path`), checked against it."""
    path = path or ZAAKTYPES_DIR / f"{register.profile}.yaml"
    if not path.exists():
        return ZaaktypeMap()
    with path.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    try:
        mapping = ZaaktypeMap.model_validate(raw)
    except ValidationError as exc:
        raise InvalidRegister(path.name, str(exc)) from exc
    problems = [
        f"organisation {rsin}: unknown municipality {m}"
        for rsin, m in mapping.organisations.items()
        if m not in register.municipalities
    ]
    problems += [
        f"unit {unit}: unknown team {t}"
        for unit, t in mapping.units.items()
        if t not in register.teams
    ]
    for url, zt in mapping.zaaktypes.items():
        if zt.category not in register.categories:
            problems.append(f"zaaktype {url}: unknown category {zt.category}")
        if zt.team is not None and zt.team not in register.teams:
            problems.append(f"zaaktype {url}: unknown team {zt.team}")
    if problems:
        raise InvalidRegister(path.name, "; ".join(problems))
    return mapping
