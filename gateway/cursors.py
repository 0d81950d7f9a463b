"""Page cursors: where a listing's next page starts, as opaque URL-safe text.

A cursor is the unpadded base64url of a short text the listing defines (`"<ns>:<id>"`,
`"s:<seq>"`). Read back, it must match the listing's own pattern: a cursor of another
listing, or one made by hand, is a 400 (`InvalidField`), never part of a query.
"""

from __future__ import annotations

import base64
import re

from gateway.errors import InvalidField


def encode(text: str) -> str:
    """The cursor for a listing's position `text` (ASCII)."""
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def decode(cursor: str, pattern: re.Pattern[str]) -> re.Match[str]:
    """The position a cursor holds, matched against the listing's `pattern`; raises
    `InvalidField` for anything the listing did not give out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        raw = ""
    match = pattern.fullmatch(raw)
    if match is None:
        raise InvalidField("cursor", "not a cursor this listing gave out")
    return match
