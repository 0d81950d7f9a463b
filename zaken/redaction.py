"""Field-level redaction of the upstream's JSON: a decision's `redact` names what to withhold.

A register flow's `redact` names fields of the resource: `content` is a case's free text
(what a resident told, what a professional wrote), and a field of the Zaken API's resource
(e.g. `toelichting`) is that field. An unknown name withholds the free text too: failing
closed beats leaking it. Redacted fields are removed from the answer, not emptied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: The free text of each resource, which `content` stands for.
FREE_TEXT: dict[str, frozenset[str]] = {
    "zaak": frozenset({"omschrijving", "toelichting"}),
    "rol": frozenset({"roltoelichting"}),
}

#: Fields a decision may name directly (besides `content`).
NAMED: dict[str, frozenset[str]] = {
    "zaak": FREE_TEXT["zaak"] | {"kenmerken", "zaakgeometrie", "processobject", "opschorting"},
    "rol": FREE_TEXT["rol"] | {"afwijkendeNaamBetrokkene", "contactpersoonRol"},
}


def fields_to_remove(resource: str, redact: Iterable[str]) -> tuple[str, ...]:
    """The fields of `resource` (`zaak` or `rol`) that `redact` withholds, sorted."""
    fields: set[str] = set()
    for name in redact:
        if name in NAMED[resource] and name != "content":
            fields.add(name)
        else:  # `content`, or a name this resource does not have: its free text
            fields |= FREE_TEXT[resource]
    return tuple(sorted(fields))


def redact(obj: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """`obj` without `fields`."""
    drop = set(fields)
    return {k: v for k, v in obj.items() if k not in drop}
