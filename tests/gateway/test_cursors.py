"""Page cursors (gateway/cursors.py): what a listing gives out reads back; anything else is
a 400 naming the cursor, never a query."""

from __future__ import annotations

import re

import pytest

from gateway import cursors
from gateway.errors import InvalidField

RECORDS = re.compile(r"^(\d{1,20}):(r-[0-9a-z-]{1,76})$")


def test_a_cursor_reads_back_as_the_position_it_holds() -> None:
    cursor = cursors.encode("1733000000123456789:r-abc")
    assert "=" not in cursor
    match = cursors.decode(cursor, RECORDS)
    assert (match.group(1), match.group(2)) == ("1733000000123456789", "r-abc")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",  # not base64url
        "_-8",  # base64url of bytes that are not ASCII
        cursors.encode("s:12"),  # another listing's cursor
        cursors.encode("12:r-abc; DROP TABLE case_records"),
    ],
)
def test_anything_else_is_refused_as_an_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidField) as caught:
        cursors.decode(cursor, RECORDS)
    assert caught.value.field == "cursor"
