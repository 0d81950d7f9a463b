"""A case of the upstream as the policy sees it: the register's ids, never the case's content.

    zaaktype (URL)            → category, and the unit holding such cases   (ZaaktypeMap)
    bronorganisatie (RSIN)    → municipality                                 (ZaaktypeMap)
    rollen: natuurlijk_persoon with inpBsn                  → the residents it is about
    rollen: organisatorische_eenheid as behandelaar         → the team, where the zaaktype
                                                              names none   (ZaaktypeMap.units)

What the register does not know is refused with a reason code, never guessed: the enforcement
point records such a refusal like any decision (audited, 403), without asking the policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from registry.zaaktypes import ZaaktypeMap

NATURAL_PERSON = "natuurlijk_persoon"
UNIT = "organisatorische_eenheid"
HANDLER = "behandelaar"

#: Why a case cannot be decided on; the codes go to the audit record and the answer.
REFUSALS: dict[str, str] = {
    "unknown_zaaktype": "The register does not know this zaaktype; a case of it is refused.",
    "unknown_organisation": "The register does not know the case's bronorganisatie.",
    "unknown_handling_unit": "The register cannot tell which one unit holds this case.",
    "no_resident": "The case names no resident (a natuurlijk_persoon with a BSN).",
}


@dataclass(frozen=True)
class CaseFacts:
    """What the decision about one case needs; `refusal` is a code of REFUSALS, or None."""

    category: str
    team: str
    municipality: str
    residents: tuple[str, ...]  # BSNs; the gateway pseudonymises them before anything else
    refusal: str | None = None


def residents_of(rollen: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The BSNs of the natural persons among the roles, in order, each once."""
    found: dict[str, None] = {}
    for rol in rollen:
        if rol.get("betrokkeneType") != NATURAL_PERSON:
            continue
        bsn = (rol.get("betrokkeneIdentificatie") or {}).get("inpBsn")
        if isinstance(bsn, str) and bsn:
            found[bsn] = None
    return tuple(found)


def _handling_teams(rollen: Iterable[Mapping[str, Any]], mapping: ZaaktypeMap) -> set[str | None]:
    teams: set[str | None] = set()
    for rol in rollen:
        if rol.get("betrokkeneType") == UNIT and rol.get("omschrijvingGeneriek") == HANDLER:
            unit = (rol.get("betrokkeneIdentificatie") or {}).get("identificatie")
            teams.add(mapping.units.get(unit) if isinstance(unit, str) else None)
    return teams


def case_facts(
    zaak: Mapping[str, Any],
    rollen: Sequence[Mapping[str, Any]],
    mapping: ZaaktypeMap,
    *,
    creator_teams: Sequence[str] = (),
) -> CaseFacts:
    """The facts of `zaak` with its `rollen`. A new case (no rollen yet) is held by the
    zaaktype's unit or else by the creator's one team (`creator_teams`)."""
    municipality = mapping.organisations.get(str(zaak.get("bronorganisatie", "")), "")
    residents = residents_of(rollen)
    zaaktype = mapping.zaaktypes.get(str(zaak.get("zaaktype", "")))
    if zaaktype is None:
        return CaseFacts("", "", municipality, residents, "unknown_zaaktype")
    if not municipality:
        return CaseFacts(zaaktype.category, "", "", residents, "unknown_organisation")
    if zaaktype.team is not None:
        team: str | None = zaaktype.team
    else:
        teams = _handling_teams(rollen, mapping) if rollen else set(creator_teams)
        team = teams.pop() if len(teams) == 1 else None
    if team is None:
        return CaseFacts(zaaktype.category, "", municipality, residents, "unknown_handling_unit")
    return CaseFacts(zaaktype.category, team, municipality, residents)
