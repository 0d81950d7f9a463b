"""audit/checks.py: what a row must be before it joins the chain, at any depth of a value."""

from __future__ import annotations

import pytest

from audit.checks import check_entry, text_problem, value_problem
from audit.errors import AuditEntryInvalid
from tests.factories import make_entry

NUL = "contains a NUL character"
SURROGATE = "contains a lone surrogate (not valid Unicode text)"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("wt-oost", None),
        ("", None),
        ("Zaanstad — één €1.250 🏠", None),  # non-ASCII text is fine
        ("wt-\x00", NUL),
        ("é\x00", NUL),
        ("r-\ud800", SURROGATE),
        ("\udfff and \x00", NUL),  # the NUL is named first, as before
        (["a", "b\x00"], NUL),
        (("a", ["é", ["\ud800"]]), SURROGATE),
        ({"a": {"b": ["c", "d"]}}, None),
        ({"a": {"\x00": "b"}}, NUL),  # keys too
        ({"a": {"b": "\ud800"}}, SURROGATE),
        ({"é": [1, 2.5, None, True]}, None),
        (7, None),
        (None, None),
    ],
)
def test_value_problem_at_any_depth(value: object, problem: str | None) -> None:
    assert value_problem(value) == problem


def test_text_problem_checks_non_ascii_text_for_surrogates_only_when_needed() -> None:
    assert text_problem("plain ascii") is None
    assert text_problem("ü") is None
    assert text_problem("\ud83c") == SURROGATE  # half of a pair


def test_check_entry_names_the_field_and_the_limit() -> None:
    check_entry(make_entry(details={"note": "één"}))
    with pytest.raises(AuditEntryInvalid) as caught:
        check_entry(make_entry(record_id="r" * 81))
    assert caught.value.field == "record_id"
    assert "80" in str(caught.value)
    with pytest.raises(AuditEntryInvalid) as caught:
        check_entry(make_entry(policy_input={"resource": {"id": ["x", "\x00"]}}))
    assert caught.value.field == "policy_input"
