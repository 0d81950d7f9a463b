"""What a row must be before it joins the chain: every text fits its column, and no text holds
a NUL or a lone surrogate.

PostgreSQL refuses a NUL in text and JSON text, and a lone surrogate cannot be encoded as
UTF-8 at all (nor canonicalised for the hash, RFC 8785). Such a row used to reach the database
inside a group-commit batch and fail everyone's request in it (issue 12, finding 1). Checked
here, on the caller's thread, it fails only the request that brought it.

The limits are read from the table itself, so a migration that widens a column widens the check.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String

from audit.errors import AuditEntryInvalid
from audit.models import AuditEntry, AuditRecord

_TABLE = AuditRecord.__table__  # type: ignore[attr-defined]

#: The length limit (in characters, as PostgreSQL's varchar counts) of every bounded column.
MAX_LENGTH: dict[str, int] = {
    c.name: c.type.length
    for c in _TABLE.columns
    if isinstance(c.type, String) and c.type.length is not None
}


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None."""
    if "\x00" in value:
        return "contains a NUL character"
    if not value.isascii():  # ASCII text holds no surrogate: most values skip the encode
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate (not valid Unicode text)"
    return None


def value_problem(value: Any) -> str | None:
    """Why `value` (text, or lists and dicts of it, at any depth) cannot be stored, or None.
    Loops, not generators: this walks every audit record's policy input."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, list | tuple):
        for v in value:
            problem = value_problem(v)
            if problem is not None:
                return problem
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            problem = value_problem(k) or value_problem(v)
            if problem:
                return problem
    return None


#: Every field of an entry with its column's length limit (None: unbounded or not text).
_FIELDS: tuple[tuple[str, int | None], ...] = tuple(
    (name, MAX_LENGTH.get(name)) for name in AuditEntry.model_fields
)


def check_entry(entry: AuditEntry) -> None:
    """Raise `AuditEntryInvalid` (naming the field, never its value) for a row no database
    would store."""
    for name, limit in _FIELDS:
        value = getattr(entry, name)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            raise AuditEntryInvalid(name, f"longer than {limit} characters")
        problem = value_problem(value)
        if problem is not None:
            raise AuditEntryInvalid(name, problem)
