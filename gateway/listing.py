"""What a listing reveals: the items every decision allowed, and the count of the rest.

One rule for every listing of decided items (a resident's dossier, a page of an upstream
case system's cases), so that a change to what a listing may reveal is made once: an item is
listed only if all of its decisions allow it (a case about two residents is decided for
each), and `withheld` counts the items that were decided and refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from policy import Decision

T = TypeVar("T")


@dataclass(frozen=True)
class Listing(Generic[T]):
    allowed: list[tuple[T, list[Decision]]]
    withheld: int


def listing(items: Sequence[T], decisions: Sequence[Sequence[Decision]]) -> Listing[T]:
    """`items` with their `decisions` (one or more per item, same order) as a listing."""
    allowed = [
        (item, list(ds))
        for item, ds in zip(items, decisions, strict=True)
        if ds and all(d.allow for d in ds)
    ]
    return Listing(allowed, len(items) - len(allowed))
